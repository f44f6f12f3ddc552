"""History: every checkpoint on the agent branch; open one, diff two, revert one (gated)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label

from core.gitops import GitError
from core.history import LogEntry, checkpoint_log
from core.tui.screens.text import TextScreen
from core.tui.views import checkpoint_sections, diff_sections

if TYPE_CHECKING:
    from core.tui.app import RatchetApp

__all__ = ["HistoryScreen", "score_delta"]

logger = logging.getLogger(__name__)

COLUMNS = ("", "#", "time", "summary", "proposer", "score", "by")


def score_delta(score: str) -> str:
    """A `Ratchet-Score` trailer as deltas: "a 0.610->0.650" -> "+0.040"; a new suite shows its score."""
    items = score.split(", ")
    parts = []
    for item in items:
        name, _, change = item.rpartition(" ")
        before, arrow, after = change.partition("->")
        try:
            value = after if before == "new" else f"{float(after) - float(before):+.3f}"
        except ValueError:
            value = ""
        if not arrow or not value:
            parts.append(item)
        else:
            parts.append(f"{name} {value}" if len(items) > 1 else value)
    return ", ".join(parts)


class HistoryScreen(Screen[None]):
    BINDINGS = [
        Binding("enter,o", "open", "Open"),
        Binding("space", "mark", "Mark"),
        Binding("d", "diff", "Diff marked"),
        Binding("v", "revert", "Revert…"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[LogEntry] = []
        self.marked: list[int] = []

    @property
    def ratchet(self) -> RatchetApp:
        return cast("RatchetApp", self.app)

    def compose(self) -> ComposeResult:
        yield Label("History: checkpoints on the agent branch, newest first", id="history-title")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="history-table")
        yield Footer()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name or "mark")
        table.focus()
        self.reload()

    @work(thread=True, exclusive=True, group="history")
    def reload(self) -> None:
        """Read the checkpoint log again (after a revert, a new checkpoint, on demand)."""
        app = self.ratchet
        try:
            entries = checkpoint_log(app.repo, app.agent_branch)
        except GitError as exc:
            app.call_from_thread(self.notify, str(exc), severity="error")
            return
        app.call_from_thread(self._fill, entries)

    def _fill(self, entries: list[LogEntry]) -> None:
        table = self.query_one(DataTable)
        self.entries = entries
        self.marked = [n for n in self.marked if any(e.number == n for e in entries)]
        table.clear()
        for e in entries:
            table.add_row(
                "*" if e.number in self.marked else "",
                str(e.number),
                e.time[:16].replace("T", " "),
                Text(e.summary, no_wrap=True, overflow="ellipsis"),
                e.proposer,
                score_delta(e.score),
                e.approved_by,
                key=str(e.number),
            )

    @property
    def current(self) -> LogEntry | None:
        table = self.query_one(DataTable)
        if not self.entries or table.cursor_row < 0 or table.cursor_row >= len(self.entries):
            return None
        return self.entries[table.cursor_row]

    def action_open(self) -> None:
        entry = self.current
        if entry is None:
            return
        repo = self.ratchet.repo
        self.app.push_screen(
            TextScreen(f"Checkpoint {entry.number}", lambda: checkpoint_sections(repo, entry.number))
        )

    def action_mark(self) -> None:
        entry = self.current
        if entry is None:
            return
        if entry.number in self.marked:
            self.marked.remove(entry.number)
        else:
            self.marked = [*self.marked[-1:], entry.number]
        self.query_one(DataTable).update_cell(
            str(entry.number), "mark", "*" if entry.number in self.marked else ""
        )

    def action_diff(self) -> None:
        entry = self.current
        pair = self.marked if len(self.marked) == 2 else [*self.marked, entry.number] if entry else []
        if len(pair) != 2 or pair[0] == pair[1]:
            self.notify("mark one checkpoint with space, move to another (or mark it too), then press d")
            return
        repo = self.ratchet.repo
        first, second = pair
        self.app.push_screen(
            TextScreen(
                f"Diff of checkpoints {min(pair)} and {max(pair)}", lambda: diff_sections(repo, first, second)
            )
        )

    def action_revert(self) -> None:
        entry = self.current
        if entry is not None:
            self.ratchet.confirm_revert(entry.number, entry.summary)
