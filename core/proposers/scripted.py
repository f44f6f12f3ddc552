"""The scripted proposer: proposals from a TOML/JSON file or a directory of them, in order.

This is the seam every loop test uses, and how a run is reproduced or demonstrated.
File format (TOML shown; JSON has the same keys; a file may also hold `[[proposal]]` tables):

    title = "Detect Kotlin"
    rationale = "..."
    target = "mutable/lang.py:detect_language"
    [[edits]]
    op = "replace"            # replace | add | remove
    kind = "function"         # function | method | class | assignment | import
    path = "mutable/lang.py"
    target = "detect_language"
    code = '''def detect_language(text: str) -> str | None: ...'''
"""

from __future__ import annotations

import json
import logging
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.errors import RatchetError
from core.proposers.base import NoProposal, Observation
from core.records import Edit, EditKind, EditOp, Proposal
from core.workspace import Workspace

__all__ = ["ScriptError", "ScriptedProposer", "load_proposals"]

logger = logging.getLogger(__name__)


class ScriptError(RatchetError):
    """A proposal file is malformed; the message names the file and the key."""


def _edit(source: str, index: int, raw: Any) -> Edit:
    where = f"{source}: edits[{index}]"
    if not isinstance(raw, Mapping):
        raise ScriptError(f"{where} must be a table")
    unknown = set(raw) - {"op", "kind", "path", "target", "code"}
    if unknown:
        raise ScriptError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("op", "kind", "path", "target"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise ScriptError(f"{where}.{key} is required (a string)")
    try:
        op = EditOp(raw["op"])
    except ValueError:
        raise ScriptError(f"{where}.op must be one of {', '.join(o.value for o in EditOp)}") from None
    try:
        kind = EditKind(raw["kind"])
    except ValueError:
        raise ScriptError(f"{where}.kind must be one of {', '.join(k.value for k in EditKind)}") from None
    code = raw.get("code", "")
    if not isinstance(code, str):
        raise ScriptError(f"{where}.code must be a string")
    if op is not EditOp.REMOVE and not code.strip():
        raise ScriptError(f"{where}.code is required for {op}")
    return Edit(op=op, kind=kind, path=raw["path"], target=raw["target"], code=code)


def _proposal(source: str, raw: Any) -> Proposal:
    if not isinstance(raw, Mapping):
        raise ScriptError(f"{source}: a proposal must be a table")
    unknown = set(raw) - {"title", "rationale", "target", "edits", "proposer", "model"}
    if unknown:
        raise ScriptError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}")
    edits = raw.get("edits")
    if not isinstance(edits, list) or not edits:
        raise ScriptError(f"{source}: `edits` must be a non-empty list of [[edits]] tables")
    rationale = raw.get("rationale", "")
    if not isinstance(rationale, str) or not rationale.strip():
        raise ScriptError(f"{source}: `rationale` is required")
    parsed = tuple(_edit(source, i, e) for i, e in enumerate(edits))
    return Proposal(
        rationale=rationale,
        target=str(raw.get("target") or f"{parsed[0].path}:{parsed[0].target}"),
        edits=parsed,
        proposer=str(raw.get("proposer", "scripted")),
        model=str(raw.get("model", "")),
        title=str(raw.get("title", "")),
    )


def _load_file(path: Path) -> list[Proposal]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScriptError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScriptError(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'TOML'} ({exc})"
        ) from None
    if isinstance(data, list):
        return [_proposal(f"{path}[{i}]", item) for i, item in enumerate(data)]
    if isinstance(data, Mapping) and "proposal" in data:
        items = data["proposal"]
        if not isinstance(items, list):
            raise ScriptError(f"{path}: `proposal` must be a list of tables")
        return [_proposal(f"{path}: proposal[{i}]", item) for i, item in enumerate(items)]
    return [_proposal(str(path), data)]


def load_proposals(path: Path) -> list[Proposal]:
    """Every proposal in a file, or in every .toml/.json file of a directory (sorted by name)."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".toml", ".json"))
        if not files:
            raise ScriptError(f"{path} holds no .toml or .json proposal files")
        return [p for f in files for p in _load_file(f)]
    if not path.exists():
        raise ScriptError(f"{path} does not exist")
    return _load_file(path)


class ScriptedProposer:
    """Hands out the scripted proposals one per call, then says it is exhausted."""

    name = "scripted"

    def __init__(self, proposals: list[Proposal] | tuple[Proposal, ...], *, cycle: bool = False) -> None:
        self._proposals = list(proposals)
        self._next = 0
        self._cycle = cycle

    @classmethod
    def from_path(cls, path: Path, *, cycle: bool = False) -> ScriptedProposer:
        return cls(load_proposals(path), cycle=cycle)

    @property
    def remaining(self) -> int:
        return len(self._proposals) - self._next

    def propose(self, observation: Observation, workspace: Workspace) -> Proposal | NoProposal:
        if self._next >= len(self._proposals):
            if not self._cycle or not self._proposals:
                return NoProposal("the script has no more proposals", exhausted=True)
            self._next = 0
        proposal = self._proposals[self._next]
        self._next += 1
        return proposal
