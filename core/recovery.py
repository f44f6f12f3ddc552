"""Crash recovery: put the workspace back at its last checkpoint after an interrupted candidate.

Every command that writes runs `recover` right after taking the lock. It reads the journal and
either rolls back (the agent branch was not advanced: drop the worktree and branch) or rolls
forward (the branch already points at the new commit: make sure the tag and audit entry exist).
Stale candidate worktrees and branches without a journal are removed too.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass

from core.audit import AuditLog
from core.checkpoints import TAG_PREFIX
from core.gitops import CANDIDATE_PREFIX, GitRepo
from core.journal import Journal, Phase
from core.workspace import Workspace

__all__ = ["RecoveryReport", "recover"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecoveryReport:
    acted: bool
    actions: tuple[str, ...] = ()

    def describe(self) -> str:
        return "; ".join(self.actions) if self.actions else "nothing to recover"


def _restore_tracked(repo: GitRepo) -> None:
    """Make mutable/ and checkpoints/ match HEAD again (only ratchet writes there)."""
    repo.run("checkout", "--quiet", "HEAD", "--", "mutable", "checkpoints", check=False)
    repo.run("clean", "-fdq", "--", "mutable", "checkpoints", check=False)


def recover(workspace: Workspace, repo: GitRepo, audit: AuditLog) -> RecoveryReport:
    journal = Journal(workspace.journal_path)
    entry = journal.read()
    actions: list[str] = []
    if entry is not None:
        head = repo.rev(entry.agent_branch) if entry.agent_branch else None
        committed = bool(entry.candidate_commit) and head == entry.candidate_commit
        if entry.phase in (Phase.COMMITTING, Phase.TAGGED) and committed:
            tag = f"{TAG_PREFIX}{entry.checkpoint}"
            if repo.rev(tag) is None:
                repo.run("tag", tag, entry.candidate_commit)
                actions.append(f"tagged {tag}")
            last = audit.entries()[-1:] if audit.path.exists() else []
            if not (
                last and last[0].event == "checkpoint" and last[0].data.get("number") == entry.checkpoint
            ):
                audit.append(
                    "checkpoint",
                    {"number": entry.checkpoint, "commit": entry.candidate_commit, "summary": entry.summary},
                )
            actions.append(f"completed checkpoint {entry.checkpoint}")
        else:
            actions.append(f"rolled back an interrupted candidate ({entry.phase})")
        if repo.current_branch() == entry.agent_branch:
            _restore_tracked(repo)
        if entry.worktree:
            repo.remove_worktree(workspace.root / entry.worktree)
        if entry.branch:
            repo.delete_branch(entry.branch)
        journal.clear()
        audit.append("recovered", {"phase": str(entry.phase), "actions": actions})
    # stale candidates left without a journal entry (worktrees first: git keeps their branches)
    if workspace.worktrees.exists():
        for path in workspace.worktrees.iterdir():
            repo.remove_worktree(path)
            shutil.rmtree(path, ignore_errors=True)
            actions.append(f"removed stale worktree {path.name}")
    repo.run("worktree", "prune", check=False)
    for branch in repo.branches(f"{CANDIDATE_PREFIX}*"):
        repo.delete_branch(branch)
        actions.append(f"removed stale branch {branch}")
    return RecoveryReport(acted=bool(actions), actions=tuple(actions))
