"""Small modals: confirm a revert (optionally accepting its eval regression) and add a goal."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Static

__all__ = ["GoalScreen", "RevertChoice", "RevertScreen"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RevertChoice:
    number: int
    allow_regression: bool = False


class RevertScreen(ModalScreen[RevertChoice]):
    """Confirm reverting a checkpoint: a new checkpoint that undoes it, through every gate."""

    BINDINGS = [
        Binding("y", "confirm(False)", "Revert"),
        Binding("r", "confirm(True)", "Revert, accept eval regression"),
        Binding("n,escape", "cancel", "Cancel"),
    ]

    def __init__(self, number: int, summary: str) -> None:
        super().__init__()
        self.number = number
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Revert checkpoint {self.number}?", classes="section-title")
            yield Static(
                Text(
                    f"{self.summary}\n\nA new checkpoint will undo it in mutable/, after passing every "
                    "gate. Undoing an improvement usually lowers the eval scores: press r to accept "
                    "that regression (it is measured and recorded), y to let the eval gate decide."
                )
            )
        yield Footer()

    def action_confirm(self, allow_regression: bool) -> None:
        self.dismiss(RevertChoice(self.number, allow_regression))

    def action_cancel(self) -> None:
        self.dismiss(None)


class GoalScreen(ModalScreen[str]):
    """Type a goal that steers the next targets; returns its text (None: cancelled)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, goals: tuple[str, ...]) -> None:
        super().__init__()
        self.goals = goals

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Add a goal", classes="section-title")
            current = "\n".join(f"- {g}" for g in self.goals[-5:]) or "(no goals yet)"
            yield Static(Text(f"Current goals:\n{current}"), id="goal-list")
            yield Input(placeholder='e.g. "handle Kotlin tasks better", then Enter', id="goal-input")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#goal-input", Input).focus()

    @on(Input.Submitted, "#goal-input")
    def _submitted(self, event: Input.Submitted) -> None:
        text = " ".join(event.value.split())
        if not text:
            self.notify("a goal needs some text", severity="warning")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
