"""The served Web Chat page, its token route, and the local Direct Line 3.0 endpoint."""
