"""The review modal: rationale, syntax-highlighted diff, gate report, eval deltas → a `Verdict`.

Keys: `a` approve, `r` reject (type a reason, Enter), `s` skip (decide later: it stays in the
inbox), Escape skip / close. A read-only view (a finished attempt) only closes.
"""

from __future__ import annotations

import logging

from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Static

from core.records import Decision, Verdict
from core.tui.views import ReviewView, eval_lines, gate_lines

__all__ = ["ReviewScreen", "diff_renderable"]

logger = logging.getLogger(__name__)


def diff_renderable(diff: str) -> Syntax | Text:
    """A unified diff, highlighted; `+`/`-` markers keep it readable without colour."""
    if not diff.strip():
        return Text("(no diff)")
    return Syntax(diff.rstrip("\n"), "diff", theme="ansi_dark", background_color="default", word_wrap=False)


def _section(title: str) -> Label:
    return Label(title, classes="section-title")


class ReviewScreen(ModalScreen[Verdict]):
    """Shows one validated change and returns the human's verdict."""

    BINDINGS = [
        Binding("a", "approve", "Approve"),
        Binding("r", "reject", "Reject…"),
        Binding("s", "skip", "Skip"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, view: ReviewView, *, by: str = "human") -> None:
        super().__init__()
        self.view = view
        self.by = by

    def compose(self) -> ComposeResult:
        v = self.view
        p = v.proposal
        with Vertical(id="review"):
            head = Text(no_wrap=True, overflow="ellipsis")
            head.append(p.summary, style="bold")
            model = f" ({p.model})" if p.model else ""
            head.append(f"\ntarget {p.target} · proposer {p.proposer}{model} · {len(p.edits)} edit(s)")
            head.append(f"\npolicy: {v.policy_line}")
            if not (v.can_approve or v.can_reject) and v.locked_reason:
                head.append(f"\n{v.locked_reason}")
            yield Static(head, id="review-head")
            with VerticalScroll(id="review-body"):
                yield _section("Rationale")
                yield Static(Text(p.rationale.strip() or "(none given)"), id="review-rationale")
                yield _section("Diff")
                yield Static(diff_renderable(v.diff), id="review-diff")
                yield _section("Gates")
                yield Static(Text("\n".join(gate_lines(v.report))), id="review-gates")
                yield _section("Evals")
                yield Static(Text("\n".join(eval_lines(v))), id="review-evals")
            yield Input(placeholder="why reject? (goes to memory and the next proposal)", id="reason")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#review").border_title = self.view.title
        self.query_one("#reason", Input).display = False
        self.query_one("#review-body").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "approve":
            return self.view.can_approve
        if action in ("reject", "skip"):
            return self.view.can_reject
        return True

    def action_approve(self) -> None:
        self.dismiss(Verdict(Decision.ACCEPT, "approved in review", self.by))

    def action_reject(self) -> None:
        reason = self.query_one("#reason", Input)
        reason.display = True
        reason.focus()

    def action_skip(self) -> None:
        self.dismiss(Verdict(Decision.SKIP, "skipped in review", self.by))

    def action_back(self) -> None:
        reason = self.query_one("#reason", Input)
        if reason.display:
            reason.display = False
            self.query_one("#review-body").focus()
            return
        self.action_skip() if self.view.can_reject else self.dismiss(None)

    @on(Input.Submitted, "#reason")
    def _rejected(self, event: Input.Submitted) -> None:
        text = " ".join(event.value.split())
        if not text:
            self.notify("type a reason: it tells the next proposal what was wrong", severity="warning")
            return
        self.dismiss(Verdict(Decision.REJECT, text, self.by))
