"""The unattended loop: improve the agent within limits, queue what needs a human, stop safely.

`Daemon(workspace, config, proposer).run()` takes the workspace lock (role "daemon"), recovers an
interrupted candidate, then repeats observe → propose → validate → decide through the
`Supervisor` until a stop rule fires. Policy decides (`core.decide.policy_decider`): accepted
changes become checkpoints, "needs approval" ones go to the inbox, the rest are rejected and
remembered. Between cycles it applies inbox decisions a human left, pauses for `.agent/PAUSE` and
for human edits (`core.daemon_human`), and checks every stop rule.

Stop rules are `core.daemon_rules`, exit codes `core.daemon_state.ExitCode`. Signals, the STOP
file and watchdog events arrive on other threads and reach the loop through `core.daemon_guard`:
a stop requested while gates run aborts the candidate (its processes are killed, it is discarded);
a commit already under way finishes.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from core.audit import AuditLog
from core.config import Config
from core.cycle import CycleOutcome, Decider, Review, Supervisor
from core.daemon_guard import STOP_FILE, Guard
from core.daemon_human import dirty_paths, inspect_tree, rebaseline, record_human_commits
from core.daemon_inbox import approve_item, pending_decisions, reject_item
from core.daemon_rules import Progress, Stop, audit_stop, disk_stop, limit_stop, score_stop
from core.daemon_state import DaemonLog, DaemonState, ExitCode, JsonLinesHandler, stamp, write_state
from core.decide import policy_decider
from core.errors import DirtyWorkspace, Locked, RatchetError, SealBroken
from core.events import (
    CycleFinished,
    Event,
    EventSink,
    GateFinished,
    GateStarted,
    LogLine,
    Phase,
    PhaseChanged,
    null_sink,
)
from core.gates import DEFAULT_GATES, Gate
from core.gitops import GitError
from core.inbox import load_item, put_item
from core.llm.errors import BudgetExceeded
from core.llm.ledger import Ledger, LedgerTotals
from core.proposers.base import NoProposal, Observation, PastAttempt, Proposer
from core.records import Decision, Proposal, Verdict
from core.remember import attempt_recorder
from core.sandbox.base import Sandbox
from core.watch import WatchEvent
from core.workspace import Workspace

__all__ = ["PAUSE_FILE", "STOP_FILE", "Daemon", "DaemonResult"]

logger = logging.getLogger(__name__)

#: the file under .agent/ that pauses a running daemon (the TUI writes it too; STOP_FILE stops it)
PAUSE_FILE = "PAUSE"
#: past attempts shown to the proposer
_RECENT = 5


@dataclass(frozen=True)
class DaemonResult:
    exit_code: ExitCode
    reason: str
    state: DaemonState


class _Recording:
    """Wraps the proposer to remember whether it said it has nothing left."""

    def __init__(self, inner: Proposer) -> None:
        self.inner = inner
        self.name = inner.name
        self.exhausted: NoProposal | None = None

    def propose(self, observation: Observation, workspace: Workspace) -> Proposal | NoProposal:
        result = self.inner.propose(observation, workspace)
        self.exhausted = result if isinstance(result, NoProposal) and result.exhausted else None
        return result


class Daemon:
    """One unattended run on a workspace (see the module docstring)."""

    def __init__(
        self,
        workspace: Workspace,
        config: Config,
        proposer: Proposer,
        *,
        gates: Sequence[Gate] = DEFAULT_GATES,
        sandbox: Sandbox | None = None,
        echo: EventSink = null_sink,
        handle_signals: bool = True,
        poll_seconds: float = 0.05,
    ) -> None:
        self.workspace = workspace
        self.config = config
        self.proposer = _Recording(proposer)
        self.gates = tuple(gates)
        self.echo = echo
        self.handle_signals = handle_signals
        self.poll_seconds = poll_seconds
        self.log = DaemonLog(workspace.log_path)
        self.state = DaemonState(pid=os.getpid(), proposer=proposer.name)
        self.guard = Guard(
            workspace, on_stop=self._stopping, on_outside_edit=self._outside_edit, poll_seconds=poll_seconds
        )
        self._sandbox = sandbox
        self._lock = threading.RLock()
        self._expected_head = ""
        self._ledger = Ledger(workspace.ledger_path)
        self._ledger_start = LedgerTotals()
        self._started = 0.0
        self._last_comparison = ""
        self._recent: tuple[PastAttempt, ...] = ()

    # --- public ---------------------------------------------------------------------------
    def run(self) -> DaemonResult:
        """Run until a stop rule fires; never raises for an expected stop (see ExitCode)."""
        self.workspace.ensure_state_dirs()
        handler = JsonLinesHandler(self.log)
        core_logger = logging.getLogger("core")
        with self.log:
            core_logger.addHandler(handler)
            try:
                stop = self._run_locked()
            except Locked as exc:
                # the state file belongs to whoever holds the lock: leave it alone
                self.log.write("refused", "error", code=int(ExitCode.LOCKED), reason=str(exc))
                return DaemonResult(ExitCode.LOCKED, str(exc), self.state)
            except SealBroken as exc:
                stop = Stop(ExitCode.SEAL_BROKEN, str(exc))
            except BudgetExceeded as exc:
                stop = Stop(ExitCode.BUDGET, str(exc))
            except RatchetError as exc:
                stop = Stop(_exit_code(exc), str(exc))
            except Exception as exc:  # the one top-level catch (STYLE.md): record the crash, stop cleanly
                self.log.write("crash", "error", error=repr(exc), traceback=traceback.format_exc())
                stop = Stop(ExitCode.CRASHED, f"crashed: {exc!r} (traceback in {self.workspace.log_path})")
            finally:
                core_logger.removeHandler(handler)
            stop = self.guard.stop or stop  # a requested stop explains whatever ended the loop
            self._finish(stop)
        return DaemonResult(stop.code, stop.reason, self.state)

    def request_stop(self, code: ExitCode, reason: str, *, abort: bool = True) -> None:
        """Stop after (or, with `abort`, instead of) the current candidate. Thread-safe; first wins."""
        self.guard.request_stop(code, reason, abort=abort)

    def _stopping(self, stop: Stop) -> None:
        self.log.write("stopping", "warning", code=int(stop.code), reason=stop.reason)
        self._set_state(phase="stopping", stop_reason=stop.reason)

    def _outside_edit(self, event: WatchEvent) -> None:
        self.log.write("outside-edit", "warning", path=event.path, kind=event.kind)

    # --- the run ------------------------------------------------------------------------------
    def _run_locked(self) -> Stop:
        recorder = attempt_recorder(self.workspace, self.config.memory.enabled)

        def remember(proposal: Proposal, outcome: CycleOutcome) -> None:
            # an aborted candidate says nothing about the change, and a stop must not wait for memory
            if recorder is not None and outcome.verdict.reason != "aborted":
                recorder(proposal, outcome)

        sup = Supervisor(
            self.workspace,
            self.config,
            role="daemon",
            gates=self.gates,
            sandbox=self._sandbox,
            sink=self._on_event,
            remember=remember,
        )
        with sup:
            now = datetime.now(UTC).isoformat(timespec="seconds")
            self._set_state(phase="starting", started_at=now)
            self.log.write(
                "started",
                proposer=self.proposer.name,
                recovery=sup.recovery.describe(),
                limits=_limits(self.config),
            )
            sup.require_clean()
            self._expected_head = sup.repo.rev(sup.agent_branch) or ""
            self._ledger_start = self._ledger.totals()
            self._started = time.monotonic()
            try:
                self.guard.start(sup, handle_signals=self.handle_signals)
                return self._loop(sup)
            finally:
                self.guard.close()

    def _loop(self, sup: Supervisor) -> Stop:
        decide = self._decider(sup)
        while True:
            stop = self._check_rules(sup)
            if stop is not None:
                return stop
            if self._needs_pause(sup):
                continue
            self._apply_inbox_decisions(sup)
            if self.guard.stop is not None:
                continue
            observation = sup.observe(recent=self._recent)
            try:
                outcome = sup.run_cycle(self.proposer, decide, observation)
            except (DirtyWorkspace, GitError) as exc:
                # a human edit landed mid-cycle (the commit's fast-forward refused to overwrite it),
                # or a git command of an aborted candidate was killed; either way the Supervisor
                # discarded the candidate and the next round pauses or stops
                if self.guard.stop is None and not dirty_paths(sup.repo):
                    raise
                self.log.write("aborted", "warning", error=str(exc)[:500])
                continue
            if self.proposer.exhausted is not None and outcome.proposal is None:
                return Stop(
                    ExitCode.DONE,
                    f"the proposer has nothing more to propose ({self.proposer.exhausted.reason})",
                )
            self._count(sup, outcome)

    def _decider(self, sup: Supervisor) -> Decider:
        rules = sup.policy.approval
        policy = policy_decider(rules, by="policy")

        def decide(review: Review) -> Verdict:
            self._last_comparison = review.comparison
            return policy(review)

        return decide

    def _count(self, sup: Supervisor, outcome: CycleOutcome) -> None:
        """Update the counters: `rejected` counts every gate rejection, retries included."""
        decision = outcome.verdict.decision
        self._recent = (*self._recent, _past_attempt(outcome))[-_RECENT:]
        rejected = len(outcome.failures) or int(decision is Decision.REJECT)
        queued = skipped = 0
        if outcome.accepted:
            self._expected_head = sup.repo.rev(sup.agent_branch) or self._expected_head
        elif decision is Decision.NEEDS_APPROVAL and outcome.proposal and outcome.report:
            item = put_item(
                self.workspace,
                outcome.proposal,
                outcome.diff,
                outcome.report,
                outcome.verdict.reason,
                self._last_comparison,
            )
            queued = 1
            self.log.write(
                "queued", item=item.id, summary=outcome.proposal.summary, reason=outcome.verdict.reason
            )
        elif decision is Decision.SKIP:
            skipped = 1
        # a cycle fails when it ends rejected or with nothing usable; an abort or a finished script does not
        failed = decision is Decision.REJECT or (
            decision is Decision.SKIP
            and outcome.verdict.reason != "aborted"
            and self.proposer.exhausted is None
        )
        with self._lock:
            s = self.state
            if failed:
                streak = s.consecutive_failures + 1
            elif outcome.accepted or queued:
                streak = 0
            else:
                streak = s.consecutive_failures
            self._set_state(
                cycles=s.cycles + 1,
                # proposals validated: a cycle that ended in "no proposal" asked once more than it validated
                attempts=s.attempts + outcome.attempts - (0 if outcome.proposal is not None else 1),
                accepted=s.accepted + int(outcome.accepted),
                rejected=s.rejected + rejected,
                queued=s.queued + queued,
                skipped=s.skipped + skipped,
                consecutive_failures=streak,
                last=f"{outcome.verdict.decision}: {outcome.proposal.summary if outcome.proposal else '-'}"
                f" ({outcome.verdict.reason})"[:300],
            )

    # --- stop rules ---------------------------------------------------------------------------
    def _check_rules(self, sup: Supervisor) -> Stop | None:
        """Every stop rule, cheapest first; the first that fires wins."""
        if self.guard.stop is not None:
            return self.guard.stop
        stop_file = self.workspace.agent_dir / STOP_FILE
        if stop_file.exists():
            stop_file.unlink(missing_ok=True)
            return Stop(ExitCode.DONE, f"stopped by request (.agent/{STOP_FILE})")
        totals = self._ledger.totals()
        progress = Progress(
            cycles=self.state.cycles,
            consecutive_failures=self.state.consecutive_failures,
            seconds=time.monotonic() - self._started,
            tokens=totals.tokens - self._ledger_start.tokens,
            cost_usd=totals.cost_usd - self._ledger_start.cost_usd,
        )
        self._set_state(
            tokens=progress.tokens,
            cost_usd=round(progress.cost_usd, 6),
            spent=f"{progress.tokens:,} tokens, ${progress.cost_usd:.4f}",
        )
        daemon = self.config.daemon
        return (
            limit_stop(daemon, progress)
            or disk_stop(self.workspace.root, daemon.min_free_disk_mb)
            or audit_stop(AuditLog(self.workspace.audit_path))
            or score_stop(sup.baseline(), daemon.until_score)
        )

    # --- pauses and human edits -----------------------------------------------------------
    def _needs_pause(self, sup: Supervisor) -> bool:
        """Handle PAUSE and human edits; True when the loop should re-check its rules first."""
        pause_file = self.workspace.agent_dir / PAUSE_FILE
        if pause_file.exists():
            self._wait(
                "paused by request (.agent/PAUSE); remove it or `ratchet daemon --resume`", pause_file.exists
            )
            return True
        tree = inspect_tree(sup.repo, sup.agent_branch, self._expected_head)
        if tree.problem:
            self.request_stop(ExitCode.TAMPERED, tree.problem, abort=False)
            return True
        if tree.dirty:
            names = ", ".join(tree.dirty[:5]) + (" ..." if len(tree.dirty) > 5 else "")
            self.log.write("human-edit", "warning", paths=list(tree.dirty[:20]))
            self._wait(
                f"uncommitted changes ({names}): waiting until they are committed or reverted",
                lambda: bool(dirty_paths(sup.repo)) or self._recent_outside_edit(),
            )
            return True
        if tree.human_commits:
            self._set_state(phase="re-baselining", detail=f"{len(tree.human_commits)} human commit(s)")
            scores, output = rebaseline(sup)
            if scores is None:
                self.log.write("rebaseline-failed", "warning", output=output[-2000:])
            number = record_human_commits(sup, tree, scores)
            self._expected_head = sup.repo.rev(sup.agent_branch) or ""
            self.log.write("human-checkpoint", checkpoint=number, commits=list(tree.human_commits))
            return True
        if tree.moved:
            self.log.write("adopted", "warning", head=tree.head, previous=tree.expected)
            self._expected_head = tree.head
        return False

    def _recent_outside_edit(self) -> bool:
        return self.guard.recent_outside_edit(self.config.daemon.debounce_seconds)

    def _wait(self, why: str, still: object) -> None:
        """Sit in the paused phase while `still()` holds, unless a stop is requested."""
        assert callable(still)
        self._set_state(phase=str(Phase.PAUSED), paused=why, detail=why)
        self.log.write("paused", reason=why)
        self.echo(PhaseChanged(Phase.PAUSED, why))
        while self.guard.stop is None and not (self.workspace.agent_dir / STOP_FILE).exists() and still():
            self.guard.wait(max(self.poll_seconds, 0.25))
        self._set_state(phase=str(Phase.IDLE), paused="", detail="")
        self.log.write("resumed")

    def _apply_inbox_decisions(self, sup: Supervisor) -> None:
        for pending in pending_decisions(self.workspace):
            try:
                item = load_item(self.workspace, pending.item_id)
            except RatchetError:
                for kind in ("approve", "reject"):
                    (self.workspace.inbox_dir / f"{pending.item_id}.{kind}").unlink(missing_ok=True)
                continue
            if pending.decision == "approve":
                outcome = approve_item(sup, item, pending.by)
                if outcome.accepted:
                    self._expected_head = sup.repo.rev(sup.agent_branch) or self._expected_head
                    self._set_state(accepted=self.state.accepted + 1)
                self.log.write(
                    "inbox-approved",
                    item=item.id,
                    by=pending.by,
                    checkpoint=outcome.checkpoint,
                    reason=outcome.verdict.reason,
                )
            else:
                reject_item(sup, item, pending.by, pending.note)
                self.log.write("inbox-rejected", item=item.id, by=pending.by, note=pending.note)

    # --- events ---------------------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        """The Supervisor's sink (loop thread): state at every phase change, the log, the echo."""
        if isinstance(event, PhaseChanged):
            if event.phase is Phase.COMMITTING:
                self.guard.committing()
            self._set_state(phase=str(event.phase), detail=event.detail[:200])
            self.log.write("phase", phase=str(event.phase), detail=event.detail[:200])
        elif isinstance(event, GateStarted):
            self._set_state(detail=f"gate {event.name} ({event.index + 1}/{event.total})")
        elif isinstance(event, GateFinished):
            r = event.result
            self.log.write(
                "gate", gate=r.name, passed=r.passed, seconds=round(r.seconds, 3), summary=r.summary
            )
        elif isinstance(event, CycleFinished):
            self.guard.cycle_finished()
            self.log.write(
                "cycle",
                decision=str(event.verdict.decision),
                reason=event.verdict.reason,
                by=event.verdict.by,
                checkpoint=event.checkpoint,
                summary=event.summary,
            )
        elif isinstance(event, LogLine):
            self.log.write("message", event.level, message=event.message)
        self.echo(event)

    # --- state ------------------------------------------------------------------------------
    def _set_state(self, **changes: object) -> None:
        with self._lock:
            self.state = stamp(replace(self.state, **changes))  # type: ignore[arg-type]
            write_state(self.workspace.state_path, self.state)

    def _finish(self, stop: Stop) -> None:
        self._set_state(
            phase=str(Phase.STOPPED), detail="", stop_reason=stop.reason, exit_code=int(stop.code), paused=""
        )
        (self.workspace.agent_dir / STOP_FILE).unlink(missing_ok=True)
        self.log.write(
            "stop",
            "info" if stop.code is ExitCode.DONE else "error",
            code=int(stop.code),
            reason=stop.reason,
            state=self.state,
        )
        self.echo(LogLine(f"stopped: {stop.reason}", "info" if stop.code is ExitCode.DONE else "error"))


def _exit_code(exc: RatchetError) -> ExitCode:
    try:
        return ExitCode(exc.exit_code)
    except ValueError:
        return ExitCode.USAGE


def _past_attempt(outcome: CycleOutcome) -> PastAttempt:
    proposal = outcome.proposal
    failed = outcome.report.failed if outcome.report else None
    status = "accepted" if outcome.accepted else "rejected" if failed else str(outcome.verdict.decision)
    return PastAttempt(
        target=proposal.target if proposal else "",
        summary=proposal.summary if proposal else outcome.verdict.reason,
        outcome=status,
        gate=failed.name if failed else "",
        excerpt=(failed.output if failed else outcome.verdict.reason)[:500],
    )


def _limits(config: Config) -> dict[str, object]:
    d = config.daemon
    return {
        "max_cycles": d.max_cycles,
        "hours": d.hours,
        "until_score": d.until_score,
        "budget_tokens": d.budget_tokens,
        "budget_cost_usd": d.budget_cost_usd,
        "max_consecutive_failures": d.max_consecutive_failures,
        "min_free_disk_mb": d.min_free_disk_mb,
        "max_retries": config.gates.max_retries,
    }
