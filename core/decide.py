"""Deciders: policy (daemon, `ratchet propose`) and fixed answers (`--yes`)."""

from __future__ import annotations

import fnmatch
import logging

from core.cycle import Decider, Review
from core.policy import ApprovalRules
from core.records import Decision, Verdict

__all__ = ["approval_reasons", "policy_decider"]

logger = logging.getLogger(__name__)


def _diff_lines(diff: str) -> int:
    return sum(
        1
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith("+++") and not line.startswith("---")
    )


def approval_reasons(review: Review, rules: ApprovalRules) -> list[str]:
    """Why this (gate-passing) change needs a human, per protected/policy.toml [approval]."""
    reasons = []
    for path in review.changed:
        if any(fnmatch.fnmatch(path, pattern) for pattern in rules.paths):
            reasons.append(f"touches {path}")
    lines = _diff_lines(review.diff)
    if lines > rules.max_diff_lines:
        reasons.append(f"large diff ({lines} lines > {rules.max_diff_lines})")
    if rules.min_score_delta > 0 and review.scores_after is not None:
        before = review.scores_before.summary()
        after = review.scores_after.summary()
        delta = sum(after.values()) - sum(before.get(k, 0.0) for k in after)
        if abs(delta) < rules.min_score_delta:
            reasons.append(f"score change {delta:+.4f} is within noise (< {rules.min_score_delta})")
    return reasons


def policy_decider(rules: ApprovalRules, *, by: str = "policy") -> Decider:
    """Accept what every gate passed unless an approval rule says a human must look."""

    def decide(review: Review) -> Verdict:
        reasons = approval_reasons(review, rules)
        if reasons:
            return Verdict(Decision.NEEDS_APPROVAL, "; ".join(reasons), by)
        return Verdict(Decision.ACCEPT, "all gates passed, no regression", by)

    return decide
