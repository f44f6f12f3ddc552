"""Observe: turn the workspace's state into an `Observation` for the proposer."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from core.proposers.base import FailingCase, Observation, PastAttempt
from core.records import Scores
from core.workspace import Workspace

__all__ = ["add_goal", "add_note", "build_observation", "read_goals", "read_notes"]

logger = logging.getLogger(__name__)


def _read_jsonl(path: Path, key: str, limit: int) -> tuple[str, ...]:
    if not path.exists():
        return ()
    values = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            values.append(str(json.loads(line)[key]))
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
    return tuple(values[-limit:])


def read_goals(workspace: Workspace, limit: int = 5) -> tuple[str, ...]:
    return _read_jsonl(workspace.goals_path, "goal", limit)


def read_notes(workspace: Workspace, limit: int = 5) -> tuple[str, ...]:
    return _read_jsonl(workspace.agent_dir / "notes.jsonl", "note", limit)


def add_goal(workspace: Workspace, goal: str) -> None:
    workspace.agent_dir.mkdir(parents=True, exist_ok=True)
    with workspace.goals_path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"goal": goal}) + "\n")


def add_note(workspace: Workspace, note: str) -> None:
    """A human's reason for rejecting a proposal; fed to the next proposals."""
    workspace.agent_dir.mkdir(parents=True, exist_ok=True)
    with (workspace.agent_dir / "notes.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"note": note}) + "\n")


def build_observation(
    workspace: Workspace,
    baseline: Scores,
    *,
    target: str = "",
    recent: tuple[PastAttempt, ...] = (),
    max_cases: int = 20,
) -> Observation:
    failing = tuple(
        FailingCase(suite.name, case.case_id, case.detail)
        for suite in baseline.suites
        for case in suite.cases
        if not case.passed
    )[:max_cases]
    return Observation(
        scores=baseline,
        failing_cases=failing,
        recent_attempts=recent,
        goals=read_goals(workspace),
        notes=read_notes(workspace),
        target=target,
    )
