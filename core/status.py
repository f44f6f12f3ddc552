"""`ratchet status`: one read-only snapshot of a workspace (shared by the CLI, TUI and daemon)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from core.checkpoints import load_checkpoint, parse_trailers
from core.config import Config
from core.cycle import agent_branch_of
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
    try:
        state = json.loads(workspace.state_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return ""
    pid = int(state.get("pid", 0))
    running = pid_alive(pid)
    parts = [f"pid {pid} {'running' if running else 'stopped'}"]
    for key in ("cycles", "accepted", "rejected", "queued"):
        if key in state:
            parts.append(f"{key} {state[key]}")
    if state.get("spent"):
        parts.append(f"spent {state['spent']}")
    if state.get("stop_reason"):
        parts.append(f"stop: {state['stop_reason']}")
    return ", ".join(parts)


def workspace_status(workspace: Workspace, config: Config) -> WorkspaceStatus:
    repo = GitRepo(workspace.root)
    branch = agent_branch_of(config, repo)
    head = repo.rev(branch)
    number: int | None = None
    summary = ""
    baseline: dict[str, float] = {}
    if head is not None:
        message = repo.out("log", "-1", "--format=%B", head)
        trailer = parse_trailers(message).get("Ratchet-Checkpoint", "")
        summary = message.splitlines()[0] if message else ""
        if trailer.isdigit():
            number = int(trailer)
            try:
                baseline = load_checkpoint(repo, number).checkpoint.scores_after.summary()
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
