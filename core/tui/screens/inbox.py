"""Inbox: proposals queued for a human (by the daemon, or skipped in review); review each."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label

from core.inbox import InboxItem, list_inbox

if TYPE_CHECKING:
    from core.tui.app import RatchetApp

__all__ = ["InboxScreen"]

logger = logging.getLogger(__name__)


class InboxScreen(Screen[None]):
    BINDINGS = [
        Binding("enter,o", "review", "Review"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[InboxItem] = []

    @property
    def ratchet(self) -> RatchetApp:
        return cast("RatchetApp", self.app)

    def compose(self) -> ComposeResult:
        yield Label("Inbox: validated proposals waiting for a human", id="inbox-title")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="inbox-table")
        yield Footer()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_review()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in ("id", "summary", "why it waits"):
            table.add_column(name, key=name)
        table.focus()
        self.reload()

    @work(thread=True, exclusive=True, group="inbox")
    def reload(self) -> None:
        items = list_inbox(self.ratchet.workspace)
        self.app.call_from_thread(self._fill, items)

    def _fill(self, items: list[InboxItem]) -> None:
        self.items = items
        table = self.query_one(DataTable)
        table.clear()
        for item in items:
            table.add_row(
                item.id,
                Text(item.proposal.summary, no_wrap=True, overflow="ellipsis"),
                Text(item.reason, no_wrap=True, overflow="ellipsis"),
                key=item.id,
            )
        self.query_one("#inbox-title", Label).update(
            f"Inbox: {len(items)} validated proposal(s) waiting for a human" if items else "Inbox is empty"
        )

    def action_review(self) -> None:
        table = self.query_one(DataTable)
        if 0 <= table.cursor_row < len(self.items):
            self.ratchet.review_inbox_item(self.items[table.cursor_row])
