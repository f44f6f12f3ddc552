"""The TUI's loop driver: cycles, inbox approvals and reverts, run on a worker thread.

It wraps one entered `Supervisor` (the app owns it for its lifetime). Every change goes through
`Supervisor.run_cycle` / `submit` / `revert_checkpoint`, exactly as the CLI and the daemon do;
what the TUI adds is a human: `ask` is called on the worker thread and blocks until the person
answers in the review modal. Policy still runs first, so its reasons are shown with the change.
Nothing here imports Textual, so the loop logic is testable without a terminal.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.cycle import CycleOutcome, Decider, Review, Supervisor
from core.daemon_inbox import approve_item, human_name, reject_item
from core.decide import approval_reasons, policy_decider
from core.errors import RatchetError
from core.events import Event, LogLine, Phase, PhaseChanged
from core.history import revert_checkpoint
from core.inbox import InboxItem, put_item
from core.observe import add_note
from core.proposers.base import NoProposal, Observation, Proposer
from core.records import Decision, Proposal, Verdict
from core.workspace import Workspace

if TYPE_CHECKING:
    from core.memory import Memory

__all__ = ["HumanAsk", "LoopController", "RunMode", "RunReport", "human", "human_accept"]

logger = logging.getLogger(__name__)

#: shows a validated change to the human (with policy's reasons) and blocks for the answer
HumanAsk = Callable[[Review, tuple[str, ...]], Verdict]


class RunMode(enum.StrEnum):
    RUN = "run"  # cycle until paused, stopped, out of proposals or failing repeatedly
    STEP = "step"  # exactly one cycle


@dataclass(frozen=True)
class RunReport:
    cycles: int
    accepted: int
    ended: str


def human() -> str:
    """How checkpoints and the audit log name the person at the keyboard (as `ratchet inbox` does)."""
    return f"human:{human_name()}"


def human_accept(reason: str) -> Decider:
    """A decider for a change a human already approved (a confirmed revert)."""
    return lambda review: Verdict(Decision.ACCEPT, reason, human())


class _Watched:
    """A Proposer wrapper remembering whether the last answer was a NoProposal."""

    def __init__(self, inner: Proposer) -> None:
        self.inner = inner
        self.name = inner.name
        self.last: NoProposal | None = None

    def propose(self, observation: Observation, workspace: Workspace) -> Proposal | NoProposal:
        result = self.inner.propose(observation, workspace)
        self.last = result if isinstance(result, NoProposal) else None
        return result


class LoopController:
    """Runs the loop for the TUI; `pause_requested` / `stop_requested` are set from the UI thread."""

    def __init__(
        self,
        supervisor: Supervisor,
        make_proposer: Callable[[ExitStack], Proposer],
        ask: HumanAsk,
        *,
        review_all: bool = True,
    ) -> None:
        self.supervisor = supervisor
        self.workspace = supervisor.workspace
        self._make_proposer = make_proposer
        self._proposer: _Watched | None = None
        self._stack = ExitStack()
        self._memory: Memory | None = None
        self.ask = ask
        self.review_all = review_all
        self.pause_requested = threading.Event()
        self.stop_requested = threading.Event()
        self.cycles = 0
        self.accepted = 0
        self.rejected = 0
        #: the last finished cycle, inbox approval or revert (read by the UI after the job ends)
        self.last_outcome: CycleOutcome | None = None
        #: the last proposal that went through `submit` (each retry is one), with its gate report
        self.last_attempt: CycleOutcome | None = None
        recorder = supervisor.remember

        def remember(proposal: Proposal, outcome: CycleOutcome) -> None:
            self.last_attempt = outcome
            if recorder is not None:
                recorder(proposal, outcome)

        supervisor.remember = remember
        self._phase = Phase.IDLE
        sink = supervisor.sink

        def track(event: Event) -> None:
            if isinstance(event, PhaseChanged):
                self._phase = event.phase
            sink(event)

        supervisor.sink = track

    # --- deciding ------------------------------------------------------------------------------
    def decider(self) -> Decider:
        """Policy first; a human when policy asks for one (or always, with `review_all`)."""
        rules = self.supervisor.policy.approval
        policy = policy_decider(rules)

        def decide(review: Review) -> Verdict:
            verdict = policy(review)
            if verdict.decision is Decision.ACCEPT and not self.review_all:
                return verdict
            reasons = tuple(approval_reasons(review, rules))
            answer = self.ask(review, reasons)
            if self.supervisor.cancelled.is_set():
                return Verdict(Decision.SKIP, "aborted", human())
            if answer.decision is Decision.REJECT:
                self.note_rejection(answer.reason, review.proposal.target)
            elif answer.decision is Decision.SKIP:
                why = "; ".join(reasons) or "skipped in review"
                item = put_item(
                    self.workspace, review.proposal, review.diff, review.report, why, review.comparison
                )
                self._log(f"skipped: kept as inbox item {item.id}")
            return answer

        return decide

    def note_rejection(self, reason: str, target: str) -> None:
        """A human's reason for a rejection: into the notes the next observation reads, and memory."""
        if not reason.strip():
            return
        add_note(self.workspace, reason)
        self._remember_note(reason, target)

    def _remember_note(self, reason: str, target: str) -> None:
        if reason.strip() and self.supervisor.config.memory.enabled:
            if self._memory is None:
                from core.memory import open_memory

                self._memory = open_memory(self.workspace)
            self._memory.record_note(reason, target=target)

    # --- running -------------------------------------------------------------------------------
    def _log(self, message: str, level: str = "info") -> None:
        self.supervisor.sink(LogLine(message, level))

    def _count(self, outcome: CycleOutcome) -> None:
        self.last_outcome = outcome
        self.cycles += 1
        if outcome.accepted:
            self.accepted += 1
        elif outcome.verdict.decision is Decision.REJECT:
            self.rejected += 1

    def run(self, mode: RunMode) -> RunReport:
        """Cycle until `mode` says stop (call on a worker thread)."""
        self.pause_requested.clear()
        self.stop_requested.clear()
        cycles = accepted = failures = 0
        limit = self.supervisor.config.daemon.max_consecutive_failures
        ended = "one cycle done"
        try:
            if self._proposer is None:
                self._proposer = _Watched(self._make_proposer(self._stack))
            decide = self.decider()
            while True:
                if self.stop_requested.is_set():
                    ended = "stopped"
                    break
                outcome = self.supervisor.run_cycle(self._proposer, decide)
                cycles += 1
                self._count(outcome)
                accepted += int(outcome.accepted)
                failures = 0 if outcome.accepted else failures + 1
                last = self._proposer.last
                if self.stop_requested.is_set() or self.supervisor.cancelled.is_set():
                    ended = "stopped"
                elif last is not None and last.exhausted:
                    ended = f"nothing more to propose ({last.reason})"
                elif mode is RunMode.STEP:
                    ended = "one cycle done"
                elif self.pause_requested.is_set():
                    ended = "paused"
                elif limit and failures >= limit:
                    ended = f"{failures} cycles in a row without an accepted change"
                else:
                    continue
                break
        except RatchetError as exc:
            ended = f"error: {exc}"
            self._log(str(exc), "error")
        final = Phase.PAUSED if ended == "paused" else Phase.STOPPED if ended == "stopped" else Phase.IDLE
        self.supervisor.sink(PhaseChanged(final, ended))
        return RunReport(cycles, accepted, ended)

    def approve_item(self, item: InboxItem) -> CycleOutcome:
        """Re-validate a queued proposal against the current checkpoint; commit it if it passes.

        The same call as `ratchet inbox approve`: the item leaves the inbox either way.
        """
        self.supervisor.cancelled.clear()
        outcome = approve_item(self.supervisor, item, human_name())
        self._count(outcome)
        return outcome

    def reject_item(self, item: InboxItem, reason: str) -> None:
        """As `ratchet inbox reject`: drop it, note why, audit it; the reason also goes to memory."""
        reject_item(self.supervisor, item, human_name(), reason)
        self._remember_note(reason, item.proposal.target)

    def revert(self, number: int, *, allow_regression: bool) -> CycleOutcome:
        self.supervisor.cancelled.clear()
        outcome = revert_checkpoint(
            self.supervisor,
            number,
            human_accept(f"revert of checkpoint {number} confirmed"),
            allow_regression=allow_regression,
        )
        self._count(outcome)
        return outcome

    def abort(self) -> None:
        """Stop the loop now: the candidate in flight is discarded (UI thread or signal handler).

        `Supervisor.abort` kills processes only while the gates run; a commit already under way
        is never interrupted.
        """
        self.stop_requested.set()
        self.supervisor.abort()

    def close(self) -> None:
        """Release what the proposer opened (an LLM gateway's embedded server)."""
        self._stack.close()
