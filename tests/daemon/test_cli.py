"""`ratchet daemon` and `ratchet inbox` from the command line, and what `ratchet status` shows."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.daemon import PAUSE_FILE, STOP_FILE
from core.daemon_state import ExitCode
from core.inbox import list_inbox
from core.workspace import Workspace
from tests.conftest import run_cli
from tests.daemon.helpers import bad, git, good, needs_approval, write_script


def test_help_documents_every_exit_code(mini: Workspace) -> None:
    done = run_cli(mini.root, "daemon", "--help")
    assert done.returncode == 0
    for code in ExitCode:
        assert f"  {int(code)} " in done.stdout or f"; {int(code)} " in done.stdout, code
    for flag in (
        "--max-cycles",
        "--until-score",
        "--budget-tokens",
        "--budget-cost",
        "--hours",
        "--stop",
        "--pause",
    ):
        assert flag in done.stdout


def test_control_without_a_running_daemon(mini: Workspace) -> None:
    done = run_cli(mini.root, "daemon", "--stop")
    assert done.returncode == 1 and "no daemon is running" in done.stderr
    assert not (mini.agent_dir / STOP_FILE).exists()
    (mini.agent_dir / PAUSE_FILE).write_text("")
    done = run_cli(mini.root, "daemon", "--resume")
    assert done.returncode == 0 and not (mini.agent_dir / PAUSE_FILE).exists()


def test_control_files_for_a_running_daemon(mini: Workspace) -> None:
    """A live process holding the lock as "daemon" gets the STOP / PAUSE files."""
    mini.lock_path.write_text(json.dumps({"pid": os.getppid(), "role": "daemon"}))
    done = run_cli(mini.root, "daemon", "--pause")
    assert done.returncode == 0 and f"pid {os.getppid()}" in done.stdout
    assert (mini.agent_dir / PAUSE_FILE).exists()
    assert run_cli(mini.root, "daemon", "--stop").returncode == 0
    assert (mini.agent_dir / STOP_FILE).exists()


@pytest.mark.slow
def test_run_then_status_log_and_inbox(mini: Workspace, tmp_path: Path) -> None:
    root = mini.root
    script = write_script(
        tmp_path / "s.json", [good(0), needs_approval(0), bad(1, real=True), needs_approval(1)]
    )
    no_retries = {"RATCHET_GATES__MAX_RETRIES": "0"}
    done = run_cli(root, "daemon", "--script", str(script), "--max-cycles", "4", env=no_retries)
    assert done.returncode == 0, done.stderr
    assert "accept: good 0" in done.stdout and "needs_approval: large 0" in done.stdout
    assert "4 cycle(s), 1 accepted, 1 rejected, 2 queued; exit 0" in done.stdout

    status = run_cli(root, "status")
    assert "stopped, cycles 4, accepted 1, rejected 1, queued 2" in status.stdout
    assert "stop: ran 4 cycle(s) (max 4)" in status.stdout
    assert "inbox       2 item(s)" in status.stdout
    log = run_cli(root, "daemon", "--log", "5")
    assert log.returncode == 0 and "stop" in log.stdout.splitlines()[-1]

    first, second = list_inbox(mini)
    listed = run_cli(root, "inbox", "--json")
    assert [i["id"] for i in json.loads(listed.stdout)] == [first.id, second.id]
    shown = run_cli(root, "inbox", "show", first.id)
    assert "large diff (135 lines > 120)" in shown.stdout and "+def table() -> list[int]:" in shown.stdout

    rejected = run_cli(root, "inbox", "reject", second.id, "--note", "no lookup tables")
    assert rejected.returncode == 0 and "rejected" in rejected.stdout
    approved = run_cli(root, "inbox", "approve", first.id)
    assert approved.returncode == 0 and "accepted: checkpoint 2" in approved.stdout
    assert list_inbox(mini) == []
    assert f"Ratchet-Approved-By: human:{os.environ.get('USER') or 'human'}" in git(
        root, "log", "-1", "--format=%B"
    )
    assert "no lookup tables" in (mini.agent_dir / "notes.jsonl").read_text()
    assert run_cli(root, "verify").returncode == 0


def test_bad_flags_and_locked(mini: Workspace, tmp_path: Path) -> None:
    done = run_cli(mini.root, "daemon", "--script", str(tmp_path / "missing.json"))
    assert done.returncode == 2 and "does not exist" in done.stderr
    script = write_script(tmp_path / "s.json", [good(0)])
    mini.lock_path.write_text(json.dumps({"pid": os.getppid(), "role": "tui"}))
    done = run_cli(mini.root, "daemon", "--script", str(script))
    assert done.returncode == 3 and "locked by pid" in done.stderr
