"""What every suite shares: the result records and scoring cases one by one.

The records mirror `core.records.CaseResult` / `SuiteResult` / `Scores` field for field, so the
JSON `evals.run` writes is what core reads; they are defined here because the evals run inside
the sandbox, where only the workspace tree and the interpreter are visible (not core).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["CaseOutcome", "CaseResult", "Scores", "SuiteResult", "score_each", "timed"]

logger = logging.getLogger(__name__)

C = TypeVar("C")


@dataclass(frozen=True)
class CaseResult:
    case_id: str
    passed: bool
    score: float = 0.0
    detail: str = ""


@dataclass(frozen=True)
class SuiteResult:
    name: str
    deterministic: bool
    cases: tuple[CaseResult, ...] = ()
    trials: tuple[float, ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class Scores:
    suites: tuple[SuiteResult, ...] = ()


@dataclass(frozen=True)
class CaseOutcome:
    passed: bool
    detail: str = ""
    score: float | None = None


def score_each(
    cases: Sequence[C], case_id: Callable[[C], str], judge: Callable[[C], CaseOutcome]
) -> list[CaseResult]:
    """Judge every case; an exception raised by agent code fails that case with its message."""
    results: list[CaseResult] = []
    for case in cases:
        try:
            outcome = judge(case)
        except Exception as exc:  # agent code under test may raise anything
            outcome = CaseOutcome(False, f"{type(exc).__name__}: {exc}"[:500])
        score = outcome.score if outcome.score is not None else (1.0 if outcome.passed else 0.0)
        results.append(
            CaseResult(case_id=case_id(case), passed=outcome.passed, score=score, detail=outcome.detail)
        )
    return results


def timed(fn: Callable[[], C]) -> tuple[C, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started
