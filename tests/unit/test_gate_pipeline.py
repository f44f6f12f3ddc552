"""The gate pipeline with fake gates (the design's seam): order, fail-fast, timing, cancellation."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from core.config import Config
from core.events import Event, GateFinished, GateStarted
from core.gates import GateContext, GateOutcome, run_gates
from core.policy import Policy
from core.records import GateResult, Scores
from core.sandbox.base import SandboxRequest, SandboxResult, StopReason


class NoSandbox:
    name = "none"

    def run(self, request: SandboxRequest) -> SandboxResult:
        return SandboxResult(0, "", "", StopReason.EXIT, 0.0)


@dataclass
class FakeGate:
    name: str
    passed: bool = True
    sleep: float = 0.0
    ran: int = 0

    def run(self, ctx: GateContext) -> GateOutcome:
        self.ran += 1
        time.sleep(self.sleep)
        return GateOutcome(GateResult(self.name, self.passed, 0.0, "fake"))


def context(tmp_path: Path) -> GateContext:
    return GateContext(
        candidate=tmp_path,
        changed=(),
        edits=(),
        config=Config(),
        policy=Policy(),
        sandbox=NoSandbox(),
        baseline=Scores(),
        applied_tree="",
        sealed={},
        cache_dir=tmp_path,
        scratch=tmp_path,
    )


def test_runs_in_order_and_stops_at_first_failure(tmp_path: Path) -> None:
    gates = [FakeGate("a"), FakeGate("b", passed=False), FakeGate("c")]
    events: list[Event] = []
    validation = run_gates(context(tmp_path), gates, events.append)
    assert [r.name for r in validation.report.results] == ["a", "b"]
    assert gates[2].ran == 0
    assert not validation.report.passed and validation.report.failed is not None
    assert [type(e) for e in events] == [GateStarted, GateFinished, GateStarted, GateFinished]


def test_every_gate_is_timed(tmp_path: Path) -> None:
    validation = run_gates(context(tmp_path), [FakeGate("slow", sleep=0.05)])
    assert validation.report.results[0].seconds >= 0.05


def test_cancellation_stops_before_the_next_gate(tmp_path: Path) -> None:
    gates = [FakeGate("a"), FakeGate("b")]
    calls = iter([False, True])
    validation = run_gates(context(tmp_path), gates, cancelled=lambda: next(calls))
    assert gates[1].ran == 0
    assert not validation.report.passed
    assert validation.report.results[-1].skipped


def test_pure_function_same_inputs_same_report(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    first = run_gates(ctx, [FakeGate("a"), FakeGate("b", passed=False)])
    second = run_gates(ctx, [FakeGate("a"), FakeGate("b", passed=False)])
    strip = [(r.name, r.passed, r.summary) for r in first.report.results]
    assert strip == [(r.name, r.passed, r.summary) for r in second.report.results]
