"""The real embedded model (Qwen2.5-Coder-0.5B) makes one proposal that goes through every gate."""

from __future__ import annotations

import json
from contextlib import ExitStack

import pytest

from core.config import load_config
from core.decide import policy_decider
from core.memory import open_memory
from core.proposers.factory import make_proposer
from core.records import Decision
from core.session import make_supervisor
from core.workspace import Workspace
from tests.conftest import tree_digest


@pytest.mark.slow
@pytest.mark.model
def test_one_real_proposal_through_all_gates(workspace: Workspace) -> None:
    config = load_config(
        workspace.root,
        overrides={"proposer.kind": "embedded", "proposer.candidates": 2, "gates.max_retries": 0},
    )
    before = tree_digest(workspace.root)
    with ExitStack() as stack:
        proposer = make_proposer(workspace, config, stack=stack)
        supervisor = stack.enter_context(make_supervisor(workspace, config, role="test"))
        observation = supervisor.observe()
        assert observation.failing_cases  # the seed leaves honest room to improve
        outcome = supervisor.run_cycle(proposer, policy_decider(supervisor.policy.approval))

    ledger = [json.loads(line) for line in workspace.ledger_path.read_text().splitlines()]
    assert ledger and {entry["purpose"] for entry in ledger} == {"propose"}
    assert all(entry["model"].startswith("embedded/") for entry in ledger)
    memory = open_memory(workspace)
    if outcome.proposal is None:
        # the model's replies were all unusable: each one is remembered with its reason
        assert outcome.verdict.decision is Decision.SKIP and outcome.verdict.reason
        assert memory.count() >= 1
        assert tree_digest(workspace.root) == before
        return
    assert outcome.proposal.proposer == "llm"
    assert outcome.proposal.model == "embedded/qwen2.5-coder-0.5b"
    assert outcome.proposal.usage.calls >= 1
    assert outcome.report is not None
    names = [r.name for r in outcome.report.results]
    order = ["boundary", "ruff", "mypy", "pytest", "evals", "integrity"]
    assert names == order[: len(names)]  # gates run in order, fail fast
    assert memory.similar_attempts(outcome.proposal.target, n=5, target=outcome.proposal.target)
    if outcome.accepted:
        assert names == order and outcome.report.passed
    else:
        assert tree_digest(workspace.root) == before  # nothing of a rejected proposal remains
