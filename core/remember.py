"""Recording every attempt of the loop in memory, so proposers can avoid repeating failures."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from core.records import Proposal
from core.workspace import Workspace

if TYPE_CHECKING:
    from core.cycle import CycleOutcome
    from core.memory import Memory

__all__ = ["attempt_recorder"]

logger = logging.getLogger(__name__)


def attempt_recorder(
    workspace: Workspace, enabled: bool = True
) -> Callable[[Proposal, CycleOutcome], None] | None:
    """A `Supervisor.remember` callback writing to `.agent/memory/` (opened on first use)."""
    if not enabled:
        return None
    opened: list[Memory] = []

    def record(proposal: Proposal, outcome: CycleOutcome) -> None:
        from core.memory import AttemptRecord, code_fingerprint, open_memory

        if not opened:
            opened.append(open_memory(workspace))
        failed = outcome.report.failed if outcome.report else None
        decision = str(outcome.verdict.decision)
        status = (
            "accepted"
            if outcome.accepted
            else {"reject": "rejected", "skip": "skipped"}.get(decision, decision)
        )
        opened[0].record_attempt(
            AttemptRecord(
                target=proposal.target,
                rationale=proposal.rationale,
                diff=outcome.diff,
                outcome=status,
                gate=failed.name if failed else "",
                excerpt=(failed.output if failed else outcome.verdict.reason)[:2000],
                scores=outcome.verdict.reason,
                cost_usd=proposal.usage.cost_usd,
                proposer=proposal.proposer,
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                fingerprint=code_fingerprint(proposal.edits),
            )
        )

    return record
