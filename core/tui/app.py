"""`RatchetApp`: the Textual supervisor over one workspace.

The app owns one entered `Supervisor` (and so the workspace lock) for its lifetime, opened on a
worker thread right after the first frame (the loop's modules and the other screens are imported
there, so the first frame does not wait for them). If another process holds the lock (a running
daemon) the app attaches read-only: it shows the daemon's state file and inbox and can ask it to pause or
stop through `.agent/PAUSE` / `.agent/STOP`. Cycles, inbox approvals and reverts run on one
worker thread (`LoopController`); the UI thread only renders and takes keys. A review the loop
needs blocks that worker until the human answers the modal. Quitting mid-validation aborts the
candidate and waits for the worker, so the workspace stays at the last checkpoint.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from core.config import Config
from core.errors import Locked, RatchetError
from core.events import CycleFinished, GateFinished, GateStarted, LogLine, Phase, PhaseChanged, ProposalReady
from core.gates import DEFAULT_GATES, Gate
from core.gitops import GitRepo
from core.journal import WorkspaceLock, pid_alive
from core.observe import add_goal, read_goals
from core.proposers.base import Proposer
from core.proposers.factory import describe_model, make_proposer
from core.records import Decision, Verdict
from core.tui.daemonlink import (
    clear_pause,
    log_message,
    pause_requested,
    read_daemon,
    request_pause,
    request_stop,
)
from core.tui.messages import (
    LoopEvent,
    PendingDecision,
    ReviewRequested,
    SessionOpened,
    SnapshotReady,
    WorkDone,
)
from core.tui.screens.dashboard import DashboardScreen
from core.tui.widgets import LoopView
from core.workspace import Workspace

if TYPE_CHECKING:
    from core.cycle import Review, Supervisor
    from core.inbox import InboxItem
    from core.llm.ledger import Ledger
    from core.tui.controller import LoopController, RunMode
    from core.tui.data import ScoreHistory
    from core.tui.screens.dialogs import RevertChoice

__all__ = ["RatchetApp"]

logger = logging.getLogger(__name__)

#: how long quitting waits for an aborted candidate to be discarded
ABORT_WAIT_SECONDS = 60.0


def _human() -> str:
    from core.tui.controller import human

    return human()


class RatchetApp(App[None]):
    CSS_PATH = Path(__file__).with_name("ratchet.tcss")
    TITLE = "ratchet"
    BINDINGS = [
        Binding("s", "start", "Start"),
        Binding("p", "pause", "Pause"),
        Binding("n", "step", "Step"),
        Binding("x", "stop", "Stop"),
        Binding("h", "history", "History"),
        Binding("i", "inbox", "Inbox"),
        Binding("g", "goal", "Goal"),
        Binding("q", "quit", "Quit"),
        Binding("a", "toggle_review", "Review all/policy", show=False),
        Binding("l", "last_attempt", "Last attempt", show=False),
        Binding("r", "refresh", "Refresh", show=False),
    ]

    def __init__(
        self,
        workspace: Workspace,
        config: Config,
        *,
        gates: Sequence[Gate] | None = None,
        proposer: Proposer | None = None,
        review_all: bool = True,
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self.config = config
        self.repo = GitRepo(workspace.root)
        self.agent_branch = ""  # known once the session is open
        self.gates: tuple[Gate, ...] = tuple(gates) if gates is not None else DEFAULT_GATES
        self._proposer = proposer
        self.review_all = review_all
        self.session_mode = "starting"  # owner | attached | failed
        self.supervisor: Supervisor | None = None
        self.controller: LoopController | None = None
        self.dashboard = DashboardScreen(
            tuple(g.name for g in self.gates),
            LoopView(model=self._model_text(), review_all=review_all),
            on_ready=self._begin,
        )
        self._pending: PendingDecision | None = None
        self._job_idle = threading.Event()
        self._job_idle.set()
        self._job = ""
        self._released = False
        self._history: ScoreHistory | None = None
        self._ledger: Ledger | None = None
        self._refresh_lock = threading.Lock()
        self._log_offset = -1
        self.sub_title = workspace.root.name

    def _model_text(self) -> str:
        if self._proposer is not None and self._proposer.name in ("scripted", "codemod"):
            return f"none ({self._proposer.name} proposer)"
        return describe_model(self.config)

    # --- lifecycle -------------------------------------------------------------------------------
    def get_default_screen(self) -> Screen[None]:
        return self.dashboard

    def _begin(self) -> None:
        self._open_session()

    @work(thread=True, group="session", exclusive=True)
    def _open_session(self) -> None:
        from core.cycle import agent_branch_of
        from core.session import make_supervisor
        from core.tui.controller import LoopController

        try:
            self.agent_branch = agent_branch_of(self.config, self.repo)
            sup = make_supervisor(self.workspace, self.config, role="tui", sink=self._sink)
            sup.gates = self.gates
            sup.__enter__()
        except Locked as exc:
            self.post_message(SessionOpened("attached", str(exc)))
            self._warm_up()
            return
        except RatchetError as exc:
            self.post_message(SessionOpened("failed", str(exc)))
            return
        self.supervisor = sup
        self.controller = LoopController(
            sup, self._build_proposer, self._ask_human, review_all=self.review_all
        )
        recovered = sup.recovery.describe() if sup.recovery.acted else ""
        self.post_message(SessionOpened("owner", recovered))
        self._warm_up()

    @staticmethod
    def _warm_up() -> None:
        """Import the other screens now, off the UI thread, so they open without a pause."""
        import core.tui.screens.dialogs
        import core.tui.screens.history
        import core.tui.screens.inbox
        import core.tui.screens.review
        import core.tui.views  # noqa: F401

    def _build_proposer(self, stack: ExitStack) -> Proposer:
        if self._proposer is not None:
            return self._proposer
        return make_proposer(self.workspace, self.config, stack=stack)

    def on_session_opened(self, message: SessionOpened) -> None:
        if not self._showing:
            return
        self.session_mode = message.mode
        loop = self.dashboard.loop
        if message.mode == "owner":
            loop.show(session="writer (lock held here)")
            self.dashboard.log_line(f"opened workspace {self.workspace.root.name} on {self.agent_branch}")
            if message.detail:
                self.dashboard.log_line(message.detail, "warning")
            self.dashboard.log_line("s starts the loop, n runs one cycle, ctrl+p lists every action")
        elif message.mode == "attached":
            loop.show(session="read-only (another process writes)", phase="attached")
            self.dashboard.log_line(message.detail, "warning")
            self.dashboard.log_line("attached read-only: p pauses or resumes the daemon, x stops it")
        else:
            loop.show(session=f"not opened: {message.detail}", phase="error")
            self.dashboard.log_line(message.detail, "error")
        self.refresh_bindings()
        self.refresh_data()
        self.set_interval(2.0 if self.session_mode == "attached" else 5.0, self.refresh_data)

    async def on_unmount(self) -> None:
        await self._release_session()

    async def _release_session(self) -> None:
        """Abort what runs, wait for its worker to discard the candidate, release the lock."""
        if self._released:
            return
        self._released = True
        if not self._job_idle.is_set() and self.controller is not None:
            self.controller.abort()
            self._drop_pending()
            deadline = time.monotonic() + ABORT_WAIT_SECONDS
            while not self._job_idle.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if not self._job_idle.is_set():
                logger.warning("the aborted %s did not finish; `ratchet recover` will clean up", self._job)
                return
        if self.controller is not None:
            self.controller.close()
        if self.supervisor is not None:
            self.supervisor.__exit__(None, None, None)
            self.supervisor = None

    async def action_quit(self) -> None:
        if not self._job_idle.is_set():
            self.dashboard.log_line("quitting: aborting the candidate in flight...", "warning")
            self.dashboard.loop.show(phase="aborting")
        await self._release_session()
        self.exit()

    # --- events from the loop (worker thread -> messages) ------------------------------------------
    @property
    def _showing(self) -> bool:
        """The dashboard is there to update (not while the app shuts down)."""
        return not self._released and self.dashboard.is_attached and self.dashboard.is_mounted

    def _sink(self, event: object) -> None:
        self.post_message(LoopEvent(event))  # type: ignore[arg-type]

    def on_loop_event(self, message: LoopEvent) -> None:
        if not self._showing:
            return
        event = message.event
        board = self.dashboard
        if isinstance(event, PhaseChanged):
            board.loop.show(phase=event.phase, detail=event.detail)
            if event.phase is Phase.PROPOSING and event.detail:
                board.loop.show(target=event.detail)
            if event.phase is Phase.VALIDATING:
                board.gates.reset(tuple(g.name for g in self.gates))
            if event.phase in (Phase.PAUSED, Phase.STOPPED):
                board.log_line(f"{event.phase}: {event.detail}" if event.detail else str(event.phase))
        elif isinstance(event, ProposalReady):
            p = event.proposal
            board.loop.show(
                target=p.target,
                proposal=f"{p.summary} ({p.proposer})",
                model=p.model or self._model_text(),
            )
            board.log_line(f"proposal: {p.summary} [{len(p.edits) or 'patch'} edit(s), {p.target}]")
        elif isinstance(event, GateStarted):
            board.gates.started(event.name, event.index, event.total)
        elif isinstance(event, GateFinished):
            board.gates.finished(event.result)
            r = event.result
            if not r.passed:
                board.log_line(f"gate {r.name} failed: {r.summary}", "warning")
        elif isinstance(event, CycleFinished):
            self._cycle_finished(event)
        elif isinstance(event, LogLine):
            board.log_line(event.message, event.level)

    def _cycle_finished(self, event: CycleFinished) -> None:
        verdict = event.verdict
        if event.checkpoint is not None:
            line = f"accepted as checkpoint {event.checkpoint} ({verdict.by}): {event.summary}"
        else:
            line = f"{verdict.decision} by {verdict.by}: {verdict.reason or event.summary}"
        self.dashboard.log_line(line, "info" if event.checkpoint is not None else "warning")
        self._show_counters()
        self.refresh_data()

    def _show_counters(self) -> None:
        c = self.controller
        if c is not None:
            self.dashboard.loop.show(cycles=c.cycles, accepted=c.accepted, rejected=c.rejected)

    # --- the human in the loop -------------------------------------------------------------------
    def _ask_human(self, review: Review, reasons: tuple[str, ...]) -> Verdict:
        """Called on the worker thread: show the review modal and block until it is answered."""
        from core.tui.views import view_of_review

        sup = self.supervisor
        assert sup is not None
        pending = PendingDecision(view_of_review(review, reasons, sup.policy.evals))
        self.post_message(ReviewRequested(pending))
        while True:
            verdict = pending.wait(0.1)
            if verdict is not None:
                return verdict
            if sup.cancelled.is_set():
                pending.resolve(Verdict(Decision.SKIP, "aborted", "human"))

    def on_review_requested(self, message: ReviewRequested) -> None:
        if self._released:
            message.pending.resolve(Verdict(Decision.SKIP, "aborted", "human"))
            return
        from core.tui.screens.review import ReviewScreen

        self._pending = message.pending
        self.bell()
        self.push_screen(ReviewScreen(message.pending.view, by=_human()), callback=message.pending.resolve)

    def _drop_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is None or pending.resolved:
            return
        pending.resolve(Verdict(Decision.SKIP, "aborted", "human"))
        from core.tui.screens.review import ReviewScreen

        for screen in self.screen_stack:
            if isinstance(screen, ReviewScreen) and screen.view is pending.view and screen.is_current:
                screen.dismiss(None)

    # --- jobs on the loop worker -----------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return not self._job_idle.is_set()

    def _start_job(self, what: str, job: Callable[[], WorkDone]) -> bool:
        if self.session_mode != "owner" or self.controller is None:
            self.notify(self._not_owner(), severity="warning")
            return False
        if self.busy:
            self.notify(f"busy with {self._job}; wait for it or press x to stop it", severity="warning")
            return False
        self._job_idle.clear()
        self._job = what
        self._run_job(job)
        self.refresh_bindings()
        return True

    @work(thread=True, exclusive=True, group="loop")
    def _run_job(self, job: Callable[[], WorkDone]) -> None:
        try:
            done = job()
        finally:
            self._job_idle.set()
        self.post_message(done)

    def on_work_done(self, message: WorkDone) -> None:
        if not self._showing:
            return
        self.refresh_bindings()
        self._show_counters()
        if message.message:
            self.dashboard.log_line(message.message)
        if message.report is None and message.message:
            self.notify(message.message)  # an inbox decision or a revert: say how it went
        elif message.report is not None and message.report.ended.startswith("error"):
            self.notify(message.report.ended, severity="error")
        for screen in self.screen_stack:
            reload = getattr(screen, "reload", None)
            if callable(reload):
                reload()
        self.refresh_data()

    def _not_owner(self) -> str:
        if self.session_mode == "attached":
            return "another process owns this workspace (read-only here): p pauses it, x stops it"
        if self.session_mode == "failed":
            return "the workspace could not be opened; see the log"
        return "still opening the workspace..."

    # --- actions ---------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim what cannot run now (None); everything stays listed."""
        if self.session_mode == "owner":
            if action == "step" and self.busy:
                return None
            if action == "start" and self.busy and not self._pausing:
                return None
            if action == "stop" and not self.busy:
                return None
        return True

    @property
    def _pausing(self) -> bool:
        return self.controller is not None and self.controller.pause_requested.is_set()

    def _run(self, mode: RunMode) -> None:
        from core.tui.controller import RunMode

        controller = self.controller

        def job() -> WorkDone:
            assert controller is not None
            report = controller.run(mode)
            return WorkDone("run", report, f"loop {report.ended} after {report.cycles} cycle(s)")

        if self._start_job("a cycle" if mode is RunMode.STEP else "the loop", job):
            self.dashboard.log_line("running one cycle" if mode is RunMode.STEP else "loop started")

    def action_start(self) -> None:
        if self.session_mode == "attached":
            self._take_over()
            return
        if self.busy and self.controller is not None and self._pausing:
            self.controller.pause_requested.clear()
            self.dashboard.loop.show(detail="")
            self.dashboard.log_line("pause cancelled; the loop goes on")
            return
        from core.tui.controller import RunMode

        self._run(RunMode.RUN)

    def action_step(self) -> None:
        from core.tui.controller import RunMode

        self._run(RunMode.STEP)

    def action_pause(self) -> None:
        if self.session_mode == "attached":
            if pause_requested(self.workspace):
                clear_pause(self.workspace)
                self.dashboard.log_line("asked the daemon to resume (removed .agent/PAUSE)")
            else:
                request_pause(self.workspace)
                self.dashboard.log_line("asked the daemon to pause (wrote .agent/PAUSE)")
            self.refresh_data()
            return
        if self.controller is None:
            self.notify(self._not_owner(), severity="warning")
            return
        if not self.busy:
            if self.dashboard.loop.view.phase == Phase.PAUSED:
                self.action_start()  # resume
            else:
                self.notify("the loop is not running (s starts it)")
            return
        if self._pausing:
            self.action_start()
            return
        self.controller.pause_requested.set()
        self.dashboard.loop.show(detail="pausing after this cycle (p again resumes)")
        self.dashboard.log_line("pause requested: the current cycle finishes, no new one starts")

    def action_stop(self) -> None:
        if self.session_mode == "attached":
            request_stop(self.workspace)
            self.dashboard.log_line("asked the daemon to stop (wrote .agent/STOP)")
            return
        if self.controller is None or not self.busy:
            self.notify("nothing is running")
            return
        self.controller.abort()
        self._drop_pending()
        self.dashboard.loop.show(detail="stopping: the candidate is discarded")
        self.dashboard.log_line("stop: aborting the candidate in flight", "warning")

    def _take_over(self) -> None:
        owner = WorkspaceLock(self.workspace.lock_path).owner()
        if owner is not None and pid_alive(owner[0]):
            self.notify(self._not_owner(), severity="warning")
            return
        self.dashboard.log_line("the lock is free: opening the workspace as its writer")
        self._open_session()

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

    def action_toggle_review(self) -> None:
        self.review_all = not self.review_all
        if self.controller is not None:
            self.controller.review_all = self.review_all
        self.dashboard.loop.show(review_all=self.review_all)

    def action_last_attempt(self) -> None:
        from core.tui.screens.review import ReviewScreen
        from core.tui.views import view_of_outcome

        attempt = self.controller.last_attempt if self.controller else None
        view = view_of_outcome(attempt) if attempt is not None else None
        if view is None:
            self.notify("no attempt has finished yet")
            return
        self.push_screen(ReviewScreen(view))

    def action_refresh(self) -> None:
        self.refresh_data()

    def confirm_revert(self, number: int, summary: str) -> None:
        from core.tui.screens.dialogs import RevertScreen

        self.push_screen(RevertScreen(number, summary), callback=self._revert_confirmed)

    def _revert_confirmed(self, choice: RevertChoice | None) -> None:
        controller = self.controller
        if choice is None or controller is None:
            if choice is not None:
                self.notify(self._not_owner(), severity="warning")
            return

        def job() -> WorkDone:
            try:
                outcome = controller.revert(choice.number, allow_regression=choice.allow_regression)
            except RatchetError as exc:
                return WorkDone("revert", message=f"revert of checkpoint {choice.number} refused: {exc}")
            if outcome.accepted:
                return WorkDone(
                    "revert", message=f"reverted {choice.number} as checkpoint {outcome.checkpoint}"
                )
            return WorkDone("revert", message=f"revert of {choice.number} rejected: {outcome.verdict.reason}")

        self._start_job(f"reverting checkpoint {choice.number}", job)

    def review_inbox_item(self, item: InboxItem) -> None:
        from core.tui.screens.review import ReviewScreen
        from core.tui.views import view_of_item

        attached = self.session_mode == "attached"  # decisions are handed to the daemon
        can = attached or (self.session_mode == "owner" and not self.busy)
        why = "" if can else self._not_owner() if self.session_mode != "owner" else f"busy with {self._job}"
        self.push_screen(
            ReviewScreen(view_of_item(item, can_decide=can, locked_reason=why), by=_human()),
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
        if verdict.decision is Decision.REJECT:

            def reject() -> WorkDone:
                controller.reject_item(item, verdict.reason)
                return WorkDone("inbox", message=f"rejected inbox item {item.id}")

            self._start_job(f"rejecting {item.id}", reject)
            return

        def approve() -> WorkDone:
            try:
                outcome = controller.approve_item(item)
            except RatchetError as exc:
                return WorkDone("inbox", message=f"inbox item {item.id} not submitted: {exc}")
            if outcome.accepted:
                return WorkDone("inbox", message=f"inbox item {item.id} is checkpoint {outcome.checkpoint}")
            why = outcome.verdict.reason
            return WorkDone(
                "inbox", message=f"inbox item {item.id} failed re-validation and was dropped: {why}"
            )

        self._start_job(f"re-validating {item.id}", approve)

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

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Start the loop", "Cycle until paused, stopped or out of proposals", self.action_start
        )
        yield SystemCommand("Pause / resume", "Finish the current cycle, then wait", self.action_pause)
        yield SystemCommand("Step one cycle", "Observe, propose, validate and decide once", self.action_step)
        yield SystemCommand("Stop", "Abort the candidate in flight and stop the loop", self.action_stop)
        yield SystemCommand("History", "Every checkpoint: open, diff two, revert", self.action_history)
        yield SystemCommand("Inbox", "Proposals waiting for a human", self.action_inbox)
        yield SystemCommand("Add a goal", "Steer the next targets in plain words", self.action_goal)
        yield SystemCommand(
            "Toggle review mode", "Review every change, or only what policy flags", self.action_toggle_review
        )
        yield SystemCommand(
            "Last attempt", "The gate report and diff of the last attempt", self.action_last_attempt
        )
        yield SystemCommand("Refresh", "Re-read checkpoints, scores, budget and inbox", self.action_refresh)

    # --- disk snapshot -----------------------------------------------------------------------------
    @work(thread=True, group="refresh")
    def refresh_data(self) -> None:
        if not self.agent_branch or not self._refresh_lock.acquire(blocking=False):
            return
        try:
            if self._history is None or self._ledger is None:
                from core.llm.ledger import Ledger
                from core.tui.data import ScoreHistory

                self._history = ScoreHistory(self.repo, self.agent_branch)
                self._ledger = Ledger(self.workspace.ledger_path)
            snapshot = self._history.snapshot(self.workspace, self._ledger, self.config.budget)
            daemon = read_daemon(self.workspace) if self.session_mode == "attached" else None
            owner = WorkspaceLock(self.workspace.lock_path).owner()
            lock = f"pid {owner[0]} ({owner[1]})" if owner else "free"
            tail = self._read_log_tail() if self.session_mode == "attached" else []
        finally:
            self._refresh_lock.release()
        self.post_message(SnapshotReady(snapshot, daemon, lock))
        for line in tail:
            self.post_message(LoopEvent(LogLine(line)))

    def _read_log_tail(self) -> list[str]:
        """New lines of the daemon's log (`.agent/ratchet.log`), from its end when first attached."""
        path: Path = self.workspace.log_path
        if not path.is_file():
            return []
        size = path.stat().st_size
        if self._log_offset < 0 or size < self._log_offset:
            self._log_offset = max(0, size - 2000)
        with path.open("rb") as fh:
            fh.seek(self._log_offset)
            data = fh.read()
        complete = data[: data.rfind(b"\n") + 1]
        self._log_offset += len(complete)
        return [
            log_message(line) for line in complete.decode("utf-8", "replace").splitlines() if line.strip()
        ]

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        if not self._showing:
            return
        snap = message.snapshot
        board = self.dashboard
        last = snap.last
        board.loop.show(head=f"ckpt {last.number}: {last.summary}" if last else "no checkpoint")
        board.scores.show(snap.series)
        board.budget.show(snap.budget)
        board.loop.show(inbox=snap.inbox)
        daemon = message.daemon
        if self.session_mode == "attached":
            paused = pause_requested(self.workspace)
            if daemon is not None:
                s = daemon.state
                board.loop.show(
                    phase=daemon.phase,
                    detail="pause requested" if paused and not s.paused else daemon.detail,
                    session=f"read-only, lock: {message.lock}",
                    cycles=s.cycles,
                    accepted=s.accepted,
                    rejected=s.rejected,
                    proposal=s.last or board.loop.view.proposal,
                    model=s.proposer or board.loop.view.model,
                )
            else:
                board.loop.show(session=f"read-only, lock: {message.lock}", detail="no daemon state file")
