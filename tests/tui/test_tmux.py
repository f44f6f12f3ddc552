"""`ratchet` in a real terminal: tmux starts it, keys go in, the screen comes out as text."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.workspace import Workspace

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

RATCHET = Path(sys.executable).with_name("ratchet")


def tmux(socket: str, *args: str) -> subprocess.CompletedProcess[str]:
    # pytest may export COLUMNS/LINES; they would override the real terminal size in the pane
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return subprocess.run(
        ["tmux", "-L", socket, "-f", "/dev/null", *args], capture_output=True, text=True, timeout=10, env=env
    )


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


@pytest.mark.slow
def test_ratchet_starts_in_tmux_and_shows_the_dashboard(mini: Workspace) -> None:
    socket = f"ratchet-test-{os.getpid()}"
    command = f"{shlex.quote(str(RATCHET))} --repo {shlex.quote(str(mini.root))}"
    started = tmux(socket, "new-session", "-d", "-s", "tui", "-x", "100", "-y", "30", command)
    assert started.returncode == 0, started.stderr

    def screen() -> str:
        return tmux(socket, "capture-pane", "-p", "-t", "tui").stdout

    try:
        # "classify": the eval sparkline row, from checkpoint 0's manifest (read after the first frame)
        expected = (
            "ratchet",
            "loop",
            "gates",
            "state    IDLE",
            "boundary",
            "integrity",
            "budget",
            "Quit",
            "classify",
        )
        wait_until(lambda: "writer (lock held here)" in screen(), 30, "the dashboard")
        wait_until(lambda: all(e in screen() for e in expected), 10, f"{expected} on screen")
        wait_until(
            lambda: max(len(line) for line in screen().splitlines()) == 100,
            10,
            "the dashboard to fill the 100-column terminal",
        )
        tmux(socket, "send-keys", "-t", "tui", "g")
        wait_until(lambda: "Add a goal" in screen(), 10, "the goal modal")
        tmux(socket, "send-keys", "-t", "tui", "-l", "classify zero properly")
        tmux(socket, "send-keys", "-t", "tui", "Enter")
        wait_until(lambda: "goal added: classify zero properly" in screen(), 10, "the goal in the log")
        goals = [json.loads(line) for line in mini.goals_path.read_text().splitlines()]
        assert goals[-1]["goal"] == "classify zero properly"
        tmux(socket, "send-keys", "-t", "tui", "q")
        wait_until(lambda: tmux(socket, "has-session", "-t", "tui").returncode != 0, 15, "ratchet to exit")
        assert not mini.lock_path.exists()
    finally:
        tmux(socket, "kill-server")
