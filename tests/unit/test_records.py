"""Records: frozen, JSON round-trip exactly, reject unknown fields."""

from __future__ import annotations

import dataclasses

import pytest

from core.records import (
    CaseResult,
    Checkpoint,
    Decision,
    Edit,
    EditKind,
    EditOp,
    GateReport,
    GateResult,
    Location,
    Proposal,
    Scores,
    SuiteResult,
    Usage,
    Verdict,
    from_json,
    to_json,
)


def sample_checkpoint() -> Checkpoint:
    proposal = Proposal(
        rationale="Detect Kotlin.\nLonger text.",
        target="mutable/lang.py:detect_language",
        edits=(
            Edit(EditOp.REPLACE, EditKind.FUNCTION, "mutable/lang.py", "detect_language", "def f(): ..."),
        ),
        proposer="llm",
        model="openai/qwen",
        usage=Usage(calls=2, tokens_in=100, tokens_out=50, cost_usd=0.001),
    )
    report = GateReport(
        (
            GateResult("ruff", True, 0.05, "clean"),
            GateResult("mypy", False, 1.2, "1 problem", "out", (Location("mutable/lang.py", 3, "bad"),)),
        )
    )
    suite = SuiteResult(
        "lang", True, (CaseResult("c1", True, 1.0), CaseResult("c2", False, 0.0, "x")), (0.5, 0.6)
    )
    return Checkpoint(
        number=3,
        parent="abc",
        created_at="2026-01-01T00:00:00+00:00",
        proposal=proposal,
        gates=report,
        scores_before=Scores(),
        scores_after=Scores((suite,)),
        verdict=Verdict(Decision.ACCEPT, "ok", "human"),
        reverts=None,
    )


def test_checkpoint_round_trip() -> None:
    cp = sample_checkpoint()
    assert from_json(Checkpoint, to_json(cp)) == cp


def test_properties() -> None:
    cp = sample_checkpoint()
    assert cp.summary == "Detect Kotlin."
    assert not cp.gates.passed and cp.gates.failed is not None and cp.gates.failed.name == "mypy"
    assert cp.scores_after.summary() == {"lang": 0.5}
    assert cp.scores_after.suites[0].passed_ids == frozenset({"c1"})
    assert str(Location("a.py", 3, "m")) == "a.py:3: m"


def test_records_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        sample_checkpoint().number = 4  # type: ignore[misc]


def test_unknown_field_rejected() -> None:
    with pytest.raises(ValueError, match="unknown field"):
        from_json(Verdict, '{"decision": "accept", "reason": "", "by": "x", "extra": 1}')
    with pytest.raises(ValueError):
        from_json(Verdict, '{"decision": "maybe", "reason": "", "by": "x"}')


def test_empty_report_does_not_pass() -> None:
    assert not GateReport().passed
