"""Suite `humaneval-dev`: HumanEval problems 0-99 (the split the loop may see)."""

from __future__ import annotations

from typing import Any

from evals.humaneval import evaluate_split

__all__ = ["evaluate"]


def evaluate(trials: int = 1) -> tuple[list[Any], list[float]]:
    return evaluate_split("humaneval-dev", trials)
