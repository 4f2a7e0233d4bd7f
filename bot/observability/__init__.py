"""The bot's observability: exporters chosen by standard configuration, /metrics and /admin."""

from bot.observability.routes import add_observability

__all__ = ["add_observability"]
