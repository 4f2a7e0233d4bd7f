"""The process's log configuration: one line a record, and nothing computed that the line does not print.

At the default level (INFO) every turn writes two records (aiohttp's access line and the
pipeline's turn line). By default each record also looks up its caller's frame, thread and
process names, none of which the format prints: 33 us a record where 13.5 us will do
(measured, 20,000 records to a file). The switches below are the ones the Python logging
HOWTO ("Optimization") names for that.
"""

from __future__ import annotations

import logging

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(level: str) -> None:
    """Records to stderr at `level`, in LOG_FORMAT, without the lookups the format leaves unused."""
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging.logAsyncioTasks = False  # Python 3.12+: the current task's name (no effect on 3.11)
    logging._srcfile = None  # no caller lookup (file, line, function): the format prints none
    logging.basicConfig(level=level, format=LOG_FORMAT)
