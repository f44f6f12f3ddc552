"""Checkpoint manifests, commit messages with `Ratchet-*` trailers, and reading them back."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.gitops import GitError, GitRepo
from core.records import Checkpoint, GateReport, Proposal, Scores, from_dict, to_json

__all__ = [
    "TAG_PREFIX",
    "CheckpointInfo",
    "HeadCheckpoint",
    "commit_checkpoint",
    "commit_message",
    "head_checkpoint",
    "list_checkpoints",
    "load_checkpoint",
    "manifest_path",
    "next_number",
    "parse_trailers",
    "score_line",
    "write_manifest",
]

logger = logging.getLogger(__name__)

TAG_PREFIX = "ckpt/"


def manifest_path(root: Path, number: int) -> Path:
    return root / "checkpoints" / f"{number:04d}.json"


def write_manifest(root: Path, checkpoint: Checkpoint) -> Path:
    path = manifest_path(root, checkpoint.number)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_json(checkpoint) + "\n", encoding="utf-8")
    return path


def score_line(before: Scores, after: Scores) -> str:
    parts = []
    for suite in after.suites:
        old = before.get(suite.name)
        start = f"{old.score:.3f}" if old else "new"
        parts.append(f"{suite.name} {start}->{suite.score:.3f}")
    return ", ".join(parts) or "no evals"


def _gate_line(report: GateReport) -> str:
    return (
        " ".join(f"{r.name}={'ok' if r.passed else 'FAIL'}:{r.seconds:.2f}s" for r in report.results)
        or "none"
    )


def _cost_line(proposal: Proposal) -> str:
    usage = proposal.usage
    return f"{usage.tokens_in}+{usage.tokens_out} tokens, ${usage.cost_usd:.4f}"


def commit_message(checkpoint: Checkpoint, audit_head: str) -> str:
    proposal = checkpoint.proposal
    proposer = proposal.proposer + (f" ({proposal.model})" if proposal.model else "")
    body = proposal.rationale.strip()
    lines = [f"ckpt {checkpoint.number}: {checkpoint.summary}", ""]
    if body and body != checkpoint.summary:
        lines += [body, ""]
    lines += [
        f"Ratchet-Checkpoint: {checkpoint.number}",
        f"Ratchet-Kind: {checkpoint.kind}",
        f"Ratchet-Proposer: {proposer}",
        f"Ratchet-Gates: {_gate_line(checkpoint.gates)}",
        f"Ratchet-Score: {score_line(checkpoint.scores_before, checkpoint.scores_after)}",
        f"Ratchet-Cost: {_cost_line(proposal)}",
        f"Ratchet-Approved-By: {checkpoint.verdict.by}",
        f"Ratchet-Audit: {audit_head}",
    ]
    return "\n".join(lines) + "\n"


def commit_checkpoint(tree: GitRepo, checkpoint: Checkpoint, audit_head: str, paths: Sequence[str]) -> str:
    """Write the manifest into `tree`, stage `paths` (plus checkpoints/) and commit; the sha.

    Tagging and the audit entry are the caller's: a candidate is tagged only after the agent
    branch has moved to it.
    """
    write_manifest(tree.root, checkpoint)
    tree.run("add", "-A", "--", *paths, "checkpoints")
    message = commit_message(checkpoint, audit_head).encode()
    tree.run("commit", "--quiet", "--no-verify", "-F", "-", stdin=message)
    return tree.head()


_TRAILER = re.compile(r"^(Ratchet-[A-Za-z-]+): (.*)$")


def parse_trailers(message: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for line in message.splitlines() if (m := _TRAILER.match(line))}


@dataclass(frozen=True)
class CheckpointInfo:
    number: int
    commit: str
    checkpoint: Checkpoint


def load_checkpoint(repo: GitRepo, number: int) -> CheckpointInfo:
    """The manifest of checkpoint `number` as committed (read from git, not the working tree)."""
    tag = f"{TAG_PREFIX}{number}"
    commit = repo.rev(tag)
    if commit is None:
        raise GitError(f"no checkpoint {number} (tag {tag} not found); see `ratchet log`")
    rel = manifest_path(Path(), number).as_posix()
    text = repo.run("show", f"{commit}:{rel}").stdout
    return CheckpointInfo(number, commit, from_dict(Checkpoint, json.loads(text)))


@dataclass(frozen=True)
class HeadCheckpoint:
    number: int
    subject: str


def head_checkpoint(repo: GitRepo, branch: str) -> HeadCheckpoint | None:
    """The newest checkpoint commit on `branch` (first-parent), found by its trailer."""
    if repo.rev(branch) is None:
        return None
    message = repo.out("log", "-1", "--first-parent", "--grep=^Ratchet-Checkpoint: ", "--format=%B", branch)
    number = parse_trailers(message).get("Ratchet-Checkpoint", "")
    if not number.isdigit():
        return None
    return HeadCheckpoint(int(number), message.splitlines()[0])


def list_checkpoints(repo: GitRepo) -> list[int]:
    numbers = []
    for name in repo.tags(f"{TAG_PREFIX}*"):
        suffix = name[len(TAG_PREFIX) :]
        if suffix.isdigit():
            numbers.append(int(suffix))
    return sorted(numbers)


def next_number(repo: GitRepo) -> int:
    numbers = list_checkpoints(repo)
    return numbers[-1] + 1 if numbers else 0
