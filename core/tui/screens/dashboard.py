"""The dashboard: loop state, gates as they run, evals across checkpoints, budget, and a log."""

from __future__ import annotations

import logging
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, RichLog

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
