"""What the daemon tells the outside world: `.agent/state.json`, the JSON-lines log, exit codes.

`state.json` is rewritten atomically at every phase change so that `ratchet status` and the TUI
(attached read-only) always see the current phase, counters and spend; after a stop it keeps the
reason and the exit code. `.agent/ratchet.log` gets one JSON object per line for every phase,
gate result, cycle, pause and stop.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from core.records import from_dict, to_dict
from core.secrets import scrub_data

__all__ = ["DaemonLog", "DaemonState", "ExitCode", "JsonLinesHandler", "read_state", "stamp", "write_state"]

logger = logging.getLogger(__name__)


class ExitCode(enum.IntEnum):
    """`ratchet daemon` exit statuses (README "Running unattended" has the same table)."""

    DONE = 0  # a limit was reached (cycles, hours, score), the proposer ran out, or a STOP file
    CRASHED = 1  # an unexpected error; the log has the traceback; the next start recovers
    USAGE = 2  # bad flags or configuration
    LOCKED = 3  # another ratchet process holds the workspace
    SEAL_BROKEN = 4  # protected/ does not match its seal (at start or before a commit)
    BUDGET = 5  # a token or cost budget is used up
    FAILURES = 6  # too many consecutive failed cycles
    TAMPERED = 7  # protected/, the agent branch or the audit chain changed behind ratchet's back
    DISK_LOW = 8  # free disk space fell below daemon.min_free_disk_mb
    SIGINT = 130
    SIGTERM = 143


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class DaemonState:
    """The daemon's state file; every field has a default so older files still load."""

    pid: int = 0
    phase: str = "starting"
    detail: str = ""
    proposer: str = ""
    started_at: str = ""
    updated_at: str = ""
    cycles: int = 0
    #: proposals validated (a cycle retries a target up to gates.max_retries times)
    attempts: int = 0
    accepted: int = 0
    #: gate rejections, retries included
    rejected: int = 0
    queued: int = 0
    skipped: int = 0
    consecutive_failures: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    spent: str = ""
    last: str = ""
    paused: str = ""
    stop_reason: str = ""
    exit_code: int | None = None


def write_state(path: Path, state: DaemonState) -> None:
    """Atomically replace `path` with `state` (readers never see half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(to_dict(state), indent=2), encoding="utf-8")
    tmp.replace(path)


def read_state(path: Path) -> DaemonState | None:
    try:
        return from_dict(DaemonState, json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, TypeError, ValueError):
        logger.warning("daemon state %s is unreadable", path)
        return None


class DaemonLog:
    """Appends JSON lines to `.agent/ratchet.log`; secrets are redacted like in the audit log.

    When the file grows past `max_bytes` it is renamed to `ratchet.log.1` (the previous one is
    dropped) and a new one is started, so an unattended run cannot fill the disk with its log.
    """

    def __init__(self, path: Path, max_bytes: int = 20 * 1024 * 1024) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._fh: IO[str] | None = None
        self._lock = threading.Lock()
        self._written = 0

    def open(self) -> DaemonLog:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._rotate_if_large()
            self._fh = self.path.open("a", encoding="utf-8", buffering=1)
        return self

    def _rotate_if_large(self) -> None:
        try:
            large = self.path.stat().st_size >= self.max_bytes
        except FileNotFoundError:
            return
        if large:
            if self._fh is not None:
                self._fh.close()
            self.path.replace(self.path.with_name(self.path.name + ".1"))
            if self._fh is not None:
                self._fh = self.path.open("a", encoding="utf-8", buffering=1)

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None

    def __enter__(self) -> DaemonLog:
        return self.open()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def write(self, event: str, level: str = "info", **fields: Any) -> None:
        record = {"time": _now(), "level": level, "pid": os.getpid(), "event": event, **scrub_data(fields)}
        line = json.dumps(to_dict(record), ensure_ascii=False, default=str)
        with self._lock:
            if self._fh is None:
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(line + "\n")
            else:
                self._fh.write(line + "\n")
                self._written += len(line) + 1
                if self._written >= self.max_bytes // 16:
                    self._written = 0
                    self._rotate_if_large()


class JsonLinesHandler(logging.Handler):
    """Routes warnings from ratchet's modules into the daemon log as `{"event": "log", ...}`."""

    def __init__(self, log: DaemonLog, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self._log = log

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._log.write("log", record.levelname.lower(), logger=record.name, message=record.getMessage())
        except (OSError, ValueError):
            self.handleError(record)


def stamp(state: DaemonState) -> DaemonState:
    """`state` with `updated_at` set to now."""
    return replace(state, updated_at=_now())
