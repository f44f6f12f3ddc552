"""Watching and steering a running daemon from the TUI (attached read-only).

The daemon's own modules define the contract: `core.daemon_state` (the `.agent/state.json` it
rewrites at every phase change, the JSON-lines `.agent/ratchet.log`) and the control files
`.agent/PAUSE` / `.agent/STOP` (`core.daemon.PAUSE_FILE`, `core.daemon_guard.STOP_FILE`) that
`ratchet daemon --pause/--resume/--stop` writes too. This module only presents them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from core.daemon_state import DaemonState, read_state
from core.journal import pid_alive
from core.workspace import Workspace

__all__ = [
    "DaemonView",
    "clear_pause",
    "log_message",
    "pause_requested",
    "read_daemon",
    "request_pause",
    "request_stop",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DaemonView:
    state: DaemonState
    alive: bool

    @property
    def phase(self) -> str:
        if not self.alive:
            return "stopped" if self.state.stop_reason else "not running"
        return self.state.phase

    @property
    def detail(self) -> str:
        s = self.state
        return s.paused or s.stop_reason or s.detail


def read_daemon(workspace: Workspace) -> DaemonView | None:
    """The daemon's last written state (and whether its pid still runs), or None without one."""
    state = read_state(workspace.state_path)
    return None if state is None else DaemonView(state, pid_alive(state.pid))


def _pause_path(workspace: Workspace) -> Path:
    from core.daemon import PAUSE_FILE

    return workspace.agent_dir / PAUSE_FILE


def request_pause(workspace: Workspace) -> None:
    workspace.agent_dir.mkdir(parents=True, exist_ok=True)
    _pause_path(workspace).write_text("requested from the TUI\n", encoding="utf-8")


def clear_pause(workspace: Workspace) -> None:
    _pause_path(workspace).unlink(missing_ok=True)


def pause_requested(workspace: Workspace) -> bool:
    return _pause_path(workspace).exists()


def request_stop(workspace: Workspace) -> None:
    from core.daemon_guard import STOP_FILE

    workspace.agent_dir.mkdir(parents=True, exist_ok=True)
    (workspace.agent_dir / STOP_FILE).write_text("requested from the TUI\n", encoding="utf-8")


_QUIET = ("time", "level", "pid", "event", "state", "traceback")


def log_message(line: str) -> str:
    """One JSON line of `.agent/ratchet.log` as a person reads it (other text is kept as is)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return line
    if not isinstance(record, dict):
        return line
    level = str(record.get("level", "info"))
    detail = " ".join(
        f"{k}={v}" for k, v in record.items() if k not in _QUIET and v not in ("", None, [], {})
    )
    prefix = f"{level} " if level not in ("info", "debug") else ""
    return f"daemon: {prefix}{record.get('event', '')} {detail}".rstrip()
