"""Entry point for `python -m chatscripts`."""

import sys

from chatscripts.cli import main

if __name__ == "__main__":
    sys.exit(main())
