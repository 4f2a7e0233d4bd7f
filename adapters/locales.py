"""One way to read a language out of a locale or a service's language code.

Channels send `es-ES`, `pt_BR` or `zh-Hans`; services answer `zh_chs` or the legacy `iw`.
Everything in the bot compares ISO 639-1 primary subtags, so every reader goes through here.
"""

from __future__ import annotations

# Codes older services still answer with, and the one the bot uses for each.
_LEGACY_CODES = {"iw": "he", "in": "id", "nb": "no"}


def primary_language(locale: str | None) -> str:
    """'es-ES' -> 'es', 'pt_BR' -> 'pt', 'iw' -> 'he', None or '' -> ''."""
    if not locale:
        return ""
    primary = locale.strip().replace("_", "-").split("-", 1)[0].lower()
    return _LEGACY_CODES.get(primary, primary)
