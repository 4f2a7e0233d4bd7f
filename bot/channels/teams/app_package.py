"""`python -m bot teams-package`: the Teams app package (manifest + two icons, zipped), validated.

The manifest comes from the settings (MicrosoftAppId, TEAMS_APP_NAME) and is checked against
the Teams manifest JSON schema shipped in bot/channels/teams/, so a bad package fails here, not in
the Teams admin centre.
"""

from __future__ import annotations

import argparse
import json
import re
import struct
import sys
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.settings import Settings

TEAMS_DIR = Path(__file__).parent
SCHEMA = TEAMS_DIR / "MicrosoftTeams.schema.json"
TEMPLATE = TEAMS_DIR / "manifest.template.json"
ICONS = {"color.png": (192, 192), "outline.png": (32, 32)}
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
DEFAULT_OUTPUT = Path("build") / "teams" / "showcase-bot-teams.zip"
PLACEHOLDER_URL = "https://example.com/showcase-bot"


class TeamsPackageError(ValueError):
    """The package cannot be built or does not validate; the message says what to fix."""


@dataclass(frozen=True)
class PackageOptions:
    """What the manifest needs beyond the settings; the URLs must be your own before publishing."""

    version: str = "1.0.0"
    developer_name: str = "Showcase Bot contributors"
    website_url: str = PLACEHOLDER_URL
    privacy_url: str = f"{PLACEHOLDER_URL}/privacy"
    terms_url: str = f"{PLACEHOLDER_URL}/terms"


@dataclass(frozen=True)
class TeamsPackage:
    """A built, validated package."""

    path: Path
    manifest: dict[str, Any]


def build_manifest(settings: Settings, options: PackageOptions = PackageOptions()) -> dict[str, Any]:
    """The manifest for this bot, from the template and the settings (not yet validated)."""
    if not GUID.match(settings.app_id):
        raise TeamsPackageError(
            "MicrosoftAppId must be the bot's Azure app registration id (a GUID) to build a Teams package"
        )
    name = settings.teams_app_name
    values = {
        "version": options.version,
        # Stable per bot, distinct from the bot id (Teams app id and bot id are separate ids).
        "teams_app_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"teams-app:{settings.app_id.lower()}")),
        "bot_id": settings.app_id,
        "developer_name": options.developer_name,
        "website_url": options.website_url,
        "privacy_url": options.privacy_url,
        "terms_url": options.terms_url,
        "short_name": name,
        "full_name": name,
    }
    template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    return _fill(template, values)


def _fill(node: Any, values: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {key: _fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_fill(item, values) for item in node]
    if isinstance(node, str) and node.startswith("{") and node.endswith("}") and node[1:-1] in values:
        return values[node[1:-1]]
    return node


def validate_manifest(manifest: dict[str, Any]) -> None:
    """Raise TeamsPackageError listing every schema violation."""
    from jsonschema import Draft4Validator

    validator = Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    errors = sorted(validator.iter_errors(manifest), key=lambda error: list(error.absolute_path))
    if errors:
        details = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors)
        raise TeamsPackageError(f"the manifest does not match the Teams schema: {details}")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise TeamsPackageError("icon is not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def check_icons() -> None:
    for name, size in ICONS.items():
        actual = png_size((TEAMS_DIR / name).read_bytes())
        if actual != size:
            raise TeamsPackageError(f"{name} is {actual[0]}x{actual[1]}, Teams needs {size[0]}x{size[1]}")


def build_package(
    settings: Settings, output: Path = DEFAULT_OUTPUT, options: PackageOptions = PackageOptions()
) -> TeamsPackage:
    """Build, validate and zip the package; returns where it was written."""
    manifest = build_manifest(settings, options)
    validate_manifest(manifest)
    check_icons()
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for name in ICONS:
            archive.write(TEAMS_DIR / name, arcname=name)
    return TeamsPackage(output, manifest)


def main(argv: list[str], settings: Settings) -> int:
    """The `teams-package` subcommand: prints where the package went, or why it could not."""
    parser = argparse.ArgumentParser(prog="python -m bot teams-package", description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the zip")
    parser.add_argument("--version", default=PackageOptions.version, help="the app version (semver)")
    parser.add_argument("--developer-name", default=PackageOptions.developer_name)
    parser.add_argument("--website-url", default=PackageOptions.website_url)
    parser.add_argument("--privacy-url", default=PackageOptions.privacy_url)
    parser.add_argument("--terms-url", default=PackageOptions.terms_url)
    args = parser.parse_args(argv)
    options = PackageOptions(args.version, args.developer_name, args.website_url, args.privacy_url,
                             args.terms_url)
    try:
        package = build_package(settings, args.output, options)
    except TeamsPackageError as error:
        print(f"showcase-bot teams-package: {error}", file=sys.stderr)
        return 2
    print(f"Teams app package: {package.path} (app id {package.manifest['id']}, bot id "
          f"{package.manifest['bots'][0]['botId']})")
    if PLACEHOLDER_URL in json.dumps(package.manifest):
        print("Note: the developer URLs are placeholders; pass --website-url/--privacy-url/--terms-url "
              "before publishing outside your own tenant.")
    return 0
