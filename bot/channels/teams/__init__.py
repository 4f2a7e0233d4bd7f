"""Microsoft Teams: @mention removal before analysis, and the app package (manifest + icons)."""
