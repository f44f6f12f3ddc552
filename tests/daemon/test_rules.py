"""The stop rules as pure functions: each fires exactly at its limit, 0 means no limit."""

from __future__ import annotations

import json
from pathlib import Path

from core.audit import AuditLog
from core.config import DaemonConfig
from core.daemon_rules import Progress, audit_stop, disk_stop, limit_stop, overall_score, score_stop
from core.daemon_state import DaemonState, ExitCode, read_state, write_state
from core.records import CaseResult, Scores, SuiteResult


def test_limits_fire_at_their_value_and_zero_means_none() -> None:
    assert limit_stop(DaemonConfig(max_consecutive_failures=0), Progress(cycles=10**6, seconds=1e9)) is None
    limits = DaemonConfig(
        max_cycles=5, hours=1.0, max_consecutive_failures=3, budget_tokens=100, budget_cost_usd=0.5
    )
    assert (
        limit_stop(limits, Progress(cycles=4, seconds=3599, consecutive_failures=2, tokens=99, cost_usd=0.49))
        is None
    )
    cases = {
        ExitCode.DONE: [Progress(cycles=5), Progress(seconds=3600)],
        ExitCode.FAILURES: [Progress(consecutive_failures=3)],
        ExitCode.BUDGET: [Progress(tokens=100), Progress(cost_usd=0.5)],
    }
    for code, progresses in cases.items():
        for progress in progresses:
            stop = limit_stop(limits, progress)
            assert stop is not None and stop.code is code, (progress, stop)
    budget = limit_stop(limits, Progress(tokens=150))
    assert budget is not None and "150 of 100 tokens" in budget.reason and "--budget-tokens" in budget.reason


def test_disk_and_score(tmp_path: Path) -> None:
    assert disk_stop(tmp_path, 0) is None
    low = disk_stop(tmp_path, 10**12)
    assert low is not None and low.code is ExitCode.DISK_LOW and "min_free_disk_mb" in low.reason
    scores = Scores(
        suites=(
            SuiteResult("a", True, (CaseResult("1", True, 1.0), CaseResult("2", False, 0.0))),
            SuiteResult("b", True, (CaseResult("1", True, 1.0),)),
        )
    )
    assert overall_score(scores) == 0.75 and overall_score(Scores()) is None
    assert score_stop(scores, 0.8) is None and score_stop(scores, 0.0) is None
    reached = score_stop(scores, 0.75)
    assert reached is not None and reached.code is ExitCode.DONE


def test_audit_rule_detects_an_edited_entry(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append("checkpoint", {"number": 1})
    log.append("rejected", {"reason": "ruff"})
    assert audit_stop(log) is None
    first, second = log.path.read_text().splitlines()
    raw = json.loads(second)
    raw["data"]["reason"] = "nothing"
    log.path.write_text(first + "\n" + json.dumps(raw) + "\n")
    stop = audit_stop(log)
    assert stop is not None and stop.code is ExitCode.TAMPERED and "edited" in stop.reason


def test_state_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    assert read_state(path) is None
    state = DaemonState(pid=7, phase="validating", cycles=3, exit_code=None, cost_usd=0.25)
    write_state(path, state)
    assert read_state(path) == state
    path.write_text("{not json")
    assert read_state(path) is None


def test_log_lines_are_json_redacted_and_rotated(tmp_path: Path) -> None:
    from core.daemon_state import DaemonLog

    path = tmp_path / "ratchet.log"
    with DaemonLog(path, max_bytes=4096) as log:
        log.write("cycle", summary="uses sk-abcdefghijklmnopqrstuvwx", n=1)
        first = json.loads(path.read_text().splitlines()[0])
        assert first["event"] == "cycle" and first["n"] == 1 and "[REDACTED]" in first["summary"]
        for n in range(200):
            log.write("phase", detail="x" * 40, n=n)
    assert (tmp_path / "ratchet.log.1").exists()
    assert path.stat().st_size < 4096 + 200
    last = json.loads(path.read_text().splitlines()[-1])
    assert last["n"] == 199
