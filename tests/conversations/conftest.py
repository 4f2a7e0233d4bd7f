"""Collects this folder's `.chat` and `.transcript` files as tests (see docs/testing-dialogs.md).

`pytest_plugins` is not allowed in a non-root conftest.py, so the plugin's collection
hook is used here directly; it steps aside when the installed plugin is active.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chatscripts.pytest_plugin import collect_conversation_file


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    return collect_conversation_file(file_path, parent)
