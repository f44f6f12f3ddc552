from __future__ import annotations

from core.evalcompare import compare_scores, lower_bound
from core.policy import EvalThresholds
from core.records import CaseResult, Scores, SuiteResult

TH = EvalThresholds(tolerance=0.02, confidence=0.95)


def _det(name: str, passed: dict[str, bool]) -> SuiteResult:
    cases = tuple(CaseResult(cid, ok, 1.0 if ok else 0.0) for cid, ok in passed.items())
    return SuiteResult(name=name, deterministic=True, cases=cases)


def _sto(name: str, trials: tuple[float, ...], n_cases: int = 100) -> SuiteResult:
    cases = tuple(CaseResult(f"p{i}", i < n_cases * trials[0], 0.0) for i in range(n_cases))
    return SuiteResult(name=name, deterministic=False, cases=cases, trials=trials)


def test_newly_failing_case_is_a_regression_even_if_total_rises() -> None:
    before = Scores((_det("lang-detect", {"a": True, "b": False, "c": False}),))
    after = Scores((_det("lang-detect", {"a": False, "b": True, "c": True}),))
    result = compare_scores(before, after, TH)
    assert not result.passed
    assert [c.case_id for c in result.regressions] == ["a"]
    assert {c.case_id for c in result.improvements} == {"b", "c"}
    assert "a" in result.suites[0].note
    assert result.summary() == "lang-detect 0.33→0.67 (+2 -1)"


def test_pure_improvement_passes() -> None:
    before = Scores((_det("extract", {"a": True, "b": False}),))
    after = Scores((_det("extract", {"a": True, "b": True}),))
    result = compare_scores(before, after, TH)
    assert result.passed and not result.regressions
    assert len(result.improvements) == 1


def test_new_suite_passes() -> None:
    result = compare_scores(Scores(), Scores((_det("repair", {"a": False}),)), TH)
    assert result.passed and result.suites[0].note.startswith("new suite")


def test_stochastic_equal_performance_passes() -> None:
    before = Scores((_sto("humaneval-dev", (0.30, 0.32, 0.31)),))
    after = Scores((_sto("humaneval-dev", (0.31, 0.30, 0.32)),))
    assert compare_scores(before, after, TH).passed


def test_stochastic_real_drop_is_rejected() -> None:
    before = Scores((_sto("humaneval-dev", (0.40, 0.41, 0.39)),))
    after = Scores((_sto("humaneval-dev", (0.30, 0.31, 0.29)),))
    result = compare_scores(before, after, TH)
    assert not result.passed
    assert "beyond tolerance" in result.suites[0].note


def test_noisy_candidate_has_a_lower_bound() -> None:
    steady = _sto("s", (0.5, 0.5, 0.5))
    noisy = _sto("s", (0.3, 0.7, 0.5))
    assert lower_bound(steady, 0.95) > lower_bound(noisy, 0.95)
    result = compare_scores(Scores((steady,)), Scores((noisy,)), TH)
    assert not result.passed


def test_single_trial_uses_wilson_over_cases() -> None:
    small = SuiteResult("s", False, tuple(CaseResult(str(i), i < 5, 0.0) for i in range(10)), (0.5,))
    large = SuiteResult("s", False, tuple(CaseResult(str(i), i < 50, 0.0) for i in range(100)), (0.5,))
    assert 0.0 < lower_bound(small, 0.95) < lower_bound(large, 0.95) < 0.5
