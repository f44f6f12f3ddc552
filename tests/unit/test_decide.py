"""Policy decisions: what passes every gate is accepted unless an approval rule asks for a human."""

from __future__ import annotations

from core.cycle import Review
from core.decide import approval_reasons, policy_decider
from core.policy import ApprovalRules
from core.records import CaseResult, Decision, GateReport, Proposal, Scores, SuiteResult


def scores(passed: int, total: int = 4) -> Scores:
    cases = tuple(CaseResult(f"c{i}", i < passed, 1.0 if i < passed else 0.0) for i in range(total))
    return Scores((SuiteResult("s", True, cases),))


def review(changed: tuple[str, ...] = ("mutable/lang.py",), diff_lines: int = 4, after: int = 3) -> Review:
    diff = "\n".join(["--- a/x", "+++ b/x", *(["+x"] * diff_lines)])
    return Review(Proposal("r", "t", ()), diff, GateReport(), scores(2), scores(after), "", changed)


RULES = ApprovalRules(paths=("mutable/prompts.py",), max_diff_lines=10, min_score_delta=0.001)


def test_an_improvement_is_accepted() -> None:
    verdict = policy_decider(RULES)(review())
    assert verdict.decision is Decision.ACCEPT and verdict.by == "policy"


def test_prompts_need_a_human() -> None:
    verdict = policy_decider(RULES)(review(changed=("mutable/prompts.py",)))
    assert verdict.decision is Decision.NEEDS_APPROVAL and "mutable/prompts.py" in verdict.reason


def test_a_large_diff_needs_a_human() -> None:
    assert any("large diff" in r for r in approval_reasons(review(diff_lines=11), RULES))
    assert not approval_reasons(review(diff_lines=10), RULES)


def test_a_change_that_moves_no_score_needs_a_human() -> None:
    verdict = policy_decider(RULES)(review(after=2))
    assert verdict.decision is Decision.NEEDS_APPROVAL and "within noise" in verdict.reason


def test_without_the_noise_rule_a_neutral_change_is_accepted() -> None:
    rules = ApprovalRules(paths=(), max_diff_lines=100, min_score_delta=0.0)
    assert policy_decider(rules)(review(after=2)).decision is Decision.ACCEPT
