"""Reading and rolling back checkpoints: log, show, revert (a gated commit), reset (backup kept)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from core.checkpoints import TAG_PREFIX, CheckpointInfo, load_checkpoint, parse_trailers
from core.cycle import CycleOutcome, Decider, Supervisor
from core.errors import RatchetError
from core.gates import gates_allowing_regression
from core.gitops import GitRepo
from core.records import Proposal

__all__ = ["LogEntry", "checkpoint_diff", "checkpoint_log", "reset_to", "revert_checkpoint"]

logger = logging.getLogger(__name__)

BACKUP_PREFIX = "refs/ratchet/backup/"


@dataclass(frozen=True)
class LogEntry:
    number: int
    commit: str
    time: str
    summary: str
    kind: str
    proposer: str
    gates: str
    score: str
    approved_by: str


def checkpoint_log(repo: GitRepo, branch: str) -> list[LogEntry]:
    """Checkpoints on the agent branch, newest first."""
    if repo.rev(branch) is None:
        return []
    text = repo.out("log", "--first-parent", "--format=%H%x00%aI%x00%B%x1e", branch)
    entries = []
    for record in text.split("\x1e"):
        record = record.strip("\n")
        if not record:
            continue
        commit, time, message = record.split("\x00", 2)
        trailers = parse_trailers(message)
        number = trailers.get("Ratchet-Checkpoint", "")
        if not number.isdigit():
            continue
        subject = message.strip().splitlines()[0] if message.strip() else ""
        entries.append(
            LogEntry(
                number=int(number),
                commit=commit,
                time=time,
                summary=subject.split(": ", 1)[-1],
                kind=trailers.get("Ratchet-Kind", "proposal"),
                proposer=trailers.get("Ratchet-Proposer", ""),
                gates=trailers.get("Ratchet-Gates", ""),
                score=trailers.get("Ratchet-Score", ""),
                approved_by=trailers.get("Ratchet-Approved-By", ""),
            )
        )
    return entries


def _on_branch(repo: GitRepo, branch: str, number: int) -> CheckpointInfo:
    info = load_checkpoint(repo, number)
    head = repo.rev(branch)
    if head is None or not repo.is_ancestor(info.commit, head):
        raise RatchetError(f"checkpoint {number} is not on {branch} (it was reset away); see `ratchet log`")
    return info


def checkpoint_diff(repo: GitRepo, number: int, other: int | None = None) -> str:
    """The code diff of checkpoint `number` (or between two checkpoints), without manifests."""
    info = load_checkpoint(repo, number)
    if other is not None:
        second = load_checkpoint(repo, other)
        return repo.run("diff", "--no-color", info.commit, second.commit, "--", "mutable", "protected").stdout
    if not info.checkpoint.parent:
        return ""
    return repo.run(
        "diff", "--no-color", info.checkpoint.parent, info.commit, "--", ".", ":!checkpoints"
    ).stdout


def revert_checkpoint(
    sup: Supervisor, number: int, decide: Decider, *, allow_regression: bool = False
) -> CycleOutcome:
    """A new, gated checkpoint whose change undoes checkpoint `number` in mutable/.

    Undoing an improvement usually regresses the evals, so the eval gate refuses it unless a
    human passes `allow_regression` (the regression is still measured and recorded).
    """
    info = _on_branch(sup.repo, sup.agent_branch, number)
    if not info.checkpoint.parent:
        raise RatchetError("checkpoint 0 is the seed; use `ratchet reset` to go back, not revert")
    patch = sup.repo.run("diff", "--binary", info.checkpoint.parent, info.commit, "--", "mutable").stdout
    if not patch.strip():
        raise RatchetError(f"checkpoint {number} changed nothing in mutable/; there is nothing to revert")

    def apply(repo: GitRepo) -> tuple[str, ...] | str:
        result = repo.run("apply", "-R", "--whitespace=nowarn", "-", check=False, stdin=patch.encode())
        if not result.ok:
            why = "later checkpoints changed the same lines"
            return f"checkpoint {number} no longer reverts cleanly ({why}): {result.output}"
        return tuple(e.path for e in repo.status())

    proposal = Proposal(
        rationale=f"Undo checkpoint {number} ({info.checkpoint.summary}).",
        target=info.checkpoint.proposal.target,
        edits=(),
        proposer="revert",
        title=f"revert checkpoint {number}",
    )
    gates = gates_allowing_regression(sup.gates) if allow_regression else None
    return sup.submit(proposal, decide, applier=apply, kind="revert", reverts=number, gates=gates)


def reset_to(sup: Supervisor, number: int) -> str:
    """Move the agent branch back to checkpoint `number`; returns the backup ref of the old head."""
    sup.require_clean()
    info = _on_branch(sup.repo, sup.agent_branch, number)
    old = sup.repo.rev(sup.agent_branch)
    assert old is not None
    if old == info.commit:
        raise RatchetError(f"{sup.agent_branch} is already at checkpoint {number}")
    backup = f"{BACKUP_PREFIX}{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}-{old[:10]}"
    sup.repo.run("update-ref", backup, old)
    if sup.repo.current_branch() == sup.agent_branch:
        sup.repo.run("reset", "--hard", "--quiet", info.commit)
    else:
        sup.repo.run("update-ref", f"refs/heads/{sup.agent_branch}", info.commit, old)
    sup.audit.append("reset", {"to": number, "from": old, "backup": backup, "tag": f"{TAG_PREFIX}{number}"})
    return backup
