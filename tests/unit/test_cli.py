"""The CLI's shared plumbing: --repo anywhere, --replay, clear errors outside a workspace."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from core.cli import main
from core.commands.common import open_context
from core.workspace import Workspace


def test_replay_flag_turns_on_cache_only_llm(mini: Workspace) -> None:
    args = argparse.Namespace(repo=str(mini.root), replay=True)
    assert open_context(args).config.llm.replay is True
    assert open_context(argparse.Namespace(repo=str(mini.root))).config.llm.replay is False


def test_repo_before_or_after_the_command(mini: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--repo", str(mini.root), "log", "--json"]) == 0
    before = capsys.readouterr().out
    assert main(["log", "--json", "--repo", str(mini.root)]) == 0
    assert capsys.readouterr().out == before and '"number": 0' in before


def test_outside_a_workspace_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--repo", str(tmp_path), "status"]) == 2
    err = capsys.readouterr().err
    assert "not a ratchet workspace" in err and "ratchet init" in err


def test_init_refuses_a_non_empty_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["init", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "mine" and len(list(tmp_path.iterdir())) == 1
