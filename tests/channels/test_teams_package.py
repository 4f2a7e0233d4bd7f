"""`python -m bot teams-package`: a zip Teams accepts (manifest valid against the shipped schema, icons)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from bot.channels.teams.app_package import (
    TeamsPackageError,
    build_manifest,
    build_package,
    png_size,
    validate_manifest,
)
from tests.conftest import make_settings

APP_ID = "6a4c1e2b-0000-4000-8000-000000000001"
REPO = Path(__file__).resolve().parents[2]


def png_alpha_values(data: bytes) -> set[int]:
    """Alpha values of an 8-bit RGBA, non-interlaced PNG with filter type 0 rows (as ours are)."""
    width, height = png_size(data)
    assert data[24:26] == b"\x08\x06", "8-bit RGBA"
    position, idat = 8, b""
    while position < len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        kind = data[position + 4:position + 8]
        if kind == b"IDAT":
            idat += data[position + 8:position + 8 + length]
        position += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + width * 4
    return {raw[row * stride + 1 + column * 4 + 3] for row in range(height) for column in range(width)}


def test_package_holds_a_valid_manifest_and_both_icons(tmp_path):
    settings = make_settings(MicrosoftAppId=APP_ID, TEAMS_APP_NAME="Showcase Bot Dev")
    package = build_package(settings, tmp_path / "app.zip")
    with zipfile.ZipFile(package.path) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        color, outline = archive.read("color.png"), archive.read("outline.png")
    validate_manifest(manifest)
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["id"] != APP_ID and manifest["name"]["short"] == "Showcase Bot Dev"
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team", "groupChat"}
    assert png_size(color) == (192, 192) and png_size(outline) == (32, 32)
    assert 0 in png_alpha_values(outline), "the outline icon has a transparent background"
    assert png_alpha_values(color) == {255}, "the color icon is opaque"


def test_the_same_bot_always_gets_the_same_teams_app_id():
    first = build_manifest(make_settings(MicrosoftAppId=APP_ID))
    again = build_manifest(make_settings(MicrosoftAppId=APP_ID.upper()))
    assert first["id"] == again["id"]


def test_schema_rejects_what_teams_would_reject():
    manifest = build_manifest(make_settings(MicrosoftAppId=APP_ID))
    manifest["name"]["short"] = "x" * 31
    manifest["bots"][0]["scopes"] = ["groupchat"]
    with pytest.raises(TeamsPackageError) as rejected:
        validate_manifest(manifest)
    assert "name/short" in str(rejected.value) and "bots/0/scopes/0" in str(rejected.value)


def test_a_bot_without_an_app_id_cannot_be_packaged(tmp_path):
    with pytest.raises(TeamsPackageError, match="MicrosoftAppId"):
        build_package(make_settings(), tmp_path / "app.zip")


def test_command_line_builds_the_package(tmp_path):
    env = {"MicrosoftAppId": APP_ID, "BOT_STORAGE": "memory", "PATH": "/usr/bin:/bin"}
    output = tmp_path / "teams.zip"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "teams-package", "--output", str(output)],
        cwd=tmp_path, env={**env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert str(output) in done.stdout
    assert zipfile.is_zipfile(output)
    failed = subprocess.run(
        [sys.executable, "-m", "bot", "teams-package", "--output", str(output)],
        cwd=tmp_path, env={"BOT_STORAGE": "memory", "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
        timeout=60,
    )
    assert failed.returncode == 2 and "MicrosoftAppId" in failed.stderr
