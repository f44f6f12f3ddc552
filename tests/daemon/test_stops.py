"""Every stop rule ends the run cleanly with its exit code and reason in state.json and the log."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from core.config import load_config
from core.daemon import PAUSE_FILE, STOP_FILE, Daemon, DaemonResult
from core.daemon_inbox import request_decision
from core.daemon_state import ExitCode
from core.gates import BoundaryGate, IntegrityGate
from core.inbox import list_inbox
from core.proposers.scripted import ScriptedProposer
from core.records import Proposal
from core.workspace import Workspace
from tests.daemon.helpers import (
    FAST_GATES,
    MarkerGate,
    assert_no_candidate_left,
    bad,
    git,
    good,
    log_events,
    needs_approval,
    state,
)


def run(
    ws: Workspace, proposals: list[Proposal], gates: tuple = FAST_GATES, **overrides: object
) -> DaemonResult:
    config = load_config(ws.root, overrides={"memory.enabled": False, "gates.max_retries": 0, **overrides})
    return Daemon(ws, config, ScriptedProposer(proposals), gates=gates).run()


def stopped_with(ws: Workspace, result: DaemonResult, code: ExitCode, words: str) -> None:
    assert result.exit_code is code, result.reason
    assert words in result.reason
    saved = state(ws.root)
    assert (
        saved["phase"] == "stopped"
        and saved["exit_code"] == int(code)
        and saved["stop_reason"] == result.reason
    )
    last = log_events(ws.root)[-1]
    assert last["event"] == "stop" and last["code"] == int(code) and last["reason"] == result.reason
    assert_no_candidate_left(ws.root)


def test_max_cycles(mini: Workspace) -> None:
    result = run(mini, [good(i) for i in range(5)], **{"daemon.max_cycles": 3})
    stopped_with(mini, result, ExitCode.DONE, "ran 3 cycle(s)")
    assert result.state.accepted == 3
    assert len(git(mini.root, "tag", "--list", "ckpt/*").split()) == 4


def test_consecutive_failures(mini: Workspace) -> None:
    proposals = [good(0), bad(1), bad(2), good(3), bad(4), bad(5), bad(6), good(7)]
    result = run(mini, proposals, **{"daemon.max_consecutive_failures": 3})
    stopped_with(mini, result, ExitCode.FAILURES, "3 consecutive cycles failed")
    assert (result.state.cycles, result.state.accepted, result.state.rejected) == (7, 2, 5)


def test_disk_low(mini: Workspace) -> None:
    result = run(mini, [good(0)], **{"daemon.min_free_disk_mb": 10**9})
    stopped_with(mini, result, ExitCode.DISK_LOW, "MB free")
    assert result.state.cycles == 0


def test_audit_chain_broken(mini: Workspace) -> None:
    audit = mini.audit_path
    lines = audit.read_text().splitlines()
    entry = json.loads(lines[0])
    entry["data"]["summary"] = "rewritten"
    audit.write_text("\n".join([json.dumps(entry, sort_keys=True), *lines[1:]]) + "\n")
    result = run(mini, [good(0)])
    stopped_with(mini, result, ExitCode.TAMPERED, "audit chain is broken")
    assert result.state.cycles == 0


def test_seal_broken_at_start(mini: Workspace) -> None:
    policy = mini.policy_path
    policy.write_text(policy.read_text() + "\n# edited\n")
    result = run(mini, [good(0)])
    assert result.exit_code is ExitCode.SEAL_BROKEN
    assert "does not match its seal" in result.reason and state(mini.root)["exit_code"] == 4


def test_locked_leaves_the_owners_state_alone(mini: Workspace) -> None:
    mini.agent_dir.mkdir(exist_ok=True)
    mini.lock_path.write_text(json.dumps({"pid": os.getppid(), "role": "daemon"}))
    mini.state_path.write_text('{"pid": 1, "phase": "validating"}')
    result = run(mini, [good(0)])
    assert result.exit_code is ExitCode.LOCKED and "locked by pid" in result.reason
    assert json.loads(mini.state_path.read_text()) == {"pid": 1, "phase": "validating"}


def test_stop_file_is_consumed(mini: Workspace) -> None:
    (mini.agent_dir / STOP_FILE).write_text("")
    result = run(mini, [good(0)])
    stopped_with(mini, result, ExitCode.DONE, "stopped by request")
    assert result.state.cycles == 0 and not (mini.agent_dir / STOP_FILE).exists()


@pytest.mark.slow
def test_budget_of_a_run_and_of_the_gateway(mini: Workspace) -> None:
    """An LLM proposer through the real gateway and a scripted chat server: both budgets stop the run."""
    from core.llm.testing import FakeChatServer
    from core.proposers.factory import make_proposer

    classify = (
        'def classify(n: int) -> str:\n    if n < 0:\n        return "negative"\n'
        '    if n == 0:\n        return "zero"\n    return "positive"\n'
    )
    reply = f"WHY: zero is its own word\n```python\n{classify}```"
    with FakeChatServer([reply]) as server:
        overrides = {
            "proposer.kind": "llm",
            "llm.model": "openai/fake",
            "llm.api_base": server.api_base,
            "llm.max_retries": 0,
            "llm.cache": False,
            "memory.enabled": False,
            "gates.max_retries": 0,
        }
        config = load_config(mini.root, overrides={**overrides, "daemon.budget_tokens": 5})
        proposer = make_proposer(mini, config)
        result = Daemon(mini, config, proposer, gates=FAST_GATES).run()
        stopped_with(mini, result, ExitCode.BUDGET, "token budget of this run used up")
        assert result.state.cycles == 1 and result.state.accepted == 1
        assert result.state.tokens > 5 and "tokens" in state(mini.root)["spent"]

        used = result.state.tokens
        config = load_config(mini.root, overrides={**overrides, "budget.tokens": used + 1})
        result = Daemon(mini, config, make_proposer(mini, config), gates=FAST_GATES).run()
        stopped_with(mini, result, ExitCode.BUDGET, "token budget used up")
        assert len(server.chat_requests) == 2  # the second run got one call, then the gateway refused


def _in_thread(daemon: Daemon) -> tuple[threading.Thread, list[DaemonResult]]:
    results: list[DaemonResult] = []
    thread = threading.Thread(target=lambda: results.append(daemon.run()), daemon=True)
    thread.start()
    return thread, results


def _wait_for(predicate: object, timeout: float = 30.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def test_pause_file_pauses_then_resumes(mini: Workspace) -> None:
    pause = mini.agent_dir / PAUSE_FILE
    pause.write_text("")
    config = load_config(mini.root, overrides={"memory.enabled": False})
    thread, results = _in_thread(Daemon(mini, config, ScriptedProposer([good(0), good(1)]), gates=FAST_GATES))
    _wait_for(lambda: state(mini.root).get("phase") == "paused")
    time.sleep(0.3)
    assert state(mini.root)["cycles"] == 0 and "PAUSE" in str(state(mini.root)["paused"])
    pause.unlink()
    thread.join(60)
    assert results and results[0].exit_code is ExitCode.DONE and results[0].state.accepted == 2
    assert {"paused", "resumed"} <= {e["event"] for e in log_events(mini.root)}


def test_inbox_decisions_left_for_the_daemon(mini: Workspace) -> None:
    result = run(mini, [needs_approval(0), needs_approval(1)])
    assert result.state.queued == 2
    first, second = list_inbox(mini)
    request_decision(mini, first.id, "approve", "alice")
    request_decision(mini, second.id, "reject", "alice", "too long for a lookup table")
    result = run(mini, [])
    assert result.exit_code is ExitCode.DONE
    assert list_inbox(mini) == [] and not list(mini.inbox_dir.glob("*.approve"))
    message = git(mini.root, "log", "-1", "--format=%B")
    assert "Ratchet-Approved-By: human:alice" in message and "large 0" in message
    notes = (mini.agent_dir / "notes.jsonl").read_text()
    assert "too long for a lookup table" in notes
    events = [e["event"] for e in log_events(mini.root)]
    assert "inbox-approved" in events and "inbox-rejected" in events


GOOD_CLASSIFY = '''def classify(n: int) -> str:
    """Sign of `n` as a word."""
    if n < 0:
        return "negative"
    if n == 0:
        return "zero"
    return "positive"
'''


@pytest.mark.slow
def test_until_score_through_the_real_gates(mini: Workspace) -> None:
    from core.records import Edit, EditKind, EditOp
    from tests.daemon.helpers import proposal

    improve = proposal(
        "classify zero", Edit(EditOp.REPLACE, EditKind.FUNCTION, "mutable/calc.py", "classify", GOOD_CLASSIFY)
    )
    config = load_config(mini.root, overrides={"memory.enabled": False, "daemon.until_score": 1.0})
    result = Daemon(mini, config, ScriptedProposer([improve, good(1)])).run()
    stopped_with(mini, result, ExitCode.DONE, "score 1.000 reached the target 1")
    assert (result.state.cycles, result.state.accepted) == (1, 1)


def test_hours_limit(mini: Workspace) -> None:
    gates = (BoundaryGate(), MarkerGate(delay=0.3), IntegrityGate())
    result = run(mini, [good(i) for i in range(50)], gates=gates, **{"daemon.hours": 0.0005})
    stopped_with(mini, result, ExitCode.DONE, "ran for 0.0005 hour(s)")
    assert 1 <= result.state.cycles < 10


class BuggyProposer:
    """A proposer with a bug: its second call raises."""

    name = "buggy"

    def __init__(self) -> None:
        self.calls = 0

    def propose(self, observation: object, workspace: Workspace) -> Proposal:
        self.calls += 1
        if self.calls > 1:
            raise RuntimeError("proposer bug")
        return good(0)


def test_a_crash_is_recorded_and_the_workspace_left_clean(mini: Workspace) -> None:
    config = load_config(mini.root, overrides={"memory.enabled": False, "gates.max_retries": 0})
    result = Daemon(mini, config, BuggyProposer(), gates=FAST_GATES).run()  # type: ignore[arg-type]
    stopped_with(mini, result, ExitCode.CRASHED, "crashed: RuntimeError('proposer bug')")
    crash = next(e for e in log_events(mini.root) if e["event"] == "crash")
    assert "proposer bug" in str(crash["traceback"]) and "Traceback" in str(crash["traceback"])
    assert result.state.accepted == 1 and not mini.lock_path.exists()
