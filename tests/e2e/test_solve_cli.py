"""`ratchet solve` and `ratchet eval` through the CLI, on a workspace made by `ratchet init`."""

from __future__ import annotations

import json

import pytest

from core.cli import main
from core.workspace import Workspace


def test_solve_a_symbolic_task_as_json(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--repo", str(workspace.root), "solve", "Differentiate x^3 with respect to x", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["passed"] and data["intent"] == "math"
    assert data["answer"].replace(" ", "") == "3*x**2"


def test_solve_refuses_an_unknown_language(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--repo", str(workspace.root), "solve", "hello", "--lang", "cobol"])
    assert code == 2
    assert "unknown language 'cobol'" in capsys.readouterr().err


def test_eval_one_fast_suite(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--repo", str(workspace.root), "eval", "lang-detect", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    (suite,) = data["suites"]
    assert suite["name"] == "lang-detect" and len(suite["cases"]) >= 60
    assert 0.6 <= sum(c["passed"] for c in suite["cases"]) / len(suite["cases"]) < 1.0


def test_eval_text_shows_the_baseline(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--repo", str(workspace.root), "eval", "extract"]) == 0
    out = capsys.readouterr().out
    assert "vs checkpoint 0" in out and "+0.000 (+0 -0)" in out


def test_eval_unknown_suite(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--repo", str(workspace.root), "eval", "nope"]) == 2
    assert "unknown suite(s) nope" in capsys.readouterr().err


def test_compare_checkpoint_with_itself(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--repo", str(workspace.root), "eval", "--compare", "0", "0", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is True
    assert {s["name"] for s in data["suites"]} >= {"lang-detect", "extract", "sympy-math", "repair"}
