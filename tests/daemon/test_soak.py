"""A long daemon run with the scripted proposer: good, bad, hostile and needs-approval proposals.

Bookkeeping is checked over 200+ cycles with a fast pipeline (the real boundary and integrity
gates around a fake marker gate); a shorter run goes through the real gates.
"""

from __future__ import annotations

import json
import os

import pytest

from core.config import load_config
from core.cycle import agent_branch_of
from core.daemon import Daemon
from core.daemon_state import ExitCode
from core.events import CycleFinished, Event
from core.gitops import GitRepo
from core.inbox import list_inbox
from core.proposers.scripted import ScriptedProposer
from core.records import Proposal
from core.verify import verify_workspace
from core.workspace import Workspace
from tests.daemon.helpers import (
    CALC,
    FAST_GATES,
    assert_no_candidate_left,
    bad,
    children,
    git,
    good,
    hostile,
    log_events,
    needs_approval,
    open_fds,
    rss_kb,
)

GOOD_CLASSIFY = '''def classify(n: int) -> str:
    """Sign of `n` as a word."""
    if n < 0:
        return "negative"
    if n == 0:
        return "zero"
    return "positive"
'''


def soak_script(rounds: int) -> tuple[list[Proposal], dict[str, int]]:
    """Per round of 10: 4 good, 3 bad, 2 hostile, 1 needs approval (interleaved)."""
    proposals: list[Proposal] = []
    counts = {"good": 0, "bad": 0, "hostile": 0, "approval": 0}
    for r in range(rounds):
        n = r * 10
        proposals += [
            good(n),
            bad(n),
            hostile(n),
            good(n + 1),
            bad(n + 1),
            needs_approval(n),
            good(n + 2),
            hostile(n + 1),
            bad(n + 2),
            good(n + 3),
        ]
        counts["good"] += 4
        counts["bad"] += 3
        counts["hostile"] += 2
        counts["approval"] += 1
    return proposals, counts


@pytest.mark.slow
def test_soak_200_cycles_bookkeeping_and_no_leaks(mini: Workspace) -> None:
    root = mini.root
    proposals, counts = soak_script(21)
    config = load_config(
        root,
        overrides={"memory.enabled": False, "gates.max_retries": 0, "daemon.max_consecutive_failures": 0},
    )
    samples: dict[int, int] = {}
    finished: list[CycleFinished] = []

    def sample(event: Event) -> None:
        if isinstance(event, CycleFinished):
            finished.append(event)
            if len(finished) in (20, len(proposals)):
                samples[len(finished)] = rss_kb()

    fds_before = open_fds()
    daemon = Daemon(mini, config, ScriptedProposer(proposals), gates=FAST_GATES, echo=sample)
    result = daemon.run()

    assert result.exit_code is ExitCode.DONE, result.reason
    assert "nothing more to propose" in result.reason
    s = result.state
    assert s.cycles == len(proposals) >= 200
    assert (s.accepted, s.rejected, s.queued) == (
        counts["good"],
        counts["bad"] + counts["hostile"],
        counts["approval"],
    )
    # accepted ones are checkpoints, in order, and the tree is the last accepted revision
    repo = GitRepo(root)
    tags = repo.tags("ckpt/*")
    assert len(tags) == counts["good"] + 1
    assert f"# revision {(21 - 1) * 10 + 3}" in (root / CALC).read_text()
    report = verify_workspace(mini, agent_branch_of(config, repo))
    assert report.ok, report.problems
    # rejected ones left nothing: one worktree, no candidate branch, clean tree, no journal
    assert_no_candidate_left(root)
    assert not any((root / ".agent" / "scratch").iterdir())
    assert len(list_inbox(mini)) == counts["approval"]
    # every rejection is in the audit log with its reason
    audit = [json.loads(line) for line in (root / ".agent" / "audit.jsonl").read_text().splitlines()]
    rejected = [e for e in audit if e["event"] == "rejected"]
    assert len(rejected) == counts["bad"] + counts["hostile"]
    assert any("boundary" in e["data"]["reason"] for e in rejected)
    # ratchet's own commits through mutable/ were never taken for a human edit
    events = {e["event"] for e in log_events(root)}
    assert "outside-edit" not in events and "paused" not in events
    # no leaked processes, descriptors or memory
    assert children() == []
    assert open_fds() <= fds_before
    growth = samples[len(proposals)] - samples[20]
    assert growth < max(0.1 * samples[20], 8 * 1024), samples
    # the state file says why it stopped
    saved = json.loads((root / ".agent" / "state.json").read_text())
    assert saved["phase"] == "stopped" and saved["exit_code"] == 0 and saved["pid"] == os.getpid()


@pytest.mark.slow
def test_real_gates_accept_reject_queue_and_remember(mini: Workspace) -> None:
    """Through ruff/mypy/pytest/evals/integrity: only the improvement lands; failures are remembered."""
    root = mini.root
    from core.records import Edit, EditKind, EditOp
    from tests.daemon.helpers import proposal

    improve = proposal(
        "classify zero", Edit(EditOp.REPLACE, EditKind.FUNCTION, CALC, "classify", GOOD_CLASSIFY)
    )
    proposals = [bad(0, real=True), hostile(2), improve, needs_approval(0)]
    config = load_config(root, overrides={"gates.max_retries": 0})
    head = git(root, "rev-parse", "HEAD")
    result = Daemon(mini, config, ScriptedProposer(proposals)).run()

    assert result.exit_code is ExitCode.DONE, result.reason
    s = result.state
    assert (s.cycles, s.accepted, s.rejected, s.queued) == (4, 1, 2, 1)
    assert git(root, "rev-parse", "HEAD^") == head
    manifest = json.loads(git(root, "show", "HEAD:checkpoints/0001.json"))
    assert [r["name"] for r in manifest["gates"]["results"]] == [
        "boundary",
        "ruff",
        "mypy",
        "pytest",
        "evals",
        "integrity",
    ]
    assert manifest["scores_after"]["suites"][0]["cases"][3]["passed"] is True
    assert manifest["verdict"]["by"] == "policy"
    gates = [e for e in log_events(root) if e["event"] == "gate" and not e["passed"]]
    assert {g["gate"] for g in gates} >= {"mypy", "boundary"}
    assert_no_candidate_left(root)
    from core.memory import open_memory

    memory = open_memory(mini)
    failures = memory.similar_attempts("add returns str", n=5)
    assert any(a.gate == "mypy" and a.outcome == "rejected" for a in failures), failures
