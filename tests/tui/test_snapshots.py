"""Snapshot tests (pytest-textual-snapshot) of the dashboard, review and history screens at 80x24.

Volatile facts are fixed or masked: the review shows a hand-made `Review`; the history's commit
times are replaced before the screenshot. Update with `pytest tests/tui --snapshot-update`.
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import DataTable

from core.cycle import Review
from core.policy import EvalThresholds
from core.records import CaseResult, GateReport, GateResult, Scores, SuiteResult
from core.tui.app import RatchetApp
from core.tui.screens.review import ReviewScreen
from core.tui.views import view_of_review
from core.workspace import Workspace
from tests.tui.helpers import classify_zero, make_app, opened, screen_name, wait_for

SIZE = (80, 24)

REVIEW_DIFF = """\
--- a/mutable/calc.py
+++ b/mutable/calc.py
@@ -12,4 +12,6 @@ def classify(n: int) -> str:
     \"\"\"Sign of `n` as a word.\"\"\"
     if n < 0:
         return "negative"
+    if n == 0:
+        return "zero"
     return "positive"
"""


def suite(*passed: bool) -> SuiteResult:
    ids = ("neg-1", "neg-5", "pos-3", "zero")
    cases = tuple(CaseResult(cid, ok, 1.0 if ok else 0.0) for cid, ok in zip(ids, passed, strict=True))
    return SuiteResult("classify", True, cases)


def fixed_review() -> Review:
    report = GateReport(
        (
            GateResult("boundary", True, 0.01, "1 file(s) within bounds"),
            GateResult("ruff", True, 0.12, "1 file(s) clean"),
            GateResult("mypy", True, 1.84, "strict clean"),
            GateResult("pytest", True, 0.93, "4 passed in 0.05s"),
            GateResult("evals", True, 0.41, "classify 0.75→1.00 (+1 -0)"),
            GateResult("integrity", True, 0.02, "protected/ sealed, tree unchanged"),
        )
    )
    return Review(
        proposal=classify_zero(),
        diff=REVIEW_DIFF,
        report=report,
        scores_before=Scores((suite(True, True, True, False),)),
        scores_after=Scores((suite(True, True, True, True),)),
        comparison="classify 0.75→1.00 (+1 -0)",
        changed=("mutable/calc.py",),
    )


async def _dashboard(pilot: Pilot[None]) -> None:
    app = await opened(pilot)
    await wait_for(pilot, lambda: bool(app.dashboard.scores.series))
    await pilot.pause()


def test_dashboard_snapshot(mini: Workspace, snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(mini), terminal_size=SIZE, run_before=_dashboard)


def test_review_snapshot(mini: Workspace, snap_compare) -> None:  # type: ignore[no-untyped-def]
    view = view_of_review(fixed_review(), ("touches mutable/prompts.py",), EvalThresholds())

    async def review(pilot: Pilot[None]) -> None:
        await _dashboard(pilot)
        pilot.app.push_screen(ReviewScreen(view))
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ReviewScreen))
        await pilot.pause()

    assert snap_compare(make_app(mini), terminal_size=SIZE, run_before=review)


def test_history_snapshot(mini: Workspace, snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def history(pilot: Pilot[None]) -> None:
        app = await opened(pilot)
        assert isinstance(app, RatchetApp)
        await pilot.press("a", "n")  # policy accepts the scripted change: checkpoint 1
        await wait_for(pilot, lambda: app.dashboard.loop.view.accepted == 1 and not app.busy)
        await pilot.press("h")
        await wait_for(pilot, lambda: len(getattr(app.screen, "entries", [])) == 2)
        assert screen_name(app) == "HistoryScreen"
        table = app.screen.query_one(DataTable)
        for entry in app.screen.entries:  # type: ignore[attr-defined]
            table.update_cell(str(entry.number), "time", "2026-01-01 00:00")
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(mini, [classify_zero()]), terminal_size=SIZE, run_before=history)
