"""Pilot tests of the supervisor loop in the TUI, over real workspaces with a scripted proposer."""

from __future__ import annotations

import json
import re
import time

import pytest

from core.gates import DEFAULT_GATES
from core.memory import open_memory
from core.records import Decision
from core.tui.screens.review import ReviewScreen
from core.workspace import Workspace
from tests.conftest import git, tree_digest
from tests.tui.helpers import (
    GOOD_ADD,
    GOOD_EVEN,
    SlowGate,
    classify_zero,
    fast_gates,
    make_app,
    opened,
    proposal,
    screen_name,
    screen_text,
    wait_for,
)


def clean_candidates(root: object) -> None:
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""  # type: ignore[arg-type]
    assert git(root, "branch", "--list", "ratchet/candidate/*") == ""  # type: ignore[arg-type]
    worktrees = git(root, "worktree", "list", "--porcelain")  # type: ignore[arg-type]
    assert len([ln for ln in worktrees.splitlines() if ln.startswith("worktree ")]) == 1


@pytest.mark.slow
async def test_approve_with_real_gates_makes_a_checkpoint(mini: Workspace) -> None:
    root = mini.root
    base = git(root, "rev-parse", "HEAD")
    app = make_app(mini, [classify_zero()], gates=list(DEFAULT_GATES))
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), timeout=240)
        review = app.screen
        assert isinstance(review, ReviewScreen)
        assert [r.name for r in review.view.report.results] == [g.name for g in DEFAULT_GATES]
        assert "+    if n == 0:" in review.view.diff
        assert review.view.comparison is not None and review.view.comparison.improvements
        await pilot.press("a")
        await wait_for(pilot, lambda: not app.busy, timeout=120)
        assert app.dashboard.loop.view.accepted == 1
        await pilot.press("h")
        await wait_for(pilot, lambda: screen_name(app) == "HistoryScreen")
        history = app.screen
        await wait_for(pilot, lambda: len(history.entries) == 2)  # type: ignore[attr-defined]
        newest = history.entries[0]  # type: ignore[attr-defined]
        assert newest.number == 1 and newest.summary == "classify zero"
        assert newest.approved_by.startswith("human:")
        assert "classify 0.750->1.000" in newest.score
    assert git(root, "rev-parse", "HEAD^") == base
    assert "Ratchet-Checkpoint: 1" in git(root, "log", "-1", "--format=%B")
    assert git(root, "rev-parse", "ckpt/1") == git(root, "rev-parse", "HEAD")
    clean_candidates(root)
    assert not mini.lock_path.exists()


async def test_reject_with_reason_keeps_head_and_remembers_why(mini: Workspace) -> None:
    root = mini.root
    head = git(root, "rev-parse", "HEAD")
    before = tree_digest(root)
    app = make_app(mini, [classify_zero()])
    reason = "zero handling belongs in a separate helper"
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("r")
        await pilot.press(*reason)
        await pilot.press("enter")
        await wait_for(pilot, lambda: not app.busy)
        await pilot.pause()
        assert app.dashboard.loop.view.rejected == 1
        assert app.controller is not None and app.controller.last_outcome is not None
        assert app.controller.last_outcome.verdict.decision is Decision.REJECT
        assert app.controller.last_outcome.verdict.reason == reason
    assert git(root, "rev-parse", "HEAD") == head
    assert tree_digest(root) == before
    notes = (root / ".agent" / "notes.jsonl").read_text().splitlines()
    assert json.loads(notes[-1])["note"] == reason
    hits = open_memory(mini).search(reason, n=3, kind="note")
    assert any(hit.text == reason for hit in hits)
    audit = [json.loads(line) for line in (root / ".agent" / "audit.jsonl").read_text().splitlines()]
    assert audit[-1]["event"] == "rejected" and audit[-1]["data"]["reason"] == reason
    clean_candidates(root)


async def test_reject_needs_a_reason(mini: Workspace) -> None:
    app = make_app(mini, [classify_zero()])
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("r", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)  # still open: an empty reason is refused
        await pilot.press("escape")  # hides the reason box
        await pilot.press("escape")  # skips
        await wait_for(pilot, lambda: not app.busy)


async def test_skip_keeps_the_change_in_the_inbox(mini: Workspace) -> None:
    from core.inbox import list_inbox

    head = git(mini.root, "rev-parse", "HEAD")
    app = make_app(mini, [classify_zero()])
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("s")
        await wait_for(pilot, lambda: not app.busy)
    items = list_inbox(mini)
    assert [i.proposal.summary for i in items] == ["classify zero"]
    assert "+    if n == 0:" in items[0].diff
    assert git(mini.root, "rev-parse", "HEAD") == head


async def test_revert_from_history_makes_a_new_checkpoint(mini: Workspace) -> None:
    root = mini.root
    original = (root / "mutable" / "calc.py").read_text()
    app = make_app(mini, [classify_zero()])
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("a")
        await wait_for(pilot, lambda: not app.busy)
        assert 'return "zero"' in (root / "mutable" / "calc.py").read_text()
        await pilot.press("h")
        await wait_for(pilot, lambda: len(getattr(app.screen, "entries", [])) == 2)
        await pilot.press("v")
        await wait_for(pilot, lambda: screen_name(app) == "RevertScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: len(getattr(app.screen, "entries", [])) == 3)
        newest = app.screen.entries[0]  # type: ignore[attr-defined]
        assert newest.number == 2 and newest.kind == "revert"
    assert (root / "mutable" / "calc.py").read_text() == original
    manifest = json.loads(git(root, "show", "HEAD:checkpoints/0002.json"))
    assert manifest["kind"] == "revert" and manifest["reverts"] == 1
    assert manifest["verdict"]["by"].startswith("human:")
    clean_candidates(root)


async def test_cancelled_revert_changes_nothing(mini: Workspace) -> None:
    head = git(mini.root, "rev-parse", "HEAD")
    app = make_app(mini)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("h")
        await wait_for(pilot, lambda: len(getattr(app.screen, "entries", [])) == 1)
        await pilot.press("v")
        await wait_for(pilot, lambda: screen_name(app) == "RevertScreen")
        await pilot.press("n")
        await pilot.pause()
        assert screen_name(app) == "HistoryScreen"
        assert not app.busy
    assert git(mini.root, "rev-parse", "HEAD") == head


async def test_pause_finishes_the_cycle_then_resume_continues(mini: Workspace) -> None:
    root = mini.root
    proposals = [
        classify_zero(),
        proposal("add", GOOD_ADD, "document add"),
        proposal("is_even", GOOD_EVEN, "document is_even"),
    ]
    app = make_app(mini, proposals, gates=fast_gates(SlowGate(1.5)), review_all=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.dashboard.gates.running == "slow")
        await pilot.press("p")
        await wait_for(pilot, lambda: not app.busy)
        await pilot.pause()
        assert app.dashboard.loop.view.phase == "paused"
        assert app.dashboard.loop.view.accepted == 1
        assert git(root, "tag", "--list", "ckpt/*").split() == ["ckpt/0", "ckpt/1"]
        await pilot.pause(0.3)
        assert app.dashboard.loop.view.cycles == 1  # nothing runs while paused
        await pilot.press("p")  # resume
        await wait_for(pilot, lambda: app.dashboard.loop.view.cycles >= 3)
        await wait_for(pilot, lambda: not app.busy)
        assert app.dashboard.loop.view.accepted == 3
    assert sorted(git(root, "tag", "--list", "ckpt/*").split()) == ["ckpt/0", "ckpt/1", "ckpt/2", "ckpt/3"]
    clean_candidates(root)


async def test_quit_during_validation_leaves_the_tree_identical(mini: Workspace) -> None:
    root = mini.root
    before = tree_digest(root)
    head = git(root, "rev-parse", "HEAD")
    app = make_app(mini, [classify_zero()], gates=fast_gates(SlowGate(30)))
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: app.dashboard.gates.running == "slow")
        assert list((root / ".agent" / "worktrees").iterdir())  # a candidate is in flight
        started = time.monotonic()
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, timeout=20)
        assert time.monotonic() - started < 15
    assert tree_digest(root) == before
    assert git(root, "rev-parse", "HEAD") == head
    clean_candidates(root)
    assert not (root / ".agent" / "journal.json").exists()
    assert not mini.lock_path.exists()


async def test_stop_aborts_the_candidate_and_the_ui_stays_responsive(mini: Workspace) -> None:
    root = mini.root
    before = tree_digest(root)
    app = make_app(mini, [classify_zero()], gates=fast_gates(SlowGate(10)))
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: app.dashboard.gates.running == "slow")
        await pilot.press("g")  # the UI answers while the 10 s gate runs (bench/tui.py times it)
        assert screen_name(app) == "GoalScreen"
        assert app.dashboard.gates.running == "slow"
        await pilot.press("escape")
        await pilot.press("x")
        await wait_for(pilot, lambda: not app.busy, timeout=15)
        assert app.dashboard.loop.view.phase == "stopped"
        assert app.controller is not None and app.controller.last_outcome is not None
        assert app.controller.last_outcome.verdict.reason == "aborted"
    assert tree_digest(root) == before
    clean_candidates(root)


async def test_gate_failure_is_shown_at_file_and_line(mini: Workspace) -> None:
    uses_eval = proposal("add", "def add(a: int, b: int) -> int:\n    return eval('a + b')\n", "uses eval")
    app = make_app(mini, [uses_eval])
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: app.controller is not None and app.controller.last_outcome is not None)
        await wait_for(pilot, lambda: not app.busy)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        view = app.screen.view  # type: ignore[attr-defined]
        assert not view.can_approve and not view.can_reject
        text = screen_text(app, "#review-gates")
        assert "FAIL  boundary" in text
        assert re.search(r"^ +mutable/calc\.py:\d+: uses eval", text, re.M), text
        assert "eval('a + b')" in view.diff
        await pilot.press("a")  # approving a finished attempt is not possible
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("escape")
        assert screen_name(app) == "DashboardScreen"


async def test_quit_while_the_review_is_open_discards_the_candidate(mini: Workspace) -> None:
    from core.inbox import list_inbox

    root = mini.root
    before = tree_digest(root)
    app = make_app(mini, [classify_zero()])
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        assert list((root / ".agent" / "worktrees").iterdir())  # the validated candidate waits
        await pilot.press("ctrl+q")  # the modal keeps plain keys; ctrl+q quits from anywhere
        await wait_for(pilot, lambda: not app.is_running, timeout=20)
    assert tree_digest(root) == before
    assert list_inbox(mini) == []  # an abort is not a "decide later"
    clean_candidates(root)
    assert not mini.lock_path.exists()
