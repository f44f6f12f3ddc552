"""Noise-aware comparison of two sets of eval scores (baseline checkpoint vs candidate).

Deterministic suites compare case by case: any case that passed before and fails now is a
regression, even when the total rises, and the comparison names it. Stochastic suites (several
trials, each a pass rate) compare lower confidence bounds: the candidate is rejected when its
lower bound falls below the baseline's lower bound by more than `thresholds.tolerance`. Both
bounds are computed the same way (t-based over the trial pass rates, or Wilson over the pooled
case trials when there is a single trial), so an equally good candidate passes and a real drop
larger than the tolerance is rejected. A suite the baseline does not have is new and passes.
"""

from __future__ import annotations

import logging
import math
import statistics
from dataclasses import dataclass

from core.policy import EvalThresholds
from core.records import CaseResult, Scores, SuiteResult

__all__ = [
    "CaseChange",
    "EvalComparison",
    "SuiteComparison",
    "compare_scores",
    "lower_bound",
    "suite_mean",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaseChange:
    suite: str
    case_id: str
    before: bool
    after: bool

    def __str__(self) -> str:
        arrow = "pass→fail" if self.before and not self.after else "fail→pass"
        return f"{self.suite}/{self.case_id} {arrow}"


@dataclass(frozen=True)
class SuiteComparison:
    name: str
    before: float
    after: float
    regressions: tuple[CaseChange, ...]
    improvements: tuple[CaseChange, ...]
    passed: bool
    note: str

    def summary(self) -> str:
        return (
            f"{self.name} {self.before:.2f}→{self.after:.2f} "
            f"(+{len(self.improvements)} -{len(self.regressions)})"
        )


@dataclass(frozen=True)
class EvalComparison:
    suites: tuple[SuiteComparison, ...]
    #: no deterministic case newly failing, no stochastic lower bound dropping beyond tolerance
    passed: bool

    @property
    def regressions(self) -> tuple[CaseChange, ...]:
        return tuple(c for s in self.suites for c in s.regressions)

    @property
    def improvements(self) -> tuple[CaseChange, ...]:
        return tuple(c for s in self.suites for c in s.improvements)

    @property
    def failed(self) -> tuple[SuiteComparison, ...]:
        return tuple(s for s in self.suites if not s.passed)

    def summary(self) -> str:
        """One line, e.g. `lang-detect 0.62→0.65 (+3 -0), extract 0.70→0.70 (+0 -0)`."""
        if not self.suites:
            return "no suites compared"
        return ", ".join(s.summary() for s in self.suites)


# --- statistics ----------------------------------------------------------------------------

_T_TABLE_95 = {1: 6.314, 2: 2.920, 3: 2.353, 4: 2.132, 5: 2.015, 6: 1.943, 7: 1.895, 8: 1.860, 9: 1.833}


def _z(confidence: float) -> float:
    """One-sided normal quantile for `confidence` (0.5 < confidence < 1)."""
    return statistics.NormalDist().inv_cdf(confidence)


def _t(confidence: float, df: int) -> float:
    """One-sided Student t quantile; exact table at 95 %, a Cornish-Fisher expansion otherwise."""
    if abs(confidence - 0.95) < 1e-9 and df in _T_TABLE_95:
        return _T_TABLE_95[df]
    z = _z(confidence)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / df + g2 / df**2 + g3 / df**3


def _wilson_lower(p: float, n: int, confidence: float) -> float:
    if n <= 0:
        return 0.0
    z = _z(confidence)
    denom = 1 + z * z / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - margin) / denom)


def suite_mean(suite: SuiteResult) -> float:
    """The mean pass rate: over trials when there are any, else over cases."""
    return statistics.fmean(suite.trials) if suite.trials else suite.score


def lower_bound(suite: SuiteResult, confidence: float) -> float:
    """Lower confidence bound of a suite's pass rate.

    With two or more trials: t-based over the per-trial rates. With one trial (or none): Wilson
    over the suite's cases.
    """
    if len(suite.trials) >= 2:
        mean = statistics.fmean(suite.trials)
        sd = statistics.stdev(suite.trials)
        return max(0.0, mean - _t(confidence, len(suite.trials) - 1) * sd / math.sqrt(len(suite.trials)))
    return _wilson_lower(suite_mean(suite), len(suite.cases), confidence)


# --- comparison ----------------------------------------------------------------------------


def _case_changes(
    before: SuiteResult, after: SuiteResult
) -> tuple[tuple[CaseChange, ...], tuple[CaseChange, ...]]:
    old: dict[str, CaseResult] = {c.case_id: c for c in before.cases}
    new: dict[str, CaseResult] = {c.case_id: c for c in after.cases}
    regressions = tuple(
        CaseChange(after.name, cid, True, bool(new.get(cid) and new[cid].passed))
        for cid, case in old.items()
        if case.passed and not (cid in new and new[cid].passed)
    )
    improvements = tuple(
        CaseChange(after.name, cid, False, True)
        for cid, case in new.items()
        if case.passed and not (cid in old and old[cid].passed)
    )
    return regressions, improvements


def _compare_suite(
    before: SuiteResult | None, after: SuiteResult, thresholds: EvalThresholds
) -> SuiteComparison:
    if before is None:
        return SuiteComparison(after.name, 0.0, suite_mean(after), (), (), True, "new suite: no baseline")
    regressions, improvements = _case_changes(before, after)
    old_mean, new_mean = suite_mean(before), suite_mean(after)
    if after.deterministic:
        if regressions:
            names = ", ".join(c.case_id for c in regressions[:10])
            more = f" and {len(regressions) - 10} more" if len(regressions) > 10 else ""
            note = f"{len(regressions)} case(s) newly failing: {names}{more}"
            return SuiteComparison(after.name, old_mean, new_mean, regressions, improvements, False, note)
        return SuiteComparison(
            after.name, old_mean, new_mean, regressions, improvements, True, "no case regressed"
        )
    old_low = lower_bound(before, thresholds.confidence)
    new_low = lower_bound(after, thresholds.confidence)
    passed = new_low >= old_low - thresholds.tolerance
    verdict = "within" if passed else "beyond"
    note = (
        f"lower bound {new_low:.3f} vs baseline {old_low:.3f} ({thresholds.confidence:.0%} confidence): "
        f"drop {max(0.0, old_low - new_low):.3f} {verdict} tolerance {thresholds.tolerance:.3f}"
    )
    return SuiteComparison(after.name, old_mean, new_mean, regressions, improvements, passed, note)


def compare_scores(before: Scores, after: Scores, thresholds: EvalThresholds) -> EvalComparison:
    """Compare every suite the candidate ran with the baseline's run of it."""
    suites = tuple(_compare_suite(before.get(s.name), s, thresholds) for s in after.suites)
    return EvalComparison(suites=suites, passed=all(s.passed for s in suites))
