"""Fails an image build when the environment holds a package not pinned by requirements.lock.

The Dockerfile installs the project with the lock as constraints (`pip install -c`), which
pins every package the lock names; this check catches one the lock does not name.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import sys

PROJECT = "showcase-bot"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions(path: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    with open(path, encoding="utf-8") as lock:
        for line in lock:
            if "==" in line and not line.lstrip().startswith("#"):
                name, version = line.strip().split("==", 1)
                pins[canonical(name)] = version
    return pins


def unpinned(pins: dict[str, str]) -> list[str]:
    """Installed distributions whose name and version are not a line of the lock."""
    found = []
    for dist in metadata.distributions():
        name = canonical(dist.metadata["Name"])
        if name != PROJECT and pins.get(name) != dist.version:
            found.append(f"{dist.metadata['Name']}=={dist.version}")
    return sorted(found)


def main(argv: list[str]) -> int:
    extra = unpinned(locked_versions(argv[0] if argv else "requirements.lock"))
    if extra:
        print(f"not pinned by requirements.lock: {', '.join(extra)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
