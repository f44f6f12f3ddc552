"""The scripted proposer: file formats, ordering, and clear errors for malformed files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.proposers.base import NoProposal, Observation
from core.proposers.scripted import ScriptedProposer, ScriptError, load_proposals
from core.records import EditKind, EditOp, Proposal, Scores
from core.workspace import Workspace

TOML = """
title = "first"
rationale = "Because."
[[edits]]
op = "replace"
kind = "function"
path = "mutable/calc.py"
target = "add"
code = '''def add(a: int, b: int) -> int:
    return a + b
'''
"""


def test_toml_file(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text(TOML)
    [p] = load_proposals(tmp_path / "p.toml")
    assert p.title == "first" and p.target == "mutable/calc.py:add"
    assert p.edits[0].op is EditOp.REPLACE and p.edits[0].kind is EditKind.FUNCTION


def test_directory_in_order_then_exhausted(tmp_path: Path) -> None:
    (tmp_path / "b.toml").write_text(TOML.replace("first", "second"))
    (tmp_path / "a.toml").write_text(TOML)
    (tmp_path / "notes.txt").write_text("ignored")
    proposer = ScriptedProposer.from_path(tmp_path)
    obs = Observation(scores=Scores())
    ws = Workspace(tmp_path)
    first, second, third = (proposer.propose(obs, ws) for _ in range(3))
    assert isinstance(first, Proposal) and first.title == "first"
    assert isinstance(second, Proposal) and second.title == "second"
    assert isinstance(third, NoProposal) and third.exhausted


def test_json_list(tmp_path: Path) -> None:
    edit = {"op": "remove", "kind": "import", "path": "mutable/x.py", "target": "os"}
    (tmp_path / "p.json").write_text(json.dumps([{"rationale": "r", "edits": [edit]}] * 2))
    assert len(load_proposals(tmp_path / "p.json")) == 2


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("rationale = 'r'\n", "`edits` must be a non-empty list"),
        (
            "rationale = 'r'\n[[edits]]\nop = 'rewrite'\nkind='function'\npath='m.py'\ntarget='f'\ncode='x'\n",
            "edits[0].op",
        ),
        (
            "rationale = 'r'\n[[edits]]\nop = 'replace'\nkind='function'\npath='m.py'\ntarget='f'\n",
            "edits[0].code is required",
        ),
        (
            "rationale = 'r'\n[[edits]]\nop = 'replace'\nkind='function'\npath='m.py'\ncode='x'\n",
            "edits[0].target is required",
        ),
        ("[[edits]]\nop = 'remove'\nkind='function'\npath='m.py'\ntarget='f'\n", "`rationale` is required"),
        ("rationale = 'r'\ncolour = 'blue'\n", "unknown key(s) colour"),
        ("rationale = \n", "not valid TOML"),
    ],
)
def test_malformed_files_name_file_and_key(tmp_path: Path, body: str, needle: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body)
    with pytest.raises(ScriptError) as err:
        load_proposals(path)
    assert needle in str(err.value) and str(path) in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="does not exist"):
        load_proposals(tmp_path / "nope.toml")
