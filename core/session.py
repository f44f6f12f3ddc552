"""Building a Supervisor the same way for the CLI, the TUI and the daemon."""

from __future__ import annotations

import logging

from core.config import Config
from core.cycle import Supervisor
from core.events import EventSink, null_sink
from core.remember import attempt_recorder
from core.workspace import Workspace

__all__ = ["make_supervisor"]

logger = logging.getLogger(__name__)


def make_supervisor(
    workspace: Workspace, config: Config, *, role: str = "cli", sink: EventSink = null_sink
) -> Supervisor:
    """A Supervisor with memory recording as configured (enter it to take the lock)."""
    return Supervisor(
        workspace,
        config,
        role=role,
        sink=sink,
        remember=attempt_recorder(workspace, config.memory.enabled),
    )
