"""The single-writer lock and the journal of the in-flight proposal.

The journal (`.agent/journal.json`) records which phase the current candidate is in, so that after
a crash or SIGKILL the next command can put the workspace back at the last checkpoint (see
`core.recovery`). Writes are atomic (write a temp file, fsync, rename).
"""

from __future__ import annotations

import enum
import json
import logging
import os
import signal
from dataclasses import dataclass
from pathlib import Path

from core.errors import Locked
from core.records import from_dict, to_dict

__all__ = ["FAULT_ENV", "Journal", "JournalEntry", "Phase", "WorkspaceLock", "pid_alive"]

logger = logging.getLogger(__name__)

#: set to a phase name to SIGKILL the process right after that phase is journaled (tests)
FAULT_ENV = "RATCHET_FAULT_KILL_AT"


class Phase(enum.StrEnum):
    """Phases of one candidate, in order. Recovery acts on the last one recorded."""

    STARTED = "started"  # worktree + candidate branch being created
    APPLIED = "applied"  # edits written in the candidate worktree
    VALIDATING = "validating"  # gates running
    DECIDING = "deciding"  # waiting for a human or policy
    COMMITTING = "committing"  # candidate commit made; agent branch being advanced
    TAGGED = "tagged"  # branch advanced and tagged; audit + cleanup left


@dataclass(frozen=True)
class JournalEntry:
    phase: Phase
    pid: int
    base: str
    branch: str
    worktree: str
    agent_branch: str
    candidate_commit: str = ""
    checkpoint: int = 0
    summary: str = ""


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


@dataclass(frozen=True)
class Journal:
    path: Path

    def read(self) -> JournalEntry | None:
        try:
            return from_dict(JournalEntry, json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, TypeError, ValueError):
            logger.warning("journal %s is unreadable; treating it as an interrupted start", self.path)
            return JournalEntry(Phase.STARTED, 0, "", "", "", "")

    def write(self, entry: JournalEntry) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.path, json.dumps(to_dict(entry), indent=2))
        if os.environ.get(FAULT_ENV) == entry.phase.value:
            # fault injection for the crash-recovery tests: die as a SIGKILL would, right here
            os.kill(os.getpid(), signal.SIGKILL)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as dead
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


@dataclass
class WorkspaceLock:
    """`.agent/lock`: one writer at a time. Holds the pid (and a role) of the writer.

    Acquired with O_CREAT|O_EXCL; a lock left by a dead pid is recovered. Re-entrant for the
    owning process.
    """

    path: Path
    role: str = "cli"
    held: bool = False

    def owner(self) -> tuple[int, str] | None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return int(raw["pid"]), str(raw.get("role", "?"))
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, KeyError, ValueError, TypeError):
            return 0, "?"

    def acquire(self) -> WorkspaceLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"pid": os.getpid(), "role": self.role}).encode()
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = self.owner()
                if owner is None:
                    continue
                pid, role = owner
                if pid == os.getpid():
                    self.held = True
                    return self
                if pid_alive(pid):
                    raise Locked(
                        f"the workspace is locked by pid {pid} ({role}); stop it first "
                        f"(`ratchet daemon --stop` or quit the TUI), or wait for it to finish"
                    ) from None
                logger.warning("recovering a stale lock left by dead pid %s", pid)
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            self.held = True
            return self
        raise Locked(f"could not take the lock {self.path}; another process keeps racing for it")

    def release(self) -> None:
        if self.held and self.owner() is not None and self.owner() == (os.getpid(), self.role):
            self.path.unlink(missing_ok=True)
        self.held = False

    def __enter__(self) -> WorkspaceLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
