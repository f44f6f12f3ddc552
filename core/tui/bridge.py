"""The human in the loop: the Supervisor's decider (on the worker thread) waits for the modal.

`ask` runs on the worker thread: it posts a `ReviewRequested` message (thread-safe) and blocks
until the review modal resolves it, or until the candidate is aborted. `show` and `drop` run on
the UI thread: they open the modal, and close it when the app aborts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.cycle import Review, Supervisor
from core.records import Decision, Verdict
from core.tui.messages import PendingDecision, ReviewRequested
from core.tui.views import view_of_review

if TYPE_CHECKING:
    from textual.app import App

__all__ = ["HumanBridge"]

logger = logging.getLogger(__name__)

#: how often a waiting decider checks whether its candidate was aborted
POLL_SECONDS = 0.1


def _aborted() -> Verdict:
    return Verdict(Decision.SKIP, "aborted", "human")


class HumanBridge:
    def __init__(self, app: App[None], supervisor: Supervisor, by: Callable[[], str]) -> None:
        self.app = app
        self.supervisor = supervisor
        self.by = by
        self.pending: PendingDecision | None = None

    def ask(self, review: Review, reasons: tuple[str, ...]) -> Verdict:
        """Worker thread: show the review and block until the human answers (or an abort)."""
        pending = PendingDecision(view_of_review(review, reasons, self.supervisor.policy.evals))
        self.app.post_message(ReviewRequested(pending))
        while True:
            verdict = pending.wait(POLL_SECONDS)
            if verdict is not None:
                return verdict
            if self.supervisor.cancelled.is_set():
                pending.resolve(_aborted())

    def show(self, pending: PendingDecision) -> None:
        """UI thread: open the modal; its answer resolves the waiting decider."""
        from core.tui.screens.review import ReviewScreen

        self.pending = pending
        self.app.bell()
        self.app.push_screen(ReviewScreen(pending.view, by=self.by()), callback=pending.resolve)

    def drop(self) -> None:
        """UI thread: answer a waiting review with "aborted" and close its modal."""
        from core.tui.screens.review import ReviewScreen

        pending, self.pending = self.pending, None
        if pending is None or pending.resolved:
            return
        pending.resolve(_aborted())
        screen = self.app.screen
        if isinstance(screen, ReviewScreen) and screen.view is pending.view:
            screen.dismiss(None)
