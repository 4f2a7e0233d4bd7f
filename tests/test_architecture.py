"""The import graph read from the code: arrows run bot -> dialogs -> adapters, no cycles.

chatscripts (the conversation-testing kit) depends on botbuilder and aiohttp only, and
adapters never import botbuilder, so a port to another framework touches bot/ and dialogs/.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "chatscripts", "dialogs", "adapters")
# Which first-party packages each package may import.
ALLOWED = {
    "bot": {"bot", "chatscripts", "dialogs", "adapters"},
    "chatscripts": {"chatscripts"},
    "dialogs": {"dialogs", "adapters"},
    "adapters": {"adapters"},
}


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imports(path: Path) -> set[str]:
    """Every absolute import in a module, TYPE_CHECKING and function-level ones included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


MODULES = _modules()
IMPORTS = {name: _imports(path) for name, path in MODULES.items()}


def test_arrows_run_one_way_between_packages():
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in IMPORTS.items()
        for target in targets
        if target.split(".")[0] in PACKAGES and target.split(".")[0] not in ALLOWED[module.split(".")[0]]
    )
    assert wrong == []


def test_no_module_imports_botbuilder_under_adapters():
    framework = sorted(
        f"{module} imports {target}"
        for module, targets in IMPORTS.items()
        if module.startswith("adapters")
        for target in targets
        if target.split(".")[0] in ("botbuilder", "botframework", "aiohttp")
    )
    assert framework == []


def test_the_conversation_kit_needs_only_botbuilder_aiohttp_and_pytest():
    third_party = {
        target.split(".")[0]
        for module, targets in IMPORTS.items()
        if module.startswith("chatscripts")
        for target in targets
    } - {"chatscripts", "__future__"}
    outside_stdlib = {name for name in third_party if name not in __import__("sys").stdlib_module_names}
    assert outside_stdlib <= {"botbuilder", "aiohttp", "pytest"}


def test_there_is_no_import_cycle():
    edges: dict[str, set[str]] = defaultdict(set)
    for module, targets in IMPORTS.items():
        edges[module] = {target for target in targets if target in MODULES and target != module}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target, path)
        path.pop()
        state[module] = 2

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [])
    assert cycles == []


def test_the_graph_check_sees_the_arrows_it_guards():
    """The checks above would pass on an empty graph: make sure they read real imports."""
    assert "adapters.analysis.turn_analysis" in IMPORTS["bot.pipeline"]
    assert "chatscripts.inprocess" in IMPORTS["bot.conversation_bot"]
    assert any(target.startswith("botbuilder") for target in IMPORTS["dialogs.insights"])
