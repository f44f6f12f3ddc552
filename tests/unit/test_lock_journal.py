"""The single-writer lock and the journal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import Locked
from core.journal import Journal, JournalEntry, Phase, WorkspaceLock, pid_alive


def test_lock_excludes_live_pid_and_recovers_dead(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        path.write_text(f'{{"pid": {proc.pid}, "role": "daemon"}}')
        with pytest.raises(Locked, match=f"locked by pid {proc.pid} \\(daemon\\)"):
            WorkspaceLock(path).acquire()
    finally:
        proc.kill()
        proc.wait()
    assert not pid_alive(proc.pid)
    with WorkspaceLock(path, role="cli") as lock:
        assert lock.held and lock.owner() == (os.getpid(), "cli")
    assert not path.exists()


def test_journal_round_trip_and_corruption(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.json")
    assert journal.read() is None
    entry = JournalEntry(Phase.VALIDATING, 1, "base", "ratchet/candidate/x", "/wt", "ratchet/agent")
    journal.write(entry)
    assert journal.read() == entry
    journal.path.write_text("{not json")
    recovered = journal.read()
    assert recovered is not None and recovered.phase is Phase.STARTED
    journal.clear()
    assert journal.read() is None
