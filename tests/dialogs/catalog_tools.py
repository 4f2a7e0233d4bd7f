"""Find every bot text (t() and N_() source strings) in the code, for catalog checks."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (
    *sorted((ROOT / "dialogs").glob("*.py")),
    *(ROOT / "bot" / name for name in ("showcase_bot.py", "turn_guard.py", "hosting.py", "text_limit.py")),
)


def msgids() -> dict[str, str]:
    """msgid -> "file:line" of its first use."""
    found: dict[str, str] = {}
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            index = {"t": 1, "N_": 0}.get(node.func.id)
            if index is None or len(node.args) <= index:
                continue
            arg = node.args[index]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.setdefault(arg.value, f"{path.name}:{node.lineno}")
    return found
