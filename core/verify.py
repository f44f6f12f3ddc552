"""`ratchet verify`: the seal, the audit chain, and every agent-branch commit a well-formed checkpoint."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from core.audit import AuditLog
from core.checkpoints import TAG_PREFIX, parse_trailers
from core.gitops import GitRepo
from core.seal import branch_seal_status
from core.workspace import Workspace

__all__ = ["VerifyReport", "verify_workspace"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerifyReport:
    seal_ok: bool
    audit_ok: bool
    checkpoints_ok: bool
    checkpoints: int
    audit_entries: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.seal_ok and self.audit_ok and self.checkpoints_ok


def _check_commits(repo: GitRepo, branch: str) -> tuple[int, list[str], dict[int, str]]:
    problems: list[str] = []
    anchors: dict[int, str] = {}
    root = repo.rev(f"{TAG_PREFIX}0")
    head = repo.rev(branch)
    if root is None or head is None:
        return 0, [f"no checkpoint 0 or no branch {branch}: not a ratchet workspace"], anchors
    if not repo.is_ancestor(root, head):
        return 0, [f"{branch} does not descend from checkpoint 0"], anchors
    shas = [root, *reversed(repo.out("rev-list", "--first-parent", f"{root}..{head}").split())]
    tagged = repo.tags(f"{TAG_PREFIX}*")
    by_commit: dict[str, list[int]] = {}
    for name, sha in tagged.items():
        if name[len(TAG_PREFIX) :].isdigit():
            by_commit.setdefault(sha, []).append(int(name[len(TAG_PREFIX) :]))
    previous: str | None = None
    for sha in shas:
        short = sha[:10]
        raw = repo.out("log", "-1", "--format=%P%x00%B", sha)
        parents, _, message = raw.partition("\0")
        trailers = parse_trailers(message)
        number_text = trailers.get("Ratchet-Checkpoint", "")
        if not number_text.isdigit():
            problems.append(f"commit {short} is not a checkpoint (no Ratchet-Checkpoint trailer)")
            previous = sha
            continue
        number = int(number_text)
        if number not in by_commit.get(sha, []):
            problems.append(f"commit {short} (checkpoint {number}) has no tag {TAG_PREFIX}{number}")
        if previous is not None and parents.split()[:1] != [previous]:
            problems.append(f"checkpoint {number} ({short}) does not follow the checkpoint before it")
        rel = f"checkpoints/{number:04d}.json"
        shown = repo.run("show", f"{sha}:{rel}", check=False)
        if not shown.ok:
            problems.append(f"checkpoint {number} ({short}) has no manifest {rel}")
        else:
            try:
                if json.loads(shown.stdout).get("number") != number:
                    problems.append(f"manifest {rel} in {short} names another checkpoint")
            except json.JSONDecodeError:
                problems.append(f"manifest {rel} in {short} is not valid JSON")
        for key in ("Ratchet-Proposer", "Ratchet-Gates", "Ratchet-Approved-By"):
            if key not in trailers:
                problems.append(f"checkpoint {number} ({short}) lacks the {key} trailer")
        seq, _, prefix = trailers.get("Ratchet-Audit", "").partition(":")
        if seq.isdigit() and int(seq) > 0:
            anchors[int(seq)] = prefix
        previous = sha
    return len(shas), problems, anchors


def verify_workspace(workspace: Workspace, branch: str) -> VerifyReport:
    repo = GitRepo(workspace.root)
    problems: list[str] = []
    seal = branch_seal_status(repo, workspace.protected, branch)
    if not seal.ok:
        problems.append(seal.describe())
    committed = repo.run("diff", "--quiet", "HEAD", "--", "protected", check=False)
    if repo.current_branch() == branch and committed.returncode != 0:
        problems.append("protected/ differs from the last commit (uncommitted edit)")
    count, commit_problems, anchors = _check_commits(repo, branch)
    problems += commit_problems
    audit = AuditLog(workspace.audit_path).verify(anchors)
    problems += [f"audit: {p}" for p in audit.problems]
    return VerifyReport(
        seal_ok=seal.ok and not any("uncommitted edit" in p for p in problems),
        audit_ok=audit.ok,
        checkpoints_ok=not commit_problems,
        checkpoints=count,
        audit_entries=audit.entries,
        problems=tuple(problems),
    )
