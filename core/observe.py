"""Observe: turn the workspace's state into an `Observation` for the proposer."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from core.errors import RatchetError
from core.proposers.base import FailingCase, Observation, PastAttempt
from core.records import Scores
from core.secrets import scrub
from core.workspace import Workspace

__all__ = ["add_goal", "add_note", "build_observation", "read_goals", "read_notes"]

logger = logging.getLogger(__name__)


def _read_jsonl(path: Path, key: str, limit: int | None) -> tuple[str, ...]:
    """The `key` values of a JSON-lines file, oldest first; unreadable lines are skipped."""
    if not path.is_file():
        return ()
    values = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            logger.warning("%s:%d is not JSON; skipped", path, number)
            continue
        value = entry.get(key) if isinstance(entry, dict) else None
        if isinstance(value, str) and value.strip():
            values.append(value)
    return tuple(values if limit is None else values[-limit:])


def _append(path: Path, key: str, text: str, **extra: str) -> str:
    clean = " ".join(scrub(text).split())
    if not clean:
        raise RatchetError(f"a {key} needs some text")
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({key: clean, "created_at": stamp, **extra}, ensure_ascii=False) + "\n")
    return clean


def read_goals(workspace: Workspace, limit: int | None = 5) -> tuple[str, ...]:
    """Human goals (`ratchet goal`, the TUI's goal screen), newest `limit`, oldest first."""
    return _read_jsonl(workspace.goals_path, "goal", limit)


def add_goal(workspace: Workspace, goal: str) -> str:
    """Append a human goal that steers the next targets; returns it as stored (secrets scrubbed)."""
    return _append(workspace.goals_path, "goal", goal)


def read_notes(workspace: Workspace, limit: int | None = 5) -> tuple[str, ...]:
    return _read_jsonl(workspace.notes_path, "note", limit)


def add_note(workspace: Workspace, note: str, target: str = "") -> str:
    """A human's reason for rejecting a proposal; fed to the next proposals' context."""
    return _append(workspace.notes_path, "note", note, target=target)


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
