"""Watching and steering a running daemon from outside: its state file and its control files.

The daemon writes `.agent/state.json` (pid, phase, cycles, accepted, rejected, queued, spent,
stop_reason) and obeys two files: `.agent/PAUSE` (no new cycle starts while it exists) and
`.agent/STOP` (finish or abort the current cycle and exit). Anyone may create them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from core.journal import pid_alive
from core.workspace import Workspace

__all__ = [
    "PAUSE_FILE",
    "STOP_FILE",
    "DaemonState",
    "clear_pause",
    "log_message",
    "pause_requested",
    "read_daemon_state",
    "request_pause",
    "request_stop",
]

logger = logging.getLogger(__name__)

PAUSE_FILE = "PAUSE"
STOP_FILE = "STOP"


@dataclass(frozen=True)
class DaemonState:
    pid: int
    alive: bool
    phase: str = ""
    cycles: int = 0
    accepted: int = 0
    rejected: int = 0
    queued: int = 0
    spent: str = ""
    stop_reason: str = ""

    def lines(self) -> tuple[str, ...]:
        lines = [
            f"daemon pid {self.pid} {'running' if self.alive else 'not running'}"
            + (f", {self.phase}" if self.phase else ""),
            f"cycles {self.cycles} · accepted {self.accepted} · rejected {self.rejected}"
            f" · queued {self.queued}",
        ]
        if self.spent:
            lines.append(f"spent {self.spent}")
        if self.stop_reason:
            lines.append(f"stopped: {self.stop_reason}")
        return tuple(lines)


def _count(raw: dict[str, object], key: str) -> int:
    value = raw.get(key, 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _spent(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return "" if value in (None, "", 0) else str(value)


def read_daemon_state(workspace: Workspace) -> DaemonState | None:
    """The daemon's last written state, or None when there is no readable state file."""
    try:
        raw = json.loads(workspace.state_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(raw, dict):
        return None
    pid = _count(raw, "pid")
    return DaemonState(
        pid=pid,
        alive=pid_alive(pid),
        phase=str(raw.get("phase", "") or ""),
        cycles=_count(raw, "cycles"),
        accepted=_count(raw, "accepted"),
        rejected=_count(raw, "rejected"),
        queued=_count(raw, "queued"),
        spent=_spent(raw.get("spent")),
        stop_reason=str(raw.get("stop_reason", "") or ""),
    )


def _control(workspace: Workspace, name: str) -> Path:
    return workspace.agent_dir / name


def request_pause(workspace: Workspace) -> None:
    workspace.agent_dir.mkdir(parents=True, exist_ok=True)
    _control(workspace, PAUSE_FILE).write_text("paused from the TUI\n", encoding="utf-8")


def clear_pause(workspace: Workspace) -> None:
    _control(workspace, PAUSE_FILE).unlink(missing_ok=True)


def pause_requested(workspace: Workspace) -> bool:
    return _control(workspace, PAUSE_FILE).exists()


def request_stop(workspace: Workspace) -> None:
    workspace.agent_dir.mkdir(parents=True, exist_ok=True)
    _control(workspace, STOP_FILE).write_text("stop requested from the TUI\n", encoding="utf-8")


def log_message(line: str) -> str:
    """One line of `.agent/ratchet.log` (JSON lines) as a person reads it; other text as is."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError:
        return line
    if not isinstance(raw, dict):
        return line
    message = raw.get("message", raw.get("msg", ""))
    level = str(raw.get("level", "")).lower()
    prefix = f"{level}: " if level and level not in ("info", "debug") else ""
    return f"daemon {prefix}{message}" if message else line
