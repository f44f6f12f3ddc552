"""`ratchet memory search|note|count` and `ratchet goal` through the real CLI entry point."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from core.cli import main
from core.memory import AttemptRecord, open_memory
from core.observe import build_observation, read_goals, read_notes
from core.records import Scores
from core.workspace import Workspace


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A bare-bones workspace layout (memory commands need nothing else)."""
    root = tmp_path / "ws"
    for name in ("mutable", "protected", ".agent"):
        (root / name).mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_goal_appends_and_lists(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--repo", str(repo), "goal", "make", "Rust detection better"]) == 0
    assert "goal added: make Rust detection better" in capsys.readouterr().out
    assert main(["--repo", str(repo), "goal", "handle sk-test-PLANTEDkey1234567890 gracefully"]) == 0
    capsys.readouterr()
    assert read_goals(Workspace(repo)) == ("make Rust detection better", "handle [REDACTED] gracefully")
    lines = (repo / ".agent" / "goals.jsonl").read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["created_at"]
    observation = build_observation(Workspace(repo), Scores())
    assert observation.goals == read_goals(Workspace(repo))  # the loop reads the same file
    assert main(["--repo", str(repo), "goal", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["goals"][0] == "make Rust detection better"


def test_goal_without_text_on_empty_workspace_says_how(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--repo", str(repo), "goal"]) == 0
    assert "ratchet goal" in capsys.readouterr().out


def test_blank_goal_is_a_user_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--repo", str(repo), "goal", "   "]) == 2
    assert "a goal needs some text" in capsys.readouterr().err


def test_read_goals_skips_garbage_lines(repo: Path) -> None:
    (repo / ".agent" / "goals.jsonl").write_text(
        '{"goal": "one"}\nnot json\n\n{"goal": ""}\n[1]\n{"goal": "two"}\n'
    )
    assert read_goals(Workspace(repo)) == ("one", "two")


def test_memory_note_then_search(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    open_memory(Workspace(repo)).record_attempt(
        AttemptRecord(
            target="mutable/lang.py:detect_language",
            rationale="match rust by fn main",
            diff="",
            outcome="rejected",
            gate="evals",
        )
    )
    assert (
        main(["--repo", str(repo), "memory", "note", "rust needs let mut too", "--target", "mutable/lang.py"])
        == 0
    )
    assert "noted for mutable/lang.py" in capsys.readouterr().out
    assert read_notes(Workspace(repo)) == ("rust needs let mut too",)  # the next observation sees it

    assert main(["--repo", str(repo), "memory", "search", "rust", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert {h["kind"] for h in hits} == {"attempt", "note"}

    assert main(["--repo", str(repo), "memory", "search", "rust", "--kind", "note"]) == 0
    out = capsys.readouterr().out
    assert "note · mutable/lang.py" in out and "rust needs let mut too" in out and "attempt" not in out

    assert main(["--repo", str(repo), "memory", "search", "rust", "--kind", "solution"]) == 0
    assert "no memories match (kind solution)" in capsys.readouterr().out

    assert main(["--repo", str(repo), "memory", "count", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"count": 2}


def test_memory_search_outside_a_workspace_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--repo", str(tmp_path), "memory", "search", "x"]) == 2
    assert "ratchet init" in capsys.readouterr().err
