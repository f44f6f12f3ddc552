"""The TUI's screen flows: history, inbox, goal, revert and last-attempt, as a mixin of the app.

Each flow opens a screen and, when the human answers, starts a job on the loop worker (or, when a
daemon owns the workspace, hands the decision to it). Kept apart from `app.py` so the app class
stays about the session, the loop and the dashboard.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import App

from core.errors import RatchetError
from core.observe import add_goal, read_goals
from core.records import Decision, Verdict
from core.tui.messages import WorkDone
from core.tui.screens.dashboard import DashboardScreen
from core.workspace import Workspace

if TYPE_CHECKING:
    from core.inbox import InboxItem
    from core.tui.controller import LoopController
    from core.tui.screens.dialogs import RevertChoice

__all__ = ["ScreenFlows", "human"]

logger = logging.getLogger(__name__)


def human() -> str:
    """How approvals name the person at the keyboard (`human:<user>`, as `ratchet inbox` does)."""
    from core.tui.controller import human as name

    return name()


class ScreenFlows(App[None]):
    """Mixed into `RatchetApp`; relies on the attributes and methods declared here."""

    workspace: Workspace
    agent_branch: str
    session_mode: str
    controller: LoopController | None
    dashboard: DashboardScreen
    _job: str

    @property
    def busy(self) -> bool:
        raise NotImplementedError

    def _not_owner(self) -> str:
        raise NotImplementedError

    def _start_job(self, what: str, job: Callable[[], WorkDone]) -> bool:
        raise NotImplementedError

    def action_history(self) -> None:
        from core.tui.screens.history import HistoryScreen

        if not self.agent_branch:
            self.notify(self._not_owner())
        elif not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen())

    def action_inbox(self) -> None:
        from core.tui.screens.inbox import InboxScreen

        if not isinstance(self.screen, InboxScreen):
            self.push_screen(InboxScreen())

    def action_goal(self) -> None:
        from core.tui.screens.dialogs import GoalScreen

        self.push_screen(GoalScreen(read_goals(self.workspace)), callback=self._goal_added)

    def _goal_added(self, goal: str | None) -> None:
        if goal:
            add_goal(self.workspace, goal)
            self.dashboard.log_line(f"goal added: {goal}")
            self.notify("goal added: it steers the next targets")

    def action_last_attempt(self) -> None:
        from core.tui.screens.review import ReviewScreen
        from core.tui.views import view_of_outcome

        attempt = self.controller.last_attempt if self.controller else None
        view = view_of_outcome(attempt) if attempt is not None else None
        if view is None:
            self.notify("no attempt has finished yet")
            return
        self.push_screen(ReviewScreen(view))

    def confirm_revert(self, number: int, summary: str) -> None:
        from core.tui.screens.dialogs import RevertScreen

        self.push_screen(RevertScreen(number, summary), callback=self._revert_confirmed)

    def _revert_confirmed(self, choice: RevertChoice | None) -> None:
        controller = self.controller
        if choice is None or controller is None:
            if choice is not None:
                self.notify(self._not_owner(), severity="warning")
            return

        from core.tui.jobs import revert_job

        number, allow = choice.number, choice.allow_regression
        self._start_job(f"reverting checkpoint {number}", lambda: revert_job(controller, number, allow))

    def review_inbox_item(self, item: InboxItem) -> None:
        from core.tui.screens.review import ReviewScreen
        from core.tui.views import view_of_item

        attached = self.session_mode == "attached"  # decisions are handed to the daemon
        can = attached or (self.session_mode == "owner" and not self.busy)
        why = "" if can else self._not_owner() if self.session_mode != "owner" else f"busy with {self._job}"
        self.push_screen(
            ReviewScreen(view_of_item(item, can_decide=can, locked_reason=why), by=human()),
            callback=lambda verdict: self._inbox_decided(item, verdict),
        )

    def _inbox_decided(self, item: InboxItem, verdict: Verdict | None) -> None:
        if verdict is None or verdict.decision is Decision.SKIP:
            return
        if self.session_mode == "attached":
            self._hand_to_daemon(item, verdict)
            return
        controller = self.controller
        if controller is None:
            return
        from core.tui.jobs import approve_job, reject_job

        if verdict.decision is Decision.REJECT:
            reason = verdict.reason
            self._start_job(f"rejecting {item.id}", lambda: reject_job(controller, item, reason))
        else:
            self._start_job(f"re-validating {item.id}", lambda: approve_job(controller, item))

    def _hand_to_daemon(self, item: InboxItem, verdict: Verdict) -> None:
        """The daemon holds the lock: leave the decision for it to carry out between cycles."""
        from core.daemon_inbox import human_name, request_decision

        kind = "approve" if verdict.decision is Decision.ACCEPT else "reject"
        note = verdict.reason if kind == "reject" else ""
        try:
            request_decision(self.workspace, item.id, kind, human_name(), note)
        except RatchetError as exc:
            self.notify(str(exc), severity="error")
            return
        self.dashboard.log_line(f"{kind} of inbox item {item.id} handed to the daemon (after its cycle)")
        self.notify(f"the daemon will {kind} {item.id} between cycles")
