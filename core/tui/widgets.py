"""Dashboard panels: loop state, gates with live progress, eval sparklines, budget.

Each panel is told what to show by the app (from Supervisor events or a disk snapshot); none of
them reads the workspace itself. Text carries the meaning (ok / FAIL / run), colour only helps.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, ProgressBar, Sparkline, Static

from core.events import Phase
from core.records import GateResult
from core.tui.data import BudgetView, SuiteSeries

__all__ = ["BudgetPanel", "GatePanel", "LoopPanel", "LoopView", "ScorePanel"]

logger = logging.getLogger(__name__)

SPINNER = "|/-\\"
#: phases whose elapsed time the loop panel shows (a local model can take minutes to propose)
TIMED_PHASES = frozenset({Phase.OBSERVING, Phase.PROPOSING, Phase.VALIDATING, Phase.COMMITTING})


@dataclass(frozen=True)
class LoopView:
    """Everything the loop panel prints."""

    phase: str = Phase.IDLE
    detail: str = ""
    session: str = "opening the workspace"
    review_all: bool = True
    target: str = ""
    proposal: str = ""
    model: str = ""
    cycles: int = 0
    accepted: int = 0
    rejected: int = 0
    inbox: int = 0
    head: str = ""


class LoopPanel(Static):
    """State of the loop and the proposal in hand."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view = LoopView()
        self.border_title = "loop"
        self._phase_started = time.monotonic()

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self.view.phase in TIMED_PHASES:
            self.update(self.render_view())

    def show(self, **changes: object) -> None:
        if "phase" in changes and changes["phase"] != self.view.phase:
            self._phase_started = time.monotonic()
        self.view = replace(self.view, **changes)  # type: ignore[arg-type]
        self.update(self.render_view())

    def render_view(self) -> Text:
        v = self.view
        text = Text()
        text.append("state    ")
        text.append(str(v.phase).upper(), style="bold")
        if v.phase in TIMED_PHASES:
            text.append(f" {time.monotonic() - self._phase_started:.0f}s")
        if v.detail:
            text.append(f"  {v.detail}")
        rows = (
            ("session", v.session),
            ("review", "every change" if v.review_all else "only when policy asks"),
            ("target", v.target or "-"),
            ("proposal", v.proposal or "-"),
            ("model", v.model or "-"),
            ("cycles", f"{v.cycles} · {v.accepted} accepted · {v.rejected} rejected"),
            ("inbox", f"{v.inbox} waiting" + (" (i opens it)" if v.inbox else "")),
            ("head", v.head or "-"),
        )
        for name, value in rows:
            text.append(f"\n{name:<9}{value}")
        text.no_wrap = True
        text.overflow = "ellipsis"
        return text


@dataclass(frozen=True)
class _GateRow:
    name: str
    status: str = ""  # "" pending | run | ok | FAIL | skip
    seconds: float = 0.0
    summary: str = ""


class GatePanel(Vertical):
    """Each gate as it runs: a status word, its time, a spinner on the running one, overall progress."""

    def __init__(self, names: tuple[str, ...] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "gates"
        self._rows = [_GateRow(n) for n in names]
        self._started = 0.0
        self._frame = 0

    def compose(self) -> ComposeResult:
        yield Static(self._render_rows(), id="gate-rows")
        yield ProgressBar(
            total=max(1, len(self._rows)), show_eta=False, show_percentage=False, id="gate-progress"
        )

    def on_mount(self) -> None:
        self._timer = self.set_interval(0.1, self._tick, pause=True)

    @property
    def running(self) -> str | None:
        return next((r.name for r in self._rows if r.status == "run"), None)

    def reset(self, names: tuple[str, ...]) -> None:
        self._rows = [_GateRow(n) for n in names]
        self._timer.pause()
        bar = self.query_one(ProgressBar)
        bar.update(total=max(1, len(names)), progress=0)
        self._redraw()

    def started(self, name: str, index: int, total: int) -> None:
        rows = self._rows[:index]
        rows += [_GateRow(f"gate {i + 1}") for i in range(len(rows), index)]
        matches = len(self._rows) == total and self._rows[index].name == name
        rest = (
            self._rows[index + 1 :]
            if matches
            else [_GateRow(f"gate {i + 1}") for i in range(index + 1, total)]
        )
        self._rows = [*rows, _GateRow(name, "run"), *rest]
        self._started = time.monotonic()
        self.query_one(ProgressBar).update(total=total, progress=index)
        self._timer.resume()
        self._redraw()

    def finished(self, result: GateResult) -> None:
        status = "skip" if result.skipped else "ok" if result.passed else "FAIL"
        for i, row in enumerate(self._rows):
            if row.name == result.name and row.status in ("run", ""):
                self._rows[i] = _GateRow(result.name, status, result.seconds, result.summary)
                break
        done = sum(1 for r in self._rows if r.status in ("ok", "FAIL", "skip"))
        self.query_one(ProgressBar).update(progress=done)
        if self.running is None:
            self._timer.pause()
        self._redraw()

    def _tick(self) -> None:
        self._frame += 1
        self._redraw()

    def _redraw(self) -> None:
        self.query_one("#gate-rows", Static).update(self._render_rows())

    def _render_rows(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        if not self._rows:
            text.append("no gates")
        for i, row in enumerate(self._rows):
            if i:
                text.append("\n")
            if row.status == "run":
                elapsed = time.monotonic() - self._started
                spinner = SPINNER[self._frame % len(SPINNER)]
                text.append(f"{spinner} run ", style="bold")
                text.append(f"{row.name:<10}{elapsed:6.1f}s")
            elif row.status:
                style = "red bold" if row.status == "FAIL" else "green" if row.status == "ok" else ""
                text.append(f"{row.status:<5} ", style=style)
                text.append(f"{row.name:<10}{row.seconds:6.2f}s  {row.summary}")
            else:
                text.append(f"  ·   {row.name}", style="dim")
        return text


class ScorePanel(VerticalScroll):
    """One row per eval suite: latest score, change, and a sparkline across checkpoints."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "evals across checkpoints"
        self.series: tuple[SuiteSeries, ...] = ()

    def compose(self) -> ComposeResult:
        yield Label("no scores yet")

    def show(self, series: tuple[SuiteSeries, ...]) -> None:
        if series == self.series:
            return
        self.series = series
        self.remove_children()
        if not series:
            self.mount(Label("no scores yet"))
            return
        rows = []
        for s in series:
            label = Label(f"{s.name[:14]:<14} {s.latest:.3f} {s.change:+.3f}", classes="score-label")
            rows.append(
                Horizontal(label, Sparkline(list(s.points), classes="score-line"), classes="score-row")
            )
        self.mount_all(rows)


class BudgetPanel(Static):
    """Tokens, cost and calls recorded in the LLM ledger, against the budget."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "budget"
        self.view = BudgetView()

    def show(self, view: BudgetView) -> None:
        self.view = view
        self.update(Text("\n".join(view.lines()), no_wrap=True, overflow="ellipsis"))
