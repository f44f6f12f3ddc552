"""watchdog while the daemon runs: tampering with protected/ stops it within a second; a human
edit in mutable/ pauses it until committed, then becomes a checkpoint with re-run evals."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from core.config import load_config
from core.cycle import agent_branch_of
from core.daemon import STOP_FILE, Daemon, DaemonResult
from core.daemon_state import ExitCode
from core.gates import BoundaryGate, GateContext, GateOutcome, IntegrityGate
from core.gitops import GitRepo
from core.procs import run_process
from core.proposers.scripted import ScriptedProposer
from core.records import GateResult
from core.verify import verify_workspace
from core.watch import WatchEvent, WorkspaceWatcher
from core.workspace import Workspace
from tests.daemon.helpers import MarkerGate, assert_no_candidate_left, children, git, good, log_events, state

GOOD_CLASSIFY = '''def classify(n: int) -> str:
    """Sign of `n` as a word."""
    if n < 0:
        return "negative"
    if n == 0:
        return "zero"
    return "positive"
'''


@dataclass(frozen=True)
class SlowProcessGate:
    """A gate named like the pytest gate that runs a real process for `seconds` (killable)."""

    seconds: float = 30.0
    name: str = "pytest"

    def run(self, ctx: GateContext) -> GateOutcome:
        proc = run_process(("sleep", str(self.seconds)), cwd=ctx.scratch, timeout=self.seconds + 5)
        return GateOutcome(GateResult(self.name, proc.ok, proc.seconds, f"sleep exited {proc.returncode}"))


def start(daemon: Daemon) -> tuple[threading.Thread, list[DaemonResult]]:
    results: list[DaemonResult] = []
    thread = threading.Thread(target=lambda: results.append(daemon.run()), daemon=True)
    thread.start()
    return thread, results


def wait_for(predicate: object, timeout: float = 60.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def test_watcher_reports_content_changes_not_reads(tmp_path: Path) -> None:
    for area in ("protected", "mutable"):
        (tmp_path / area).mkdir()
    (tmp_path / "protected" / "policy.toml").write_text("a = 1\n")
    seen: list[WatchEvent] = []
    with WorkspaceWatcher(tmp_path, seen.append):
        (tmp_path / "protected" / "policy.toml").read_text()
        (tmp_path / "mutable" / "__pycache__").mkdir()
        (tmp_path / "mutable" / "__pycache__" / "x.pyc").write_bytes(b"0")
        time.sleep(0.3)
        assert seen == []
        (tmp_path / "mutable" / "calc.py").write_text("x = 1\n")
        (tmp_path / "protected" / "policy.toml").write_text("a = 2\n")
        wait_for(lambda: {e.path for e in seen} >= {"mutable/calc.py", "protected/policy.toml"}, 5)
    assert {e.area for e in seen} == {"protected", "mutable"}


def test_tampering_with_protected_stops_within_a_second(mini: Workspace) -> None:
    config = load_config(mini.root, overrides={"memory.enabled": False, "gates.max_retries": 0})
    gates = (BoundaryGate(), SlowProcessGate(), IntegrityGate())
    head = git(mini.root, "rev-parse", "HEAD")
    thread, results = start(Daemon(mini, config, ScriptedProposer([good(i) for i in range(5)]), gates=gates))
    wait_for(lambda: "gate pytest" in str(state(mini.root).get("detail", "")))
    wait_for(lambda: any("sleep" in Path(f"/proc/{pid}/cmdline").read_text() for pid in children()), 5)
    tampered = time.monotonic()
    with mini.policy_path.open("a") as fh:
        fh.write("\n[approval]\n")
    wait_for(lambda: state(mini.root).get("stop_reason"), 1.0)
    thread.join(5)
    elapsed = time.monotonic() - tampered
    assert results, "the daemon did not stop"
    result = results[0]
    assert elapsed < 1.0, elapsed
    assert result.exit_code is ExitCode.TAMPERED
    assert "protected/ changed while the daemon ran (policy.toml)" in result.reason
    assert state(mini.root)["exit_code"] == 7
    assert git(mini.root, "rev-parse", "HEAD") == head
    assert children() == []  # the gate's process was killed
    assert_no_candidate_left_except_protected(mini.root)


def assert_no_candidate_left_except_protected(root: Path) -> None:
    assert git(root, "status", "--porcelain") == "M protected/policy.toml"
    assert git(root, "branch", "--list", "ratchet/candidate/*") == ""
    assert not (root / ".agent" / "journal.json").exists()
    assert not any((root / ".agent" / "worktrees").iterdir())


def human_commit(root: Path, message: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
    }
    for _ in range(20):  # git's own index lock may be busy for a moment
        done = subprocess.run(
            ["git", "commit", "-qam", message], cwd=root, env=env, capture_output=True, text=True
        )
        if done.returncode == 0:
            return
        time.sleep(0.1)
    raise AssertionError(done.stderr)


def test_human_edit_pauses_then_becomes_a_checkpoint_with_new_baseline(mini: Workspace) -> None:
    root = mini.root
    config = load_config(
        root, overrides={"memory.enabled": False, "gates.max_retries": 0, "daemon.debounce_seconds": 0.3}
    )
    gates = (BoundaryGate(), MarkerGate(delay=0.1), IntegrityGate())
    daemon = Daemon(mini, config, ScriptedProposer([good(i) for i in range(300)]), gates=gates)
    thread, results = start(daemon)
    wait_for(lambda: int(state(root).get("accepted", 0)) >= 2)

    calc = root / "mutable" / "calc.py"
    source = calc.read_text()
    start_at = source.index("def classify")
    calc.write_text(source[:start_at] + GOOD_CLASSIFY)
    wait_for(lambda: state(root).get("phase") == "paused", 10)
    assert "uncommitted changes (mutable/calc.py)" in str(state(root)["paused"])
    paused_cycles = state(root)["cycles"]
    time.sleep(0.5)
    assert state(root)["cycles"] == paused_cycles and state(root)["phase"] == "paused"

    human_commit(root, "classify zero by hand")
    wait_for(lambda: any(e["event"] == "human-checkpoint" for e in log_events(root)), 60)
    number = next(e["checkpoint"] for e in log_events(root) if e["event"] == "human-checkpoint")
    wait_for(lambda: int(state(root)["accepted"]) >= 4 and int(state(root)["cycles"]) > paused_cycles + 1)
    (root / ".agent" / STOP_FILE).write_text("")
    thread.join(30)
    assert results and results[0].exit_code is ExitCode.DONE, results

    manifest = json.loads(git(root, "show", f"ckpt/{number}:checkpoints/{number:04d}.json"))
    assert manifest["kind"] == "human" and manifest["proposal"]["title"] == "classify zero by hand"
    assert [c["passed"] for c in manifest["scores_after"]["suites"][0]["cases"]] == [True] * 4
    assert [c["passed"] for c in manifest["scores_before"]["suites"][0]["cases"]] == [True, True, True, False]
    assert git(root, "for-each-ref", "--format=%(refname)", "refs/ratchet/human/").startswith(
        "refs/ratchet/human/"
    )
    later = json.loads(git(root, "show", f"ckpt/{number + 1}:checkpoints/{number + 1:04d}.json"))
    assert later["scores_before"] == manifest["scores_after"]  # later proposals compare with the human's tree
    assert 'return "zero"' in calc.read_text()
    report = verify_workspace(mini, agent_branch_of(config, GitRepo(root)))
    assert report.ok, report.problems
    assert_no_candidate_left(root)
