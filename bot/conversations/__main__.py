"""Entry point for `python -m bot.conversations`."""

import sys

from bot.conversations.cli import main

if __name__ == "__main__":
    sys.exit(main())
