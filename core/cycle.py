"""The supervisor: observe → propose → validate → decide → commit, one cycle at a time.

A `Supervisor` holds the workspace's single-writer lock for its lifetime. On entry it recovers an
interrupted candidate and checks the seal; every cycle re-checks the seal before it commits.
The TUI, the daemon and the CLI all drive the loop through this class.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType

from core.audit import AuditLog
from core.candidate import (
    Applier,
    Candidate,
    apply_change,
    commit_candidate,
    discard_candidate,
    open_candidate,
    sealed_digests,
)
from core.checkpoints import head_checkpoint, load_checkpoint
from core.config import Config
from core.errors import DirtyWorkspace, RatchetError
from core.events import CycleFinished, EventSink, LogLine, Phase, PhaseChanged, ProposalReady, null_sink
from core.gates import DEFAULT_GATES, Gate, GateContext, Validation, run_gates
from core.gitops import GitError, GitRepo
from core.journal import Journal, WorkspaceLock
from core.journal import Phase as JournalPhase
from core.policy import Policy, load_policy
from core.procs import kill_running
from core.proposers.base import NoProposal, Observation, Proposer
from core.records import Decision, GateReport, GateResult, Proposal, Scores, Verdict
from core.recovery import RecoveryReport, recover
from core.sandbox.base import Sandbox
from core.seal import branch_seal_status, require_seal
from core.workspace import Workspace

__all__ = ["CycleOutcome", "Decider", "Review", "Supervisor", "agent_branch_of"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Review:
    """What a decider (a human in the TUI, or policy) sees about a validated candidate."""

    proposal: Proposal
    diff: str
    report: GateReport
    scores_before: Scores
    scores_after: Scores | None
    comparison: str
    changed: tuple[str, ...]


Decider = Callable[[Review], Verdict]


@dataclass(frozen=True)
class CycleOutcome:
    verdict: Verdict
    proposal: Proposal | None = None
    report: GateReport | None = None
    checkpoint: int | None = None
    attempts: int = 0
    diff: str = ""
    failures: tuple[GateResult, ...] = field(default=())

    @property
    def accepted(self) -> bool:
        return self.checkpoint is not None


def agent_branch_of(config: Config, repo: GitRepo) -> str:
    if config.agent.use_current_branch:
        current = repo.current_branch()
        if current is None:
            raise RatchetError("agent.use_current_branch is set but HEAD is detached; check out a branch")
        return current
    return config.agent.branch


class Supervisor:
    """One writer's session on a workspace (see module docstring)."""

    def __init__(
        self,
        workspace: Workspace,
        config: Config,
        *,
        role: str = "cli",
        gates: Sequence[Gate] = DEFAULT_GATES,
        sandbox: Sandbox | None = None,
        sink: EventSink = null_sink,
        remember: Callable[[Proposal, CycleOutcome], None] | None = None,
    ) -> None:
        self.workspace = workspace
        self.config = config
        self.repo = GitRepo(workspace.root)
        self.audit = AuditLog(workspace.audit_path)
        self.journal = Journal(workspace.journal_path)
        self.lock = WorkspaceLock(workspace.lock_path, role=role)
        self.gates = tuple(gates)
        self._sandbox = sandbox
        self.sink = sink
        self.remember = remember
        self.cancelled = threading.Event()
        self.gates_running = threading.Event()
        self.recovery = RecoveryReport(acted=False)
        self.agent_branch = agent_branch_of(config, self.repo)

    # --- session ---------------------------------------------------------------------------
    def __enter__(self) -> Supervisor:
        self.workspace.ensure_state_dirs()
        self.lock.acquire()
        try:
            self.recovery = recover(self.workspace, self.repo, self.audit)
            if self.recovery.acted:
                self.sink(LogLine(f"recovered: {self.recovery.describe()}", "warning"))
            self.require_seal()
        except BaseException:
            self.lock.release()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.lock.release()

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            from core.sandbox import get_sandbox

            self._sandbox = get_sandbox(self.config.sandbox)
        return self._sandbox

    @property
    def policy(self) -> Policy:
        return load_policy(self.workspace.policy_path)

    def _journal_phase(self, phase: JournalPhase) -> None:
        entry = self.journal.read()
        if entry is not None:
            self.journal.write(replace(entry, phase=phase))

    def abort(self) -> None:
        """Abort the candidate in flight (from another thread or a signal handler).

        Processes are killed only while the gates run; a commit already under way finishes
        (the cycle checks `cancelled` before it starts one, so none starts after this).
        """
        self.cancelled.set()
        if self.gates_running.is_set():
            kill_running()

    def require_clean(self) -> None:
        """Refuse to change a checked-out agent branch under uncommitted edits.

        When the agent branch is not checked out (ratchet on its own branch of the user's repo),
        the user's working tree is never touched, so its state does not matter.
        """
        if self.repo.rev(self.agent_branch) is None:
            raise RatchetError(f"the agent branch {self.agent_branch} does not exist; run `ratchet init`")
        if self.repo.current_branch() != self.agent_branch:
            return
        dirty = self.repo.is_dirty()
        if dirty:
            names = ", ".join(e.path for e in dirty[:8]) + (" ..." if len(dirty) > 8 else "")
            raise DirtyWorkspace(
                f"the workspace has uncommitted changes ({names}); commit or stash them "
                f"(`git stash -u`) before ratchet changes anything"
            )

    def require_seal(self) -> None:
        """protected/ matches its seal: in the working tree when the agent branch is checked out
        (so an uncommitted edit counts), else as committed on the agent branch."""
        require_seal(branch_seal_status(self.repo, self.workspace.protected, self.agent_branch))

    # --- observe ---------------------------------------------------------------------------
    def baseline(self) -> Scores:
        """Scores recorded with the latest checkpoint on the agent branch."""
        number = self.last_checkpoint()
        if number is None:
            return Scores()
        return load_checkpoint(self.repo, number).checkpoint.scores_after

    def last_checkpoint(self) -> int | None:
        head = head_checkpoint(self.repo, self.agent_branch)
        return head.number if head else None

    def observe(self, **extra: object) -> Observation:
        from core.observe import build_observation

        self.sink(PhaseChanged(Phase.OBSERVING))
        return build_observation(self.workspace, self.baseline(), **extra)  # type: ignore[arg-type]

    # --- validate --------------------------------------------------------------------------
    def validate(
        self, proposal: Proposal, applier: Applier | None = None, gates: Sequence[Gate] | None = None
    ) -> tuple[Candidate, Validation]:
        """Open a candidate, apply the change, run the gates. The caller commits or discards."""
        self.require_clean()
        self.require_seal()
        self.sink(PhaseChanged(Phase.VALIDATING, proposal.summary))
        policy = self.policy
        candidate = open_candidate(self.workspace, self.repo, self.agent_branch, proposal, self.journal)
        try:
            pre = _precheck(candidate, proposal, policy)
            if pre is not None:
                return candidate, Validation(report=GateReport((pre,)))
            applied = apply_change(candidate, applier or _edit_applier(proposal), self.journal)
            if isinstance(applied, str):
                failed = GateResult("boundary", False, 0.0, "edit rejected", applied)
                return candidate, Validation(report=GateReport((failed,)))
            candidate = applied
            self.sink(ProposalReady(proposal, candidate.diff))
            if not candidate.changed:
                empty = GateResult(
                    "boundary", False, 0.0, "the change is empty", "nothing differs from the base"
                )
                return candidate, Validation(report=GateReport((empty,)))
            scratch = self.workspace.scratch_dir / candidate.id
            scratch.mkdir(parents=True, exist_ok=True)
            ctx = GateContext(
                candidate=candidate.path,
                changed=candidate.changed,
                edits=proposal.edits,
                config=self.config,
                policy=policy,
                sandbox=self.sandbox,
                baseline=self.baseline(),
                applied_tree=candidate.applied_tree,
                sealed=sealed_digests(self.repo, candidate.base),
                cache_dir=self.workspace.cache_dir,
                scratch=scratch,
            )
            self._journal_phase(JournalPhase.VALIDATING)
            self.gates_running.set()
            try:
                validation = run_gates(ctx, gates or self.gates, self.sink, cancelled=self.cancelled.is_set)
            except GitError:
                if not self.cancelled.is_set():
                    raise
                # abort() killed a git command a gate was running: that is the abort, not a bug
                aborted = GateResult("aborted", False, 0.0, "aborted while a gate ran", skipped=True)
                validation = Validation(report=GateReport((aborted,)))
            finally:
                self.gates_running.clear()
            _rmtree(scratch)
            return candidate, validation
        except BaseException:
            discard_candidate(self.repo, candidate, self.journal)
            raise

    # --- decide + commit ---------------------------------------------------------------------
    def submit(
        self,
        proposal: Proposal,
        decide: Decider,
        *,
        applier: Applier | None = None,
        kind: str = "proposal",
        reverts: int | None = None,
        gates: Sequence[Gate] | None = None,
    ) -> CycleOutcome:
        """Validate one change, ask `decide`, then commit it as a checkpoint or discard it."""
        candidate, validation = self.validate(proposal, applier, gates)
        report = validation.report
        try:
            if self.cancelled.is_set():
                outcome = CycleOutcome(Verdict(Decision.SKIP, "aborted", "user"), proposal, report)
            elif not report.passed:
                failed = report.failed
                reason = f"{failed.name}: {failed.summary}" if failed else "no gate ran"
                outcome = CycleOutcome(
                    Verdict(Decision.REJECT, reason, "gates"),
                    proposal,
                    report,
                    diff=candidate.diff,
                    failures=(failed,) if failed else (),
                )
            else:
                before = self.baseline()
                after = validation.scores or before
                review = Review(
                    proposal,
                    candidate.diff,
                    report,
                    before,
                    validation.scores,
                    validation.comparison_summary,
                    candidate.changed,
                )
                self.sink(PhaseChanged(Phase.AWAITING_APPROVAL, proposal.summary))
                self._journal_phase(JournalPhase.DECIDING)
                verdict = decide(review)
                if verdict.decision is Decision.ACCEPT and not self.cancelled.is_set():
                    self.require_seal()
                    self.sink(PhaseChanged(Phase.COMMITTING, proposal.summary))
                    number = commit_candidate(
                        self.workspace,
                        self.repo,
                        candidate,
                        report=report,
                        scores_before=before,
                        scores_after=after,
                        verdict=verdict,
                        journal=self.journal,
                        audit=self.audit,
                        kind=kind,
                        reverts=reverts,
                    )
                    outcome = CycleOutcome(verdict, proposal, report, number, diff=candidate.diff)
                else:
                    outcome = CycleOutcome(verdict, proposal, report, diff=candidate.diff)
        finally:
            if candidate.path.exists():
                discard_candidate(self.repo, candidate, self.journal)
        if outcome.checkpoint is None:
            self.audit.append(
                "rejected" if outcome.verdict.decision is Decision.REJECT else str(outcome.verdict.decision),
                {"summary": proposal.summary, "reason": outcome.verdict.reason, "by": outcome.verdict.by},
            )
        if self.remember is not None:
            self.remember(proposal, outcome)
        self.sink(CycleFinished(outcome.verdict, outcome.checkpoint, proposal.summary))
        self.sink(PhaseChanged(Phase.IDLE))
        return outcome

    def run_cycle(
        self, proposer: Proposer, decide: Decider, observation: Observation | None = None
    ) -> CycleOutcome:
        """One full cycle: observe, propose, validate (retrying with gate feedback), decide."""
        self.cancelled.clear()
        obs = observation or self.observe()
        failures: list[GateResult] = []
        outcome = CycleOutcome(Verdict(Decision.SKIP, "nothing proposed", proposer.name))
        for attempt in range(self.config.gates.max_retries + 1):
            self.sink(PhaseChanged(Phase.PROPOSING, obs.target))
            proposal = proposer.propose(replace(obs, attempt=attempt), self.workspace)
            if isinstance(proposal, NoProposal):
                self.sink(LogLine(f"no proposal: {proposal.reason}"))
                verdict = Verdict(Decision.SKIP, proposal.reason, proposer.name)
                outcome = CycleOutcome(verdict, attempts=attempt + 1, failures=tuple(failures))
                self.sink(CycleFinished(outcome.verdict, None, proposal.reason))
                self.sink(PhaseChanged(Phase.IDLE))
                break
            outcome = replace(self.submit(proposal, decide), attempts=attempt + 1)
            if outcome.verdict.by != "gates" or self.cancelled.is_set():
                break
            failures.extend(outcome.failures)
            obs = replace(
                obs, feedback=outcome.failures[0] if outcome.failures else None, target=proposal.target
            )
        return replace(outcome, failures=tuple(failures) or outcome.failures)


def _precheck(candidate: Candidate, proposal: Proposal, policy: Policy) -> GateResult | None:
    """Path checks before anything is written (edits aimed outside mutable/, symlinks, `..`)."""
    if not proposal.edits:
        return None
    from core.boundary import check_edit_paths

    result = check_edit_paths(candidate.path, proposal.edits, policy.boundary)
    return None if result.passed else result


def _edit_applier(proposal: Proposal) -> Applier:
    def apply(repo: GitRepo) -> tuple[str, ...] | str:
        from core.edits import apply_edits_to_tree

        result = apply_edits_to_tree(repo.root, proposal.edits)
        if result.rejected is not None:
            return f"{result.rejected.edit.describe()}: {result.rejected.reason}"
        return result.changed

    return apply


def _rmtree(path: object) -> None:
    import shutil

    shutil.rmtree(str(path), ignore_errors=True)
