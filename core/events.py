"""Events the loop emits while it works; the TUI, the daemon log and the CLI subscribe."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from core.records import GateResult, Proposal, Verdict

__all__ = [
    "CycleFinished",
    "Event",
    "EventSink",
    "GateFinished",
    "GateStarted",
    "LogLine",
    "Phase",
    "PhaseChanged",
    "ProposalReady",
    "null_sink",
]

logger = logging.getLogger(__name__)


class Phase(enum.StrEnum):
    IDLE = "idle"
    OBSERVING = "observing"
    PROPOSING = "proposing"
    VALIDATING = "validating"
    AWAITING_APPROVAL = "awaiting approval"
    COMMITTING = "committing"
    PAUSED = "paused"
    STOPPED = "stopped"


@dataclass(frozen=True)
class PhaseChanged:
    phase: Phase
    detail: str = ""


@dataclass(frozen=True)
class ProposalReady:
    proposal: Proposal
    diff: str


@dataclass(frozen=True)
class GateStarted:
    name: str
    index: int
    total: int


@dataclass(frozen=True)
class GateFinished:
    result: GateResult


@dataclass(frozen=True)
class CycleFinished:
    verdict: Verdict
    checkpoint: int | None
    summary: str


@dataclass(frozen=True)
class LogLine:
    message: str
    level: str = "info"


Event = PhaseChanged | ProposalReady | GateStarted | GateFinished | CycleFinished | LogLine
EventSink = Callable[[Event], None]


def null_sink(event: Event) -> None:
    """An EventSink that drops everything."""
