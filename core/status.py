"""`ratchet status`: one read-only snapshot of a workspace (shared by the CLI, TUI and daemon)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core.checkpoints import head_checkpoint, load_checkpoint
from core.config import Config
from core.cycle import agent_branch_of
from core.daemon_state import read_state
from core.errors import RatchetError
from core.gitops import GitRepo
from core.inbox import list_inbox
from core.journal import Journal, WorkspaceLock, pid_alive
from core.seal import branch_seal_status
from core.workspace import Workspace

__all__ = ["WorkspaceStatus", "workspace_status"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkspaceStatus:
    agent_branch: str
    current_branch: str
    last_checkpoint: int | None
    last_summary: str
    seal_ok: bool
    seal_detail: str
    journal: str
    lock: str
    sandbox: str
    daemon: str
    inbox: int
    baseline: dict[str, float] = field(default_factory=dict)


def _daemon_line(workspace: Workspace) -> str:
    state = read_state(workspace.state_path)
    if state is None:
        return ""
    parts = [
        f"pid {state.pid} {'running' if pid_alive(state.pid) else 'stopped'}",
        f"cycles {state.cycles}",
        f"accepted {state.accepted}",
        f"rejected {state.rejected}",
        f"queued {state.queued}",
    ]
    if state.spent:
        parts.append(f"spent {state.spent}")
    if state.stop_reason:
        parts.append(f"stop: {state.stop_reason}")
    return ", ".join(parts)


def workspace_status(workspace: Workspace, config: Config) -> WorkspaceStatus:
    repo = GitRepo(workspace.root)
    branch = agent_branch_of(config, repo)
    head = head_checkpoint(repo, branch)
    number = head.number if head else None
    summary = head.subject if head else ""
    baseline: dict[str, float] = {}
    if head is not None:
        try:
            baseline = load_checkpoint(repo, head.number).checkpoint.scores_after.summary()
        except RatchetError:
            baseline = {}
    seal = branch_seal_status(repo, workspace.protected, branch)
    entry = Journal(workspace.journal_path).read()
    journal = f"interrupted candidate in phase {entry.phase} (recovered by the next command)" if entry else ""
    owner = WorkspaceLock(workspace.lock_path).owner()
    lock = ""
    if owner is not None:
        pid, role = owner
        lock = f"held by pid {pid} ({role})" if pid_alive(pid) else f"stale (dead pid {pid})"
    try:
        from core.sandbox import get_sandbox

        sandbox = get_sandbox(config.sandbox).name
    except RatchetError as exc:
        sandbox = f"unavailable: {exc}"
    return WorkspaceStatus(
        agent_branch=branch,
        current_branch=repo.current_branch() or "",
        last_checkpoint=number,
        last_summary=summary,
        seal_ok=seal.ok,
        seal_detail=seal.describe(),
        journal=journal,
        lock=lock,
        sandbox=sandbox,
        daemon=_daemon_line(workspace),
        inbox=len(list_inbox(workspace)),
        baseline=baseline,
    )
