"""Messages worker threads post to the app (`post_message` is thread-safe) and their payloads."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

from core.events import Event
from core.records import Decision, Verdict

if TYPE_CHECKING:
    from core.tui.controller import RunReport
    from core.tui.data import DiskState
    from core.tui.views import ReviewView

__all__ = [
    "LoopEvent",
    "PendingDecision",
    "ReviewRequested",
    "SessionOpened",
    "SnapshotReady",
    "WorkDone",
]

logger = logging.getLogger(__name__)


@dataclass
class PendingDecision:
    """A review the worker thread is blocked on until the human (or an abort) resolves it."""

    view: ReviewView
    _done: threading.Event = field(default_factory=threading.Event)
    _verdict: Verdict = field(default_factory=lambda: Verdict(Decision.SKIP, "no answer", "human"))

    def resolve(self, verdict: Verdict | None) -> None:
        if self._done.is_set():
            return
        self._verdict = verdict or Verdict(Decision.SKIP, "closed without a decision", "human")
        self._done.set()

    @property
    def resolved(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float) -> Verdict | None:
        return self._verdict if self._done.wait(timeout) else None


class LoopEvent(Message):
    """An event the Supervisor emitted on the worker thread."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class ReviewRequested(Message):
    def __init__(self, pending: PendingDecision) -> None:
        super().__init__()
        self.pending = pending


class SessionOpened(Message):
    """The workspace was opened: as its writer, attached read-only to a lock holder, or not at all."""

    def __init__(self, mode: str, detail: str = "") -> None:
        super().__init__()
        self.mode = mode  # "owner" | "attached" | "failed"
        self.detail = detail


class SnapshotReady(Message):
    """A refresh of what the dashboard reads from disk."""

    def __init__(self, state: DiskState) -> None:
        super().__init__()
        self.state = state


class WorkDone(Message):
    """A loop-group job (run, step, inbox approval, revert) ended."""

    def __init__(self, what: str, report: RunReport | None = None, message: str = "") -> None:
        super().__init__()
        self.what = what
        self.report = report
        self.message = message
