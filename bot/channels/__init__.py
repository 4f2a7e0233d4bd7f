"""Channels: the Web Chat page and local Direct Line endpoint, Teams mentions and app package."""
