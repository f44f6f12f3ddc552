"""Human checkpoints made outside the loop: re-sealing `protected/` after a deliberate edit.

The change is committed straight onto the agent branch as a checkpoint (manifest, trailers,
tag, audit entry) so that `ratchet verify` still holds: every agent commit is a checkpoint.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime

from core.audit import AuditLog
from core.checkpoints import TAG_PREFIX, commit_checkpoint, next_number
from core.config import Config
from core.cycle import Supervisor
from core.errors import RatchetError
from core.records import Checkpoint, Decision, GateReport, Proposal, Scores, Verdict
from core.seal import check_seal, seal_protected
from core.workspace import Workspace

__all__ = ["commit_human_change", "reseal"]

logger = logging.getLogger(__name__)


def commit_human_change(
    sup: Supervisor,
    *,
    paths: tuple[str, ...],
    title: str,
    kind: str,
    rationale: str,
    scores_after: Scores | None = None,
) -> int:
    """Commit the working-tree changes under `paths` as a human checkpoint (lock must be held).

    `scores_after` is the re-baselined eval run of the new tree (default: the previous baseline).
    """
    repo = sup.repo
    if repo.current_branch() != sup.agent_branch:
        raise RatchetError(f"check out the agent branch first (`git checkout {sup.agent_branch}`)")
    outside = [e.path for e in repo.is_dirty() if not any(e.path.startswith(p + "/") for p in paths)]
    if outside:
        raise RatchetError(
            f"uncommitted changes outside {', '.join(paths)}: {', '.join(outside[:8])}; "
            "commit or stash them first"
        )
    number = next_number(repo)
    baseline = sup.baseline()
    user = os.environ.get("USER") or "human"
    checkpoint = Checkpoint(
        number=number,
        parent=repo.head(),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        proposal=Proposal(rationale=rationale, target=", ".join(paths), edits=(), proposer=user, title=title),
        gates=GateReport(),
        scores_before=baseline,
        scores_after=baseline if scores_after is None else scores_after,
        verdict=Verdict(Decision.ACCEPT, title, f"human:{user}"),
        kind=kind,
    )
    audit = AuditLog(sup.workspace.audit_path)
    commit = commit_checkpoint(repo, checkpoint, audit.head(), paths)
    repo.run("tag", f"{TAG_PREFIX}{number}", commit)
    audit.append("checkpoint", {"number": number, "commit": commit, "summary": title, "kind": kind})
    return number


def reseal(workspace: Workspace, config: Config) -> int | None:
    """Seal protected/ as it is now and record it as checkpoint N; None if nothing changed."""
    sup = Supervisor(workspace, config, role="seal")
    sup.workspace.ensure_state_dirs()
    with sup.lock:
        status = check_seal(workspace.protected)
        dirty = [e for e in sup.repo.is_dirty() if e.path.startswith("protected/")]
        if status.ok and not dirty:
            return None
        seal_protected(workspace.protected, by=os.environ.get("USER") or "human")
        detail = status.describe() if not status.ok else "protected/ edited"
        return commit_human_change(
            sup,
            paths=("protected",),
            title="re-seal protected/",
            kind="seal",
            rationale=f"A human reviewed and re-sealed protected/ ({detail}).",
        )
