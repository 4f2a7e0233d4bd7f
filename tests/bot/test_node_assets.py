"""npm's browser files are found from any working directory (the operator page once drew nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.node_assets import REPOSITORY_ROOT, find_node_asset

UPLOT = Path("node_modules") / "uplot" / "dist" / "uPlot.iife.min.js"


def test_found_from_another_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert find_node_asset(UPLOT) == REPOSITORY_ROOT / UPLOT


def test_the_working_directory_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    local = tmp_path / UPLOT
    local.parent.mkdir(parents=True)
    local.write_text("/* a copy beside the bot, as in the container's /app */")
    monkeypatch.chdir(tmp_path)
    assert find_node_asset(UPLOT) == local


def test_none_when_npm_never_ran(tmp_path: Path):
    assert find_node_asset(UPLOT, [tmp_path]) is None
