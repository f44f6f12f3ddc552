"""A candidate: a fresh git worktree on its own branch where one change is applied and validated.

The user's working tree is never touched until `commit_candidate` fast-forwards the agent branch.
`discard_candidate` removes the worktree and the branch, leaving nothing behind.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from core.audit import AuditLog
from core.checkpoints import TAG_PREFIX, commit_checkpoint, next_number
from core.gitops import CANDIDATE_PREFIX, GitRepo
from core.journal import Journal, JournalEntry, Phase
from core.records import Checkpoint, GateReport, Proposal, Scores, Verdict
from core.workspace import Workspace

__all__ = [
    "Applier",
    "Candidate",
    "commit_candidate",
    "discard_candidate",
    "open_candidate",
    "sealed_digests",
]

logger = logging.getLogger(__name__)

#: applies a change inside the candidate worktree; returns changed paths or a rejection reason
Applier = Callable[[GitRepo], "tuple[str, ...] | str"]


@dataclass(frozen=True)
class Candidate:
    id: str
    branch: str
    path: Path
    base: str
    agent_branch: str
    proposal: Proposal
    changed: tuple[str, ...] = ()
    diff: str = ""
    applied_tree: str = ""

    @property
    def repo(self) -> GitRepo:
        return GitRepo(self.path)


def sealed_digests(repo: GitRepo, commit: str) -> dict[str, str]:
    """The protected/ digests sealed at `commit` (read from git, not from any working tree)."""
    text = repo.run("show", f"{commit}:protected/SEAL.json", check=False).stdout
    try:
        files = json.loads(text)["files"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return {}
    return {str(k): str(v) for k, v in files.items()}


def open_candidate(
    workspace: Workspace, repo: GitRepo, agent_branch: str, proposal: Proposal, journal: Journal
) -> Candidate:
    """Create the worktree on a new candidate branch at the agent branch's head."""
    base = repo.rev(agent_branch)
    if base is None:
        raise RuntimeError(f"agent branch {agent_branch} does not exist")
    cid = datetime.now(UTC).strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(3)
    branch = f"{CANDIDATE_PREFIX}{cid}"
    path = workspace.worktrees / cid
    entry = JournalEntry(
        Phase.STARTED, os.getpid(), base, branch, str(path), agent_branch, summary=proposal.summary
    )
    journal.write(entry)
    workspace.worktrees.mkdir(parents=True, exist_ok=True)
    repo.add_worktree(path, branch, base)
    return Candidate(cid, branch, path, base, agent_branch, proposal)


def apply_change(candidate: Candidate, applier: Applier, journal: Journal) -> Candidate | str:
    """Apply the change in the worktree; a rejection string means nothing was written."""
    outcome = applier(candidate.repo)
    if isinstance(outcome, str):
        return outcome
    wt = candidate.repo
    changed = sorted({e.path for e in wt.status()} | set(outcome))
    tree = wt.write_tree()
    diff = wt.run("diff", "--cached", "--no-color", candidate.base).stdout
    entry = journal.read()
    if entry is not None:
        journal.write(replace(entry, phase=Phase.APPLIED))
    return replace(candidate, changed=tuple(changed), diff=diff, applied_tree=tree)


def discard_candidate(repo: GitRepo, candidate: Candidate, journal: Journal) -> None:
    repo.remove_worktree(candidate.path)
    repo.delete_branch(candidate.branch)
    journal.clear()


def commit_candidate(
    workspace: Workspace,
    repo: GitRepo,
    candidate: Candidate,
    *,
    report: GateReport,
    scores_before: Scores,
    scores_after: Scores,
    verdict: Verdict,
    journal: Journal,
    audit: AuditLog,
    kind: str = "proposal",
    reverts: int | None = None,
) -> int:
    """Make the checkpoint commit in the candidate, fast-forward the agent branch, tag, audit."""
    number = next_number(repo)
    checkpoint = Checkpoint(
        number=number,
        parent=candidate.base,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        proposal=candidate.proposal,
        gates=report,
        scores_before=scores_before,
        scores_after=scores_after,
        verdict=verdict,
        kind=kind,
        reverts=reverts,
    )
    commit = commit_checkpoint(candidate.repo, checkpoint, audit.head(), ("mutable",))
    entry = JournalEntry(
        Phase.COMMITTING,
        os.getpid(),
        candidate.base,
        candidate.branch,
        str(candidate.path),
        candidate.agent_branch,
        candidate_commit=commit,
        checkpoint=number,
        summary=checkpoint.summary,
    )
    journal.write(entry)
    advance_branch(repo, candidate.agent_branch, candidate.base, commit)
    repo.run("tag", f"{TAG_PREFIX}{number}", commit)
    journal.write(replace(entry, phase=Phase.TAGGED))
    audit.append(
        "checkpoint", {"number": number, "commit": commit, "summary": checkpoint.summary, "kind": kind}
    )
    discard_candidate(repo, candidate, journal)
    return number


def advance_branch(repo: GitRepo, branch: str, old: str, new: str) -> None:
    """Fast-forward `branch` from `old` to `new`, updating the working tree if it is checked out."""
    if repo.current_branch() == branch:
        repo.run("merge", "--ff-only", "--quiet", new)
    else:
        repo.run("update-ref", f"refs/heads/{branch}", new, old)
