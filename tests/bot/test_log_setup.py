"""`python -m bot`'s logging: the same lines, without the per-record lookups the format never prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import logging
from bot.log_setup import configure_logging
configure_logging("INFO")
logging.getLogger("bot.pipeline").info("turn conversation=%s", "c1")
logging.getLogger("bot.pipeline").debug("not at INFO")
record = logging.getLogger("x").makeRecord("x", logging.INFO, "f", 1, "m", (), None)
print(record.threadName, record.processName, logging._srcfile)
"""


def test_records_print_the_same_line_without_caller_thread_or_process_lookups() -> None:
    # In a child: the switches are process-wide and would change pytest's own records.
    child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert child.returncode == 0, child.stderr
    [line] = child.stderr.splitlines()
    assert line.endswith(" INFO bot.pipeline turn conversation=c1")
    assert line[:4].isdigit()  # the timestamp leads, as before
    assert child.stdout.split() == ["None", "None", "None"]


EXPORTED_CHILD = """
import logging
from bot.log_setup import configure_logging
configure_logging("INFO", exported=True)
record = logging.getLogger("x").makeRecord("x", logging.INFO, "f", 1, "m", (), None)
print(record.threadName is not None, logging._srcfile is not None)
"""


def test_exported_records_keep_the_caller_and_thread_the_exporter_sends() -> None:
    child = subprocess.run([sys.executable, "-c", EXPORTED_CHILD], capture_output=True, text=True, cwd=ROOT,
                           timeout=60)
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == ["True", "True"]


def test_logs_count_as_exported_only_with_an_exporter_named() -> None:
    from bot.log_setup import logs_exported

    assert not logs_exported({})
    assert not logs_exported({"OTEL_LOGS_EXPORTER": "none"})
    assert not logs_exported({"OTEL_LOGS_EXPORTER": " None "})
    assert logs_exported({"OTEL_LOGS_EXPORTER": "otlp"})
