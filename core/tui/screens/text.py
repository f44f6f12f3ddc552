"""A scrollable read-only view of sections (facts, a manifest, a diff) loaded off the UI thread."""

from __future__ import annotations

import logging
from collections.abc import Callable

from rich.syntax import Syntax
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from core.errors import RatchetError
from core.tui.screens.review import diff_renderable
from core.tui.views import Section

__all__ = ["TextScreen", "section_renderable"]

logger = logging.getLogger(__name__)


def section_renderable(section: Section) -> Text | Syntax:
    if section.kind == "diff":
        return diff_renderable(section.body)
    if section.kind == "json":
        return Syntax(section.body, "json", theme="ansi_dark", background_color="default", word_wrap=True)
    return Text(section.body)


class TextScreen(Screen[None]):
    """Title + sections; `load` runs on a worker thread (it may read git)."""

    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back")]

    def __init__(self, title: str, load: Callable[[], list[Section]]) -> None:
        super().__init__()
        self.title_text = title
        self._load = load

    def compose(self) -> ComposeResult:
        yield Label(self.title_text, id="text-title")
        with VerticalScroll(id="text-body"):
            yield Static("loading...", id="text-loading")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#text-body").focus()
        self._fill()

    @work(thread=True, exclusive=True)
    def _fill(self) -> None:
        try:
            sections = self._load()
        except RatchetError as exc:
            sections = [Section("Error", str(exc))]
        self.app.call_from_thread(self._show, sections)

    def _show(self, sections: list[Section]) -> None:
        body = self.query_one("#text-body", VerticalScroll)
        body.remove_children()
        widgets: list[Label | Static] = []
        for section in sections:
            widgets.append(Label(section.title, classes="section-title"))
            widgets.append(Static(section_renderable(section), classes="text-section"))
        body.mount_all(widgets)
