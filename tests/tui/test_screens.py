"""Pilot tests of the other screens: inbox, goal, history views, read-only attach, the palette."""

from __future__ import annotations

import json
import os
import subprocess

from core.daemon_inbox import pending_decisions
from core.inbox import list_inbox, put_item
from core.records import GateReport, GateResult
from core.tui.screens.review import ReviewScreen
from core.workspace import Workspace
from tests.conftest import git, tree_digest
from tests.tui.helpers import classify_zero, make_app, opened, proposal, screen_name, screen_text, wait_for

DIFF = "--- a/mutable/calc.py\n+++ b/mutable/calc.py\n@@ -1 +1,2 @@\n+    if n == 0:\n"


def queue(ws: Workspace, title: str = "classify zero") -> str:
    report = GateReport((GateResult("boundary", True, 0.01, "ok"), GateResult("checks", True, 0.0, "ok")))
    prop = classify_zero() if title == "classify zero" else proposal("classify", "x", title)
    return put_item(ws, prop, DIFF, report, "touches mutable/calc.py").id


async def test_inbox_approve_revalidates_and_commits(mini: Workspace) -> None:
    item = queue(mini)
    app = make_app(mini)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("i")
        await wait_for(pilot, lambda: len(getattr(app.screen, "items", [])) == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        assert app.screen.view.reasons == ("touches mutable/calc.py",)  # type: ignore[attr-defined]
        await pilot.press("a")
        await wait_for(pilot, lambda: screen_name(app) == "InboxScreen" and not app.busy)
        await wait_for(pilot, lambda: getattr(app.screen, "items", None) == [])
    assert list_inbox(mini) == []
    message = git(mini.root, "log", "-1", "--format=%B")
    assert "Ratchet-Checkpoint: 1" in message and "Ratchet-Approved-By: human:" in message
    assert 'return "zero"' in (mini.root / "mutable" / "calc.py").read_text()
    assert item


async def test_inbox_reject_removes_the_item_and_notes_why(mini: Workspace) -> None:
    queue(mini)
    head = git(mini.root, "rev-parse", "HEAD")
    app = make_app(mini)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("i")
        await wait_for(pilot, lambda: len(getattr(app.screen, "items", [])) == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("r", *"not now", "enter")
        await wait_for(pilot, lambda: getattr(app.screen, "items", None) == [])
    assert list_inbox(mini) == []
    assert git(mini.root, "rev-parse", "HEAD") == head
    notes = (mini.root / ".agent" / "notes.jsonl").read_text().splitlines()
    assert json.loads(notes[-1])["note"] == "classify zero: not now"
    audit = [json.loads(line) for line in (mini.root / ".agent" / "audit.jsonl").read_text().splitlines()]
    assert audit[-1]["event"] == "rejected" and audit[-1]["data"]["reason"] == "not now"


async def test_goal_is_appended_for_the_next_observation(mini: Workspace) -> None:
    from core.observe import build_observation
    from core.records import Scores

    app = make_app(mini)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("g")
        await wait_for(pilot, lambda: screen_name(app) == "GoalScreen")
        await pilot.press(*"handle Kotlin tasks better", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "DashboardScreen")
    assert build_observation(mini, Scores()).goals[-1] == "handle Kotlin tasks better"


async def test_history_opens_a_checkpoint_and_diffs_two(mini: Workspace) -> None:
    app = make_app(mini, [classify_zero()])
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("a")
        await wait_for(pilot, lambda: not app.busy)
        await pilot.press("h")
        await wait_for(pilot, lambda: len(getattr(app.screen, "entries", [])) == 2)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "TextScreen")
        await wait_for(pilot, lambda: len(app.screen.query(".text-section")) > 0)
        text = screen_text(app, ".section-title, .text-section")
        assert "classify zero" in text and "approved by human" in text
        assert "Manifest checkpoints/0001.json" in text and '"number": 1' in text
        assert 'return "zero"' in text
        await pilot.press("escape")
        assert screen_name(app) == "HistoryScreen"
        await pilot.press("space", "down", "d")
        await wait_for(pilot, lambda: screen_name(app) == "TextScreen")
        await wait_for(pilot, lambda: len(app.screen.query(".text-section")) > 0)
        text = screen_text(app, ".section-title, .text-section")
        assert "Diff checkpoint 0 -> 1" in text and 'return "zero"' in text


async def test_attached_read_only_to_a_running_daemon(mini: Workspace) -> None:
    root = mini.root
    daemon = subprocess.Popen(["sleep", "60"])
    try:
        mini.lock_path.write_text(json.dumps({"pid": daemon.pid, "role": "daemon"}))
        mini.state_path.write_text(  # as core.daemon_state writes it
            json.dumps(
                {
                    "pid": daemon.pid,
                    "phase": "validating",
                    "cycles": 7,
                    "accepted": 3,
                    "rejected": 4,
                    "queued": 1,
                }
            )
        )
        item = queue(mini)
        before = tree_digest(root)
        app = make_app(mini, [classify_zero()])
        async with app.run_test(size=(80, 24)) as pilot:
            await opened(pilot)
            assert app.session_mode == "attached"
            await wait_for(pilot, lambda: app.dashboard.loop.view.cycles == 7)
            view = app.dashboard.loop.view
            assert view.phase == "validating" and view.accepted == 3 and view.inbox == 1
            assert f"pid {daemon.pid} (daemon)" in view.session
            await pilot.press("n")  # refused: the daemon is the writer
            assert not app.busy
            await pilot.press("p")
            assert (mini.agent_dir / "PAUSE").exists()
            await pilot.press("p")
            assert not (mini.agent_dir / "PAUSE").exists()
            await pilot.press("x")
            assert (mini.agent_dir / "STOP").exists()
            await pilot.press("i")
            await wait_for(pilot, lambda: len(getattr(app.screen, "items", [])) == 1)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
            await pilot.press("a")  # handed to the daemon, which carries it out between cycles
            await wait_for(pilot, lambda: screen_name(app) == "InboxScreen")
            assert not app.busy
        assert tree_digest(root) == before
        assert json.loads(mini.lock_path.read_text())["pid"] == daemon.pid  # the daemon's lock is untouched
        decisions = pending_decisions(mini)
        assert [(d.item_id, d.decision) for d in decisions] == [(item, "approve")]
    finally:
        daemon.kill()
        daemon.wait()
    os.unlink(mini.lock_path)


async def test_command_palette_lists_every_action(mini: Workspace) -> None:
    app = make_app(mini)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for title in (
            "Start the loop",
            "Pause / resume",
            "Step one cycle",
            "Stop",
            "History",
            "Inbox",
            "Add a goal",
            "Toggle review mode",
            "Last attempt",
            "Quit",
        ):
            assert title in titles
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: screen_name(app) == "CommandPalette")
        await pilot.press(*"history", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "HistoryScreen")


async def test_toggle_review_mode_and_policy_accept(mini: Workspace) -> None:
    app = make_app(mini, [classify_zero()])
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        assert app.dashboard.loop.view.review_all
        await pilot.press("a")
        assert not app.dashboard.loop.view.review_all
        await pilot.press("n")
        await wait_for(pilot, lambda: not app.busy and app.dashboard.loop.view.accepted == 1)
        assert not isinstance(app.screen, ReviewScreen)  # policy accepted it without asking
    assert "Ratchet-Approved-By: policy" in git(mini.root, "log", "-1", "--format=%B")


async def test_take_over_once_the_daemon_is_gone(mini: Workspace) -> None:
    daemon = subprocess.Popen(["sleep", "60"])
    mini.lock_path.write_text(json.dumps({"pid": daemon.pid, "role": "daemon"}))
    app = make_app(mini)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        assert app.session_mode == "attached"
        await pilot.press("s")  # refused while the daemon lives
        await pilot.pause()
        assert app.session_mode == "attached"
        daemon.kill()
        daemon.wait()
        await pilot.press("s")
        await wait_for(pilot, lambda: app.session_mode == "owner")
        assert json.loads(mini.lock_path.read_text())["pid"] == os.getpid()
        assert app.dashboard.loop.view.session == "writer (lock held here)"
    assert not mini.lock_path.exists()
