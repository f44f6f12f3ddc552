"""`RatchetApp`: the Textual supervisor over one workspace.

The app owns one entered `Supervisor` (and so the workspace lock) for its lifetime, opened on a
worker thread right after the first frame (the loop's modules and the other screens are imported
there, so the first frame does not wait for them). If another process holds the lock (a running
daemon) the app attaches read-only: it shows the daemon's state file, log and inbox, hands inbox
decisions to it and can ask it to pause or stop through `.agent/PAUSE` / `.agent/STOP`. Cycles,
inbox approvals and reverts run on one worker thread (`LoopController`, `core.tui.jobs`); the UI
thread only renders and takes keys. A review the loop
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
from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from core.config import Config
from core.errors import Locked, RatchetError
from core.events import CycleFinished, Event, Phase
from core.gates import DEFAULT_GATES, Gate
from core.gitops import GitRepo
from core.journal import WorkspaceLock, pid_alive
from core.proposers.base import Proposer
from core.proposers.factory import describe_model, make_proposer
from core.records import Decision, Verdict
from core.tui.flows import ScreenFlows, human
from core.tui.messages import (
    LoopEvent,
    ReviewRequested,
    SessionOpened,
    SnapshotReady,
    WorkDone,
)
from core.tui.screens.dashboard import DashboardScreen
from core.tui.widgets import LoopView
from core.workspace import Workspace

if TYPE_CHECKING:
    from textual.timer import Timer

    from core.cycle import Supervisor
    from core.tui.bridge import HumanBridge
    from core.tui.controller import LoopController, RunMode
    from core.tui.data import DiskReader

__all__ = ["RatchetApp"]

logger = logging.getLogger(__name__)

#: how long quitting waits for an aborted candidate to be discarded
ABORT_WAIT_SECONDS = 60.0

#: every action in the command palette (ctrl+p): title, help, action name
PALETTE = (
    ("Start the loop", "Cycle until paused, stopped or out of proposals", "start"),
    ("Pause / resume", "Finish the current cycle, then wait", "pause"),
    ("Step one cycle", "Observe, propose, validate and decide once", "step"),
    ("Stop", "Abort the candidate in flight and stop the loop", "stop"),
    ("History", "Every checkpoint: open, diff two, revert", "history"),
    ("Inbox", "Proposals waiting for a human", "inbox"),
    ("Add a goal", "Steer the next targets in plain words", "goal"),
    ("Toggle review mode", "Review every change, or only what policy flags", "toggle_review"),
    ("Last attempt", "The gate report and diff of the last attempt", "last_attempt"),
    ("Refresh", "Re-read checkpoints, scores, budget and inbox", "refresh"),
)


class RatchetApp(ScreenFlows):
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
        self.bridge: HumanBridge | None = None
        self._job_idle = threading.Event()
        self._job_idle.set()
        self._job = ""
        self._released = False
        self._disk: DiskReader | None = None
        self._refresh_timer: Timer | None = None
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
        from core.tui.bridge import HumanBridge

        self.supervisor = sup
        self.bridge = HumanBridge(self, sup, human)
        self.controller = LoopController(
            sup, self._build_proposer, self.bridge.ask, review_all=self.review_all
        )
        recovered = sup.recovery.describe() if sup.recovery.acted else ""
        self.post_message(SessionOpened("owner", recovered))
        self._warm_up()

    @staticmethod
    def _warm_up() -> None:
        """Import the other screens now, off the UI thread, so they open without a pause."""
        import core.tui.daemonlink
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
        if self._refresh_timer is not None:
            self._refresh_timer.stop()
        seconds = 2.0 if self.session_mode == "attached" else 5.0
        self._refresh_timer = self.set_interval(seconds, self.refresh_data)

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

    def _sink(self, event: Event) -> None:
        self.post_message(LoopEvent(event))

    def on_loop_event(self, message: LoopEvent) -> None:
        if not self._showing:
            return
        event = message.event
        self.dashboard.show_event(event, tuple(g.name for g in self.gates), self._model_text())
        if isinstance(event, CycleFinished):
            self._show_counters()
            self.refresh_data()

    def _show_counters(self) -> None:
        c = self.controller
        if c is not None:
            self.dashboard.loop.show(cycles=c.cycles, accepted=c.accepted, rejected=c.rejected)

    # --- the human in the loop -------------------------------------------------------------------
    def on_review_requested(self, message: ReviewRequested) -> None:
        if self._released or self.bridge is None:
            message.pending.resolve(Verdict(Decision.SKIP, "aborted", "human"))
            return
        self.bridge.show(message.pending)

    def _drop_pending(self) -> None:
        if self.bridge is not None:
            self.bridge.drop()

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
        from core.tui.jobs import run_job

        controller = self.controller
        what = "a cycle" if mode is RunMode.STEP else "the loop"
        if controller is not None and self._start_job(what, lambda: run_job(controller, mode)):
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
            from core.tui.daemonlink import clear_pause, pause_requested, request_pause

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
            from core.tui.daemonlink import request_stop

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

    def action_toggle_review(self) -> None:
        self.review_all = not self.review_all
        if self.controller is not None:
            self.controller.review_all = self.review_all
        self.dashboard.loop.show(review_all=self.review_all)

    def action_refresh(self) -> None:
        self.refresh_data()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_text, action in PALETTE:
            yield SystemCommand(title, help_text, getattr(self, f"action_{action}"))

    # --- disk snapshot -----------------------------------------------------------------------------
    @work(thread=True, group="refresh")
    def refresh_data(self) -> None:
        if not self.agent_branch:
            return
        if self._disk is None:
            from core.tui.data import DiskReader

            self._disk = DiskReader(self.workspace, self.repo, self.agent_branch, self.config.budget)
        state = self._disk.read(attached=self.session_mode == "attached")
        if state is not None:
            self.post_message(SnapshotReady(state))

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        if not self._showing:
            return
        attached = self.session_mode == "attached"
        paused = False
        if attached:
            from core.tui.daemonlink import pause_requested

            paused = pause_requested(self.workspace)
        self.dashboard.show_disk(message.state, attached=attached, pause_requested=paused)
