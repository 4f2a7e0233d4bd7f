"""Browser files installed by `npm ci` (Web Chat's bundle, uPlot), found wherever the bot was started.

node_modules sits beside the working directory (`make run`, the container's /app) or at the
repository root this package was installed from (`python -m bot` started elsewhere).
"""

from __future__ import annotations

from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]


def find_node_asset(relative: Path, roots: list[Path] | None = None) -> Path | None:
    """`node_modules/...` under the first root that has it, or None when npm never ran."""
    for root in roots if roots is not None else [Path.cwd(), REPOSITORY_ROOT]:
        candidate = root / relative
        if candidate.is_file():
            return candidate
    return None
