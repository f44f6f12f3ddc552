"""What the TUI prints, without a terminal: gate reports, eval deltas, history scores, daemon lines."""

from __future__ import annotations

import json

from core.config import BudgetConfig
from core.cycle import Review
from core.policy import EvalThresholds
from core.records import CaseResult, GateReport, GateResult, Location, Scores, SuiteResult
from core.tui.daemonlink import log_message
from core.tui.data import BudgetView, SuiteSeries
from core.tui.screens.history import score_delta
from core.tui.views import eval_lines, gate_lines, view_of_review
from tests.tui.helpers import classify_zero


def suite(name: str, **passed: bool) -> SuiteResult:
    return SuiteResult(name, True, tuple(CaseResult(k, v, float(v)) for k, v in passed.items()))


def test_a_failed_gate_is_expanded_at_file_and_line() -> None:
    report = GateReport(
        (
            GateResult("ruff", True, 0.2, "1 file(s) clean"),
            GateResult(
                "mypy",
                False,
                1.5,
                "2 problem(s)",
                "\n".join(f"line {i}" for i in range(30)),
                (Location("mutable/calc.py", 7, "Incompatible return value"), Location("mutable/calc.py", 9)),
            ),
        )
    )
    lines = gate_lines(report)
    assert lines[0].startswith("ok    ruff") and lines[1].startswith("FAIL  mypy")
    assert "      mutable/calc.py:7: Incompatible return value" in lines
    assert "      mutable/calc.py:9" in lines
    assert "        line 19" in lines and "        line 20" not in lines
    assert lines[-1] == "        ... 10 more line(s)"


def test_eval_deltas_per_suite_and_per_changed_case() -> None:
    before = Scores((suite("classify", zero=False, neg=True), suite("lang", py=True)))
    after = Scores((suite("classify", zero=True, neg=False), suite("lang", py=True), suite("new", a=True)))
    review = Review(classify_zero(), "", GateReport(), before, after, "", ("mutable/calc.py",))
    view = view_of_review(review, (), EvalThresholds())
    lines = eval_lines(view)
    assert lines[0].startswith("classify         0.500 -> 0.500 (+0.000)  REGRESSION")
    assert "    classify/neg pass→fail" in lines and "    classify/zero fail→pass" in lines
    assert any(line.startswith("lang ") and "(+0.000)  ok" in line for line in lines)
    assert any(line.startswith("new ") and "new suite" in line for line in lines)
    assert view.policy_line == "the gates rejected this change"  # an empty report never passed


def test_no_scores_says_so() -> None:
    review = Review(classify_zero(), "", GateReport(), Scores(), None, "", ())
    assert eval_lines(view_of_review(review, ("large diff",), EvalThresholds())) == [
        "no eval scores for this change"
    ]


def test_history_score_column_shows_deltas() -> None:
    assert score_delta("classify 0.750->1.000") == "+0.250"
    assert score_delta("classify new->0.750") == "0.750"
    assert score_delta("a 0.500->0.400, b new->0.700") == "a -0.100, b 0.700"
    assert score_delta("no evals") == "no evals"


def test_budget_lines_show_limits_only_when_set() -> None:
    free = BudgetView(calls=3, tokens_in=1200, tokens_out=300, cost_usd=0.0123)
    assert free.lines() == ("tokens 1,500 (1,200 in, 300 out)", "cost   $0.0123", "calls  3")
    capped = BudgetView(
        calls=3, calls_last_hour=2, budget=BudgetConfig(tokens=10000, cost_usd=1.0, calls_per_hour=5)
    )
    assert capped.lines()[0].startswith("tokens 0 of 10,000")
    assert capped.lines()[1] == "cost   $0.0000 of $1.00"
    assert capped.lines()[2] == "calls  3 (2/5 this hour)"


def test_series_change_is_against_the_previous_checkpoint() -> None:
    assert SuiteSeries("s", (0.5, 0.75, 1.0)).change == 0.25
    assert SuiteSeries("s", (0.5,)).change == 0.0


def test_daemon_log_lines_read_like_the_cli() -> None:
    line = json.dumps(
        {"time": "t", "level": "warning", "pid": 3, "event": "gate", "name": "mypy", "passed": False}
    )
    assert log_message(line) == "daemon: warning gate name=mypy passed=False"
    assert log_message("plain text") == "plain text"


async def test_the_loop_panel_shows_how_long_a_phase_has_run() -> None:
    import time

    from textual.app import App, ComposeResult

    from core.events import Phase
    from core.tui.widgets import LoopPanel

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield LoopPanel(id="loop")

    async with One().run_test() as pilot:
        panel = pilot.app.query_one(LoopPanel)
        panel.show(phase=Phase.PROPOSING)
        panel._phase_started = time.monotonic() - 42
        assert "PROPOSING 42s" in panel.render_view().plain
        panel.show(phase=Phase.IDLE)
        assert panel.render_view().plain.splitlines()[0] == "state    IDLE"
