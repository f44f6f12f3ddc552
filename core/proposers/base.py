"""The Proposer seam: an Observation in, a Proposal (or a reasoned NoProposal) out."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from core.records import GateResult, Proposal, Scores
from core.workspace import Workspace

__all__ = ["FailingCase", "NoProposal", "Observation", "PastAttempt", "Proposer"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FailingCase:
    suite: str
    case_id: str
    detail: str = ""


@dataclass(frozen=True)
class PastAttempt:
    target: str
    summary: str
    outcome: str  # accepted | rejected | error
    gate: str = ""
    excerpt: str = ""


@dataclass(frozen=True)
class Observation:
    """What the proposer is told about the agent's current state."""

    scores: Scores
    failing_cases: tuple[FailingCase, ...] = ()
    recent_attempts: tuple[PastAttempt, ...] = ()
    goals: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: the module/symbol the supervisor wants improved next, if it chose one
    target: str = ""
    #: the gate failure of the previous try on this target (retries), fed back to the proposer
    feedback: GateResult | None = None
    attempt: int = 0


@dataclass(frozen=True)
class NoProposal:
    """The proposer had nothing usable (empty or malformed reply, nothing left to try)."""

    reason: str
    exhausted: bool = False


class Proposer(Protocol):
    name: str

    def propose(self, observation: Observation, workspace: Workspace) -> Proposal | NoProposal: ...
