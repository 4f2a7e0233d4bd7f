"""`python -m adapters`: the engines' command-line front (see adapters/cli.py)."""

from adapters.cli import main

raise SystemExit(main())
