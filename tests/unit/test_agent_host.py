from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from core.agent_host import AgentHost, AgentLoadError, load_agent, toolchain_paths
from core.config import load_config
from core.errors import RatchetError
from core.llm.errors import BudgetExceeded
from core.workspace import Workspace

PROJECT = Path(__file__).resolve().parents[2]


def _agent_tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    shutil.copytree(PROJECT / "mutable", root / "mutable", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_loads_the_agent_of_the_given_tree(tmp_path: Path) -> None:
    root = _agent_tree(tmp_path)
    lang = root / "mutable" / "lang.py"
    lang.write_text(lang.read_text() + '\nDEFAULT_LANGUAGE = "rust"\n')
    loaded = load_agent(root)
    assert loaded.lang.DEFAULT_LANGUAGE == "rust"
    assert Path(str(loaded.agent.__file__)).is_relative_to(root)


def test_broken_agent_is_a_clear_error(tmp_path: Path) -> None:
    root = _agent_tree(tmp_path)
    (root / "mutable" / "agent.py").write_text("def solve(:\n")
    with pytest.raises(AgentLoadError, match="cannot import the agent"):
        load_agent(root)


def test_missing_agent_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AgentLoadError, match="missing"):
        load_agent(tmp_path)


def test_toolchain_paths() -> None:
    assert toolchain_paths("no-such-compiler-xyz") is None
    found = toolchain_paths("sh")
    assert found is not None and (found[0] / "sh").exists()


class _Broke:
    def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        purpose: str,
        temperature: float = 0.2,
        max_tokens: int | None = None,
    ) -> object:
        raise BudgetExceeded("token budget of 10 spent; raise [budget] tokens")


def _host(tmp_path: Path, llm: object) -> AgentHost:
    root = _agent_tree(tmp_path)
    (root / ".agent").mkdir()
    workspace = Workspace(root)
    return AgentHost(workspace, load_config(root, environ={}), llm=llm, use_memory=False)  # type: ignore[arg-type]


def test_budget_exhaustion_becomes_a_note(tmp_path: Path) -> None:
    report = _host(tmp_path, _Broke()).solve("Write a Python hello world")
    assert not report.passed
    assert "budget" in report.note


def test_unknown_language_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RatchetError, match="unknown language 'cobol'"):
        _host(tmp_path, _Broke()).solve("hello", language="cobol")
