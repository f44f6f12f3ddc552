"""What the review modal shows, built from a live `Review`, an inbox item or a finished attempt.

Plain data and text (no Textual), so the same facts render in the modal and in tests.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.checkpoints import load_checkpoint
from core.cycle import CycleOutcome, Review
from core.evalcompare import EvalComparison, compare_scores
from core.gitops import GitRepo
from core.history import checkpoint_diff
from core.inbox import InboxItem
from core.policy import EvalThresholds
from core.records import GateReport, Proposal, to_json

__all__ = [
    "ReviewView",
    "Section",
    "checkpoint_sections",
    "diff_sections",
    "eval_lines",
    "gate_lines",
    "view_of_item",
    "view_of_outcome",
    "view_of_review",
]

logger = logging.getLogger(__name__)

#: output lines shown under a failed gate before the rest is cut
FAILURE_LINES = 20


@dataclass(frozen=True)
class Section:
    """A titled block of a read-only text view."""

    title: str
    body: str
    #: "text" | "diff" | "json"
    kind: str = "text"


@dataclass(frozen=True)
class ReviewView:
    title: str
    proposal: Proposal
    diff: str
    report: GateReport
    #: why policy wants a human (empty: policy alone would accept it)
    reasons: tuple[str, ...] = ()
    comparison: EvalComparison | None = None
    comparison_text: str = ""
    #: the human may approve / reject (False: a read-only look, e.g. a rejected attempt)
    can_approve: bool = True
    can_reject: bool = True
    #: what the modal says when the human may not decide
    locked_reason: str = ""

    @property
    def policy_line(self) -> str:
        if self.reasons:
            return "a human must decide: " + "; ".join(self.reasons)
        if self.report.passed:
            return "policy alone would accept this change"
        return "the gates rejected this change"


def view_of_review(review: Review, reasons: tuple[str, ...], thresholds: EvalThresholds) -> ReviewView:
    comparison = (
        compare_scores(review.scores_before, review.scores_after, thresholds)
        if review.scores_after is not None
        else None
    )
    return ReviewView(
        title="Review proposal",
        proposal=review.proposal,
        diff=review.diff,
        report=review.report,
        reasons=reasons,
        comparison=comparison,
        comparison_text=review.comparison,
    )


def view_of_item(item: InboxItem, *, can_decide: bool, locked_reason: str = "") -> ReviewView:
    return ReviewView(
        title=f"Inbox item {item.id} (queued {item.queued_at})",
        proposal=item.proposal,
        diff=item.diff,
        report=item.report,
        reasons=(item.reason,) if item.reason else (),
        comparison_text=item.comparison,
        can_approve=can_decide,
        can_reject=can_decide,
        locked_reason=locked_reason,
    )


def view_of_outcome(outcome: CycleOutcome) -> ReviewView | None:
    """A read-only view of a finished attempt: what the gates said and what was decided."""
    if outcome.proposal is None:
        return None
    verdict = outcome.verdict
    return ReviewView(
        title=f"Last attempt: {verdict.decision} by {verdict.by}",
        proposal=outcome.proposal,
        diff=outcome.diff,
        report=outcome.report or GateReport(),
        reasons=(verdict.reason,) if verdict.reason else (),
        can_approve=False,
        can_reject=False,
        locked_reason=f"finished: {verdict.decision} by {verdict.by}; shown for reading only",
    )


def gate_lines(report: GateReport) -> list[str]:
    """One line per gate; a failed gate is expanded: its file:line locations, then its output."""
    if not report.results:
        return ["no gate ran"]
    lines = []
    for r in report.results:
        status = "skip" if r.skipped else "ok" if r.passed else "FAIL"
        lines.append(f"{status:<4}  {r.name:<10} {r.seconds:6.2f}s  {r.summary}".rstrip())
        if r.passed:
            continue
        lines.extend(f"      {loc}" for loc in r.locations)
        output = r.output.strip().splitlines()
        if output:
            lines.append("      output:")
            lines.extend(f"        {line}" for line in output[:FAILURE_LINES])
            if len(output) > FAILURE_LINES:
                lines.append(f"        ... {len(output) - FAILURE_LINES} more line(s)")
    return lines


def eval_lines(view: ReviewView) -> list[str]:
    """Deltas per suite, then every case that changed (pass→fail first)."""
    if view.comparison is None:
        return [view.comparison_text or "no eval scores for this change"]
    lines = []
    for suite in view.comparison.suites:
        verdict = "ok" if suite.passed else "REGRESSION"
        delta = suite.after - suite.before
        lines.append(
            f"{suite.name:<16} {suite.before:.3f} -> {suite.after:.3f} ({delta:+.3f})  {verdict}"
            + (f"  {suite.note}" if suite.note else "")
        )
        lines.extend(f"    {change}" for change in (*suite.regressions, *suite.improvements))
    return lines or ["no eval suites compared"]


def checkpoint_sections(repo: GitRepo, number: int) -> list[Section]:
    """What `ratchet show N` prints: facts, gates, scores, the diff and the full manifest."""
    info = load_checkpoint(repo, number)
    cp = info.checkpoint
    model = f" ({cp.proposal.model})" if cp.proposal.model else ""
    facts = [
        f"{cp.summary}",
        f"commit {info.commit[:12]} · parent {cp.parent[:12] or '-'} · created {cp.created_at}",
        f"kind {cp.kind} · proposer {cp.proposal.proposer}{model}"
        + (f" · reverts checkpoint {cp.reverts}" if cp.reverts is not None else ""),
        f"approved by {cp.verdict.by}: {cp.verdict.reason}",
        f"cost {cp.proposal.usage.tokens_in}+{cp.proposal.usage.tokens_out} tokens, "
        f"${cp.proposal.usage.cost_usd:.4f}",
    ]
    scores = []
    for suite in cp.scores_after.suites:
        before = cp.scores_before.get(suite.name)
        start = f"{before.score:.3f}" if before else "new"
        scores.append(f"{suite.name:<16} {start} -> {suite.score:.3f}")
    return [
        Section("Checkpoint", "\n".join(facts)),
        Section("Rationale", cp.proposal.rationale.strip() or "(none)"),
        Section("Gates", "\n".join(gate_lines(cp.gates))),
        Section("Scores", "\n".join(scores) or "no eval scores"),
        Section("Diff", checkpoint_diff(repo, number), "diff"),
        Section(f"Manifest checkpoints/{number:04d}.json", to_json(cp), "json"),
    ]


def diff_sections(repo: GitRepo, first: int, second: int) -> list[Section]:
    """The code difference between two checkpoints (mutable/ and protected/)."""
    low, high = sorted((first, second))
    diff = checkpoint_diff(repo, low, high)
    return [
        Section(
            f"Diff checkpoint {low} -> {high}", diff or "(no difference in mutable/ or protected/)", "diff"
        )
    ]
