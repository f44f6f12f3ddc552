"""Helpers for the TUI tests: scripted proposals, fake gates (the `Gate` seam), waiting on the app."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget

from core.config import load_config
from core.gates import BoundaryGate, Gate, GateContext, GateOutcome
from core.procs import run_process
from core.proposers.scripted import ScriptedProposer
from core.records import Edit, EditKind, EditOp, GateResult, Proposal
from core.tui.app import RatchetApp
from core.workspace import Workspace

CALC = "mutable/calc.py"

GOOD_CLASSIFY = '''def classify(n: int) -> str:
    """Sign of `n` as a word."""
    if n < 0:
        return "negative"
    if n == 0:
        return "zero"
    return "positive"
'''

GOOD_ADD = '''def add(a: int, b: int) -> int:
    """The sum of `a` and `b`."""
    return a + b
'''

GOOD_EVEN = '''def is_even(n: int) -> bool:
    """Whether `n` is divisible by two."""
    return n % 2 == 0
'''


def proposal(target: str, code: str, title: str) -> Proposal:
    edit = Edit(EditOp.REPLACE, EditKind.FUNCTION, CALC, target, code)
    return Proposal(
        rationale=f"{title}: a test change.", target=f"{CALC}:{target}", edits=(edit,), title=title
    )


def classify_zero() -> Proposal:
    return proposal("classify", GOOD_CLASSIFY, "classify zero")


@dataclass
class PassGate:
    """A fake gate that passes (stands in for ruff/mypy/pytest/evals in fast tests)."""

    name: str = "checks"

    def run(self, ctx: GateContext) -> GateOutcome:
        return GateOutcome(GateResult(self.name, True, 0.0, "fake pass"))


@dataclass
class SlowGate:
    """A fake gate that runs a real child process for `seconds` (an abort kills it)."""

    seconds: float
    name: str = "slow"

    def run(self, ctx: GateContext) -> GateOutcome:
        proc = run_process(("sleep", str(self.seconds)), cwd=ctx.candidate, timeout=self.seconds + 30)
        return GateOutcome(GateResult(self.name, proc.ok, proc.seconds, "slept" if proc.ok else "killed"))


def fast_gates(*extra: Gate) -> list[Gate]:
    return [BoundaryGate(), *extra, PassGate()]


def make_app(
    ws: Workspace,
    proposals: list[Proposal] | None = None,
    gates: list[Gate] | None = None,
    *,
    review_all: bool = True,
) -> RatchetApp:
    return RatchetApp(
        ws,
        load_config(ws.root),
        gates=gates if gates is not None else fast_gates(),
        proposer=ScriptedProposer(proposals or []),
        review_all=review_all,
    )


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Let the app run until `condition()` holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {condition}")
        await pilot.pause(0.05)


async def opened(pilot: Pilot[None]) -> RatchetApp:
    """The app, once it has opened the workspace (as writer or attached)."""
    app = pilot.app
    assert isinstance(app, RatchetApp)
    await wait_for(pilot, lambda: app.session_mode != "starting")
    await app.workers.wait_for_complete()
    await pilot.pause()
    return app


def screen_name(app: RatchetApp) -> str:
    return type(app.screen).__name__


def widget_text(widget: Widget) -> str:
    """What `widget` shows on screen, as plain text (its whole laid-out height, scrolled or not)."""
    width, height = widget.size
    return "\n".join(strip.text.rstrip() for strip in widget.render_lines(Region(0, 0, width, height)))


def screen_text(app: RatchetApp, selector: str) -> str:
    return "\n".join(widget_text(w) for w in app.screen.query(selector))
