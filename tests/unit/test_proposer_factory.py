"""`make_proposer`: the proposer `[proposer] kind` names, built the same way for TUI, daemon and CLI."""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import pytest

from core.config import Config, LLMConfig, MemoryConfig, ProposerConfig
from core.errors import RatchetError
from core.proposers.codemod import CodemodProposer
from core.proposers.factory import describe_model, make_proposer
from core.proposers.llm import LLMProposer
from core.proposers.scripted import ScriptedProposer
from core.workspace import Workspace


def config(kind: str, script: str = "", model: str = "") -> Config:
    return replace(
        Config(),
        proposer=ProposerConfig(kind=kind, script=script),
        llm=LLMConfig(model=model),
        memory=MemoryConfig(enabled=False),
    )


def test_scripted_reads_the_script_relative_to_the_workspace(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    edit = {"op": "remove", "kind": "function", "path": "mutable/a.py", "target": "f"}
    (tmp_path / "p.json").write_text(json.dumps({"rationale": "r", "edits": [edit]}))
    proposer = make_proposer(ws, config("scripted", "p.json"))
    assert isinstance(proposer, ScriptedProposer) and proposer.remaining == 1


def test_scripted_without_a_script_says_which_key_to_set(tmp_path: Path) -> None:
    with pytest.raises(RatchetError, match=r"\[proposer\] script"):
        make_proposer(Workspace(tmp_path), config("scripted"))


def test_codemod_and_llm(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    assert isinstance(make_proposer(ws, config("codemod")), CodemodProposer)
    with ExitStack() as stack:
        proposer = make_proposer(ws, config("llm", model="openai/gpt-4o-mini"), stack=stack)
        assert isinstance(proposer, LLMProposer)


def test_describe_model() -> None:
    assert describe_model(config("scripted")) == "none (scripted proposer)"
    assert describe_model(config("llm", model="anthropic/claude-sonnet-4")) == "anthropic/claude-sonnet-4"
    assert describe_model(config("embedded", model="openai/gpt-4o")) == "embedded/qwen2.5-coder-0.5b"
    assert describe_model(config("llm")) == "embedded/qwen2.5-coder-0.5b"
