"""The image under test, built once per session as `make image` builds it.

The tests need a container engine that can run containers (docker with its daemon, or
podman); without one they are skipped with the exact reason, except under .ci/run
(SHOWCASE_REQUIRE_CONTAINERS=1), where that is a failure.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass

import pytest

from tests.deploy.engine import REPO_ROOT, REQUIRE_ENV, Engine, find_engine

TEST_IMAGE = "localhost/showcase-bot:test"
# The offline engines' answers (hence the dialog's branch) must not depend on how loaded the
# shared machine is: an engine that times out makes the sentiment uncertain and the feedback
# dialog asks "how do you feel?" instead. The tests check routing and state, not latency.
PATIENT_ENGINES = {"BOT_ENGINE_TIMEOUT_MS": "30000", "BOT_TURN_BUDGET_MS": "60000"}


@dataclass(frozen=True)
class BuiltImage:
    engine: Engine
    name: str
    build_s: float


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but containers cannot run here: {reason}", pytrace=False)
    pytest.skip(f"container tests skipped: {reason}")


@pytest.fixture(scope="session")
def container_engine() -> Engine:
    engine, reason = find_engine()
    if engine is None:
        _unavailable(reason)
    assert engine is not None
    return engine


@pytest.fixture(scope="session")
def bot_image(container_engine: Engine) -> BuiltImage:
    """deploy/build-image.sh (the `make image` script): offline here, from the index elsewhere.

    The wheelhouse and the Debian base it makes are kept (build/wheels, the engine's image
    store), so a second session only rebuilds the layers whose sources changed.
    """
    started = time.monotonic()
    env = {**container_engine.env, "IMAGE": TEST_IMAGE, "CONTAINER_ENGINE": container_engine.name}
    result = subprocess.run(
        [str(REPO_ROOT / "deploy" / "build-image.sh")], cwd=REPO_ROOT, env=env,
        capture_output=True, text=True, timeout=1200,
    )
    if result.returncode != 0:
        pytest.fail(f"the image did not build:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}", pytrace=False)
    return BuiltImage(container_engine, TEST_IMAGE, time.monotonic() - started)
