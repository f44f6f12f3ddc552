"""The dashboard: loop state, gates as they run, evals across checkpoints, budget, and a log."""

from __future__ import annotations

import logging
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, RichLog

from core.events import (
    Event,
    GateFinished,
    GateStarted,
    LogLine,
    Phase,
    PhaseChanged,
    ProposalReady,
)
from core.tui.data import DiskState
from core.tui.widgets import BudgetPanel, GatePanel, LoopPanel, LoopView, ScorePanel

__all__ = ["DashboardScreen"]

logger = logging.getLogger(__name__)


class DashboardScreen(Screen[None]):
    def __init__(
        self, gate_names: tuple[str, ...], initial: LoopView, on_ready: Callable[[], None] = lambda: None
    ) -> None:
        super().__init__()
        self.gate_names = gate_names
        self.initial = initial
        self.on_ready = on_ready

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="top"):
            yield LoopPanel(id="loop")
            yield GatePanel(self.gate_names, id="gates")
        with Horizontal(id="middle"):
            yield ScorePanel(id="scores")
            yield BudgetPanel(id="budget")
        log = RichLog(id="log", wrap=True, markup=False, max_lines=1000)
        log.border_title = "log"
        yield log
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.loop.show(**vars(self.initial))
        self.on_ready()

    @property
    def loop(self) -> LoopPanel:
        return self.query_one(LoopPanel)

    @property
    def gates(self) -> GatePanel:
        return self.query_one(GatePanel)

    @property
    def scores(self) -> ScorePanel:
        return self.query_one(ScorePanel)

    @property
    def budget(self) -> BudgetPanel:
        return self.query_one(BudgetPanel)

    def log_line(self, message: str, level: str = "info") -> None:
        prefix = "" if level in ("info", "debug") else f"{level.upper()}: "
        style = "red" if level == "error" else "yellow" if level == "warning" else ""
        self.query_one(RichLog).write(Text(prefix + message, style=style))

    def show_event(self, event: Event, gate_names: tuple[str, ...], model: str) -> None:
        """One event of the loop (CycleFinished is logged; the app refreshes the rest)."""
        if isinstance(event, PhaseChanged):
            self.loop.show(phase=event.phase, detail=event.detail)
            if event.phase is Phase.PROPOSING and event.detail:
                self.loop.show(target=event.detail)
            if event.phase is Phase.VALIDATING:
                self.gates.reset(gate_names)
            if event.phase in (Phase.PAUSED, Phase.STOPPED):
                self.log_line(f"{event.phase}: {event.detail}" if event.detail else str(event.phase))
        elif isinstance(event, ProposalReady):
            p = event.proposal
            self.loop.show(target=p.target, proposal=f"{p.summary} ({p.proposer})", model=p.model or model)
            self.log_line(f"proposal: {p.summary} [{len(p.edits) or 'patch'} edit(s), {p.target}]")
        elif isinstance(event, GateStarted):
            self.gates.started(event.name, event.index, event.total)
        elif isinstance(event, GateFinished):
            self.gates.finished(event.result)
            if not event.result.passed:
                self.log_line(f"gate {event.result.name} failed: {event.result.summary}", "warning")
        elif isinstance(event, LogLine):
            self.log_line(event.message, event.level)
        else:
            verdict = event.verdict
            if event.checkpoint is not None:
                self.log_line(f"accepted as checkpoint {event.checkpoint} ({verdict.by}): {event.summary}")
            else:
                why = verdict.reason or event.summary
                self.log_line(f"{verdict.decision} by {verdict.by}: {why}", "warning")

    def show_disk(self, state: DiskState, *, attached: bool, pause_requested: bool) -> None:
        """A refresh from disk; attached to a daemon, its state file drives the loop panel."""
        snap = state.snapshot
        last = snap.last
        self.loop.show(
            head=f"ckpt {last.number}: {last.summary}" if last else "no checkpoint", inbox=snap.inbox
        )
        self.scores.show(snap.series)
        self.budget.show(snap.budget)
        if not attached:
            return
        session = f"read-only, lock: {state.lock}"
        if state.daemon is None:
            self.loop.show(session=session, detail="no daemon state file")
            return
        daemon = state.daemon
        s = daemon.state
        self.loop.show(
            phase=daemon.phase,
            detail="pause requested" if pause_requested and not s.paused else daemon.detail,
            session=session,
            cycles=s.cycles,
            accepted=s.accepted,
            rejected=s.rejected,
            proposal=s.last or self.loop.view.proposal,
            model=s.proposer or self.loop.view.model,
        )
        for line in state.log:
            self.log_line(line)
