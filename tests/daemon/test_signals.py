"""The daemon as a real process: signals mid-validation, SIGKILL mid-commit, then a clean restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.config import load_config
from core.cycle import agent_branch_of
from core.gitops import GitRepo
from core.verify import verify_workspace
from core.workspace import Workspace
from tests.conftest import PROJECT_ROOT
from tests.daemon.helpers import assert_no_candidate_left, git, good, log_events, state, write_script


def spawn(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "core.cli", "--repo", str(root), "daemon", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if text in (entry / "cmdline").read_bytes().decode("utf-8", "replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def verified(ws: Workspace) -> None:
    report = verify_workspace(ws, agent_branch_of(load_config(ws.root), GitRepo(ws.root)))
    assert report.ok, report.problems


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_mid_validation_aborts_cleanly(
    mini: Workspace, tmp_path: Path, signum: int, code: int
) -> None:
    root = mini.root
    script = write_script(tmp_path / "script.json", [good(i) for i in range(6)])
    proc = spawn(root, "--script", str(script))
    deadline = time.monotonic() + 120
    while not any(f"gate {g}" in str(state(root).get("detail", "")) for g in ("mypy", "pytest", "evals")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, state(root)
        time.sleep(0.02)
    sent = time.monotonic()
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, (out, err)
    assert time.monotonic() - sent < 5
    saved = state(root)
    name = signal.Signals(signum).name
    assert (
        saved["stop_reason"] == f"{name} received"
        and saved["exit_code"] == code
        and saved["phase"] == "stopped"
    )
    assert f"{name} received" in err
    # never a half state: HEAD is a checkpoint, nothing of the candidate is left, nothing still runs
    assert "Ratchet-Checkpoint" in git(root, "log", "-1", "--format=%B")
    assert_no_candidate_left(root)
    assert processes_mentioning(str(root)) == []
    verified(mini)
    stop = log_events(root)[-1]
    assert stop["event"] == "stop" and stop["code"] == code


@pytest.mark.slow
@pytest.mark.parametrize("phase", ["committing", "tagged"])
def test_sigkill_mid_commit_then_restart_recovers(mini: Workspace, tmp_path: Path, phase: str) -> None:
    root = mini.root
    script = write_script(tmp_path / "script.json", [good(0)])
    proc = spawn(root, "--script", str(script), env={"RATCHET_FAULT_KILL_AT": phase})
    proc.communicate(timeout=180)
    assert proc.returncode == -signal.SIGKILL
    assert json.loads((root / ".agent" / "journal.json").read_text())["phase"] == phase
    assert state(root)["phase"] == "committing"

    proc = spawn(root, "--script", str(script))
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, (out, err)
    started = [e for e in log_events(root) if e["event"] == "started"][-1]
    cycles = [e for e in log_events(root) if e["event"] == "cycle" and e["decision"] != "skip"]
    if phase == "committing":
        # the branch had not moved: rolled back, then the same proposal is accepted once
        assert "rolled back an interrupted candidate (committing)" in started["recovery"]
        assert cycles[-1]["decision"] == "accept" and cycles[-1]["checkpoint"] == 1
    else:
        # the branch had moved: the checkpoint is completed, and the re-proposal is not redone
        assert "completed checkpoint 1" in started["recovery"]
        assert cycles[-1]["decision"] == "reject" and "empty" in cycles[-1]["reason"]
    assert git(root, "tag", "--list", "ckpt/*").split() == ["ckpt/0", "ckpt/1"]
    assert "# revision 0" in (root / "mutable" / "calc.py").read_text()
    assert_no_candidate_left(root)
    verified(mini)


@pytest.mark.slow
def test_tampering_stops_the_daemon_process_within_a_second(mini: Workspace, tmp_path: Path) -> None:
    root = mini.root
    script = write_script(tmp_path / "script.json", [good(i) for i in range(6)])
    proc = spawn(root, "--script", str(script))
    deadline = time.monotonic() + 120
    while not any(f"gate {g}" in str(state(root).get("detail", "")) for g in ("mypy", "pytest", "evals")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, state(root)
        time.sleep(0.02)
    tampered = time.monotonic()
    (root / "protected" / "constitution.md").write_text("anything goes\n")
    while not state(root).get("stop_reason"):
        assert time.monotonic() - tampered < 1.0, "no stop reason within a second"
        time.sleep(0.01)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 7, (out, err)
    assert time.monotonic() - tampered < 3.0
    assert "protected/ changed while the daemon ran (constitution.md)" in err
    assert state(root)["exit_code"] == 7
    assert git(root, "branch", "--list", "ratchet/candidate/*") == ""
    assert not any((root / ".agent" / "worktrees").iterdir())
    assert processes_mentioning(str(root)) == []
