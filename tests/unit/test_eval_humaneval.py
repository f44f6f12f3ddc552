from __future__ import annotations

from pathlib import Path

import pytest

from core.config import Config
from core.humaneval import Problem, check_solution, load_problems, program, run_suite, task_text
from core.sandbox import get_sandbox
from core.sandbox.base import Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return get_sandbox(Config().sandbox)


def test_splits_are_disjoint_and_complete() -> None:
    dev, holdout = load_problems("humaneval-dev"), load_problems("humaneval-holdout")
    assert len(dev) == 100 and len(holdout) == 64
    assert dev[0].task_id == "HumanEval/0" and holdout[0].task_id == "HumanEval/100"
    assert not {p.task_id for p in dev} & {p.task_id for p in holdout}


def test_task_text_shows_the_prompt_not_the_tests() -> None:
    problem = load_problems("humaneval-dev", limit=1)[0]
    text = task_text(problem)
    assert problem.prompt in text
    assert "def check(" not in text


def test_program_keeps_prompt_imports_for_a_full_function() -> None:
    problem = load_problems("humaneval-dev", limit=1)[0]  # has_close_elements; prompt imports List
    full = "def has_close_elements(numbers: List[float], threshold: float) -> bool:\n    return False\n"
    source = program(problem, full)
    assert source.startswith("from typing import List")
    assert source.count("def has_close_elements") == 1
    body_only = program(problem, "    return False\n")
    assert body_only.startswith(problem.prompt)


@pytest.mark.parametrize("index", [0, 2, 13])
def test_canonical_solution_passes_in_the_sandbox(index: int, sandbox: Sandbox, tmp_path: Path) -> None:
    problem = load_problems("humaneval-dev")[index]
    result = check_solution(
        problem, problem.canonical_solution, sandbox=sandbox, config=Config(), scratch_root=tmp_path
    )
    assert result.passed, result.output


def test_wrong_solution_fails_in_the_sandbox(sandbox: Sandbox, tmp_path: Path) -> None:
    problem = load_problems("humaneval-dev")[2]  # truncate_number
    wrong = "def truncate_number(number: float) -> float:\n    return number\n"
    result = check_solution(problem, wrong, sandbox=sandbox, config=Config(), scratch_root=tmp_path)
    assert not result.passed
    assert "AssertionError" in result.output


def test_a_hanging_solution_is_stopped(sandbox: Sandbox, tmp_path: Path) -> None:
    problem = load_problems("humaneval-dev")[2]
    hang = "def truncate_number(number: float) -> float:\n    while True:\n        pass\n"
    result = check_solution(
        problem, hang, sandbox=sandbox, config=Config(), scratch_root=tmp_path, timeout=2.0
    )
    assert not result.passed


@pytest.mark.slow
def test_run_suite_reports_pass_rates_per_trial(sandbox: Sandbox, tmp_path: Path) -> None:
    calls: list[str] = []

    def solve(problem: Problem) -> str:
        calls.append(problem.task_id)
        if problem.index % 2 == 0:
            return problem.prompt + problem.canonical_solution
        return ""

    suite = run_suite(
        "humaneval-dev", solve, sandbox=sandbox, config=Config(), scratch_root=tmp_path, trials=2, limit=4
    )
    assert len(calls) == 8
    assert suite.trials == (0.5, 0.5)
    assert [c.passed for c in suite.cases] == [True, False, True, False]
    assert not suite.deterministic
