"""Every fast suite's scorer with known-good and known-bad answers; the runner's output contract."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.records import Scores, from_dict
from evals import extract, lang_detect, repair, sympy_math
from evals.common import CaseOutcome, score_each
from evals.run import load_suites

PROJECT = Path(__file__).resolve().parents[2]


def test_every_fast_suite_has_at_least_60_cases() -> None:
    assert len(lang_detect.CASES) >= 60
    assert len(extract.CASES) + len(extract.recorded_cases()) >= 60
    assert len(sympy_math.CASES) >= 60
    assert len(repair.CASES) >= 60
    for cases in (lang_detect.CASES, extract.CASES, sympy_math.CASES, repair.CASES):
        ids = [c.id for c in cases]
        assert len(ids) == len(set(ids))


def test_recorded_replies_cover_several_languages() -> None:
    languages = {c.language for c in extract.recorded_cases()}
    assert len(languages) >= 8


@pytest.mark.parametrize(
    ("answer", "expected", "kind", "good"),
    [
        ("2*x*sin(x) + x**2*cos(x)", "x**2*cos(x) + 2*x*sin(x)", "expr", True),
        ("sin(x)**2 + cos(x)**2", "1", "expr", True),
        ("2*x", "x**2", "expr", False),
        ("-cos(x) + 7", "-cos(x)", "antiderivative", True),
        ("cos(x)", "-cos(x)", "antiderivative", False),
        ("[3, 2]", "[2, 3]", "set", True),
        ("[2]", "[2, 3]", "set", False),
        ("2", "[2]", "set", False),
        ("exp(1)", "E", "expr", True),
    ],
)
def test_sympy_equivalence(answer: str, expected: str, kind: str, good: bool) -> None:
    assert sympy_math.equivalent(answer, expected, kind) is good


def test_repair_scorer_compares_python_by_ast_and_others_by_text() -> None:
    assert repair.same_code("x = (1 +\n  2)\n", "x = (1 + 2)\n", "python")
    assert not repair.same_code("x = 1 + 2\n", "x = 1 - 2\n", "python")
    assert not repair.same_code("def f(:\n", "def f(): pass\n", "python")
    assert repair.same_code("int x = 1;\n\n", "int  x = 1;", "c")
    assert not repair.same_code("int x = 1\n", "int x = 1;", "c")


def test_extract_normalize() -> None:
    assert extract.normalize("\n\ndef f():   \r\n    return 1\n\n") == "def f():\n    return 1"
    assert extract.normalize("a") != extract.normalize("b")


def test_lang_detect_judge_good_and_bad() -> None:
    good = lang_detect.Case("x", "Write a Rust function", "rust")
    bad = lang_detect.Case("y", "Write a Rust function", "go")
    assert lang_detect.judge(good).passed
    assert not lang_detect.judge(bad).passed


def test_score_each_turns_an_agent_crash_into_a_failed_case() -> None:
    def judge(case: int) -> CaseOutcome:
        if case == 2:
            raise ZeroDivisionError("agent bug")
        return CaseOutcome(True)

    results = score_each([1, 2, 3], str, judge)
    assert [r.passed for r in results] == [True, False, True]
    assert "ZeroDivisionError: agent bug" in results[1].detail


def _tree(tmp_path: Path) -> Path:
    """A copy of the agent and the evals to run the runner in (never the checkout itself)."""
    root = tmp_path / "tree"
    for name in ("mutable", "evals"):
        shutil.copytree(PROJECT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_runner_writes_scores_core_can_read(tmp_path: Path) -> None:
    out = tmp_path / "scores.json"
    subprocess.run(
        [sys.executable, "-m", "evals.run", "--suite", "lang-detect", "--suite", "repair", "--out", str(out)],
        cwd=_tree(tmp_path),
        check=True,
    )
    scores = from_dict(Scores, json.loads(out.read_text()))
    assert [s.name for s in scores.suites] == ["lang-detect", "repair"]
    assert all(s.deterministic and 0.6 <= s.score < 1.0 for s in scores.suites)


def test_runner_refuses_an_unknown_suite(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "evals.run", "--suite", "nope", "--out", str(tmp_path / "s.json")],
        cwd=_tree(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "unknown suite" in result.stderr


def test_declared_suites() -> None:
    suites = {s.name: s for s in load_suites()}
    assert {n for n, s in suites.items() if s.speed == "fast"} == {
        "lang-detect",
        "extract",
        "sympy-math",
        "repair",
    }
    assert not suites["humaneval-dev"].deterministic and suites["humaneval-holdout"].speed == "slow"
