"""The ledger of LLM calls, budgets checked against it, and the response cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.config import BudgetConfig
from core.llm.cache import CachedReply, ResponseCache, request_key
from core.llm.errors import BudgetExceeded
from core.llm.ledger import Ledger, LedgerEntry, check_budget
from core.records import Usage

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


def _entry(
    minutes_ago: float = 0, tokens: tuple[int, int] = (10, 5), cost: float | None = 0.01, **kw: object
) -> LedgerEntry:
    when = (NOW - timedelta(minutes=minutes_ago)).isoformat()
    return LedgerEntry(when, "openai/x", "test", tokens[0], tokens[1], cost, 0.1, **kw)  # type: ignore[arg-type]


def test_totals_count_paid_calls_only(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append(_entry(tokens=(100, 20), cost=0.5))
    ledger.append(_entry(tokens=(0, 0), cost=0.0, cached=True))
    ledger.append(_entry(tokens=(7, 3), cost=None))
    totals = ledger.totals()
    assert (totals.calls, totals.tokens_in, totals.tokens_out, totals.tokens) == (2, 107, 23, 130)
    assert totals.cost_usd == pytest.approx(0.5)
    assert totals.usage() == Usage(calls=2, tokens_in=107, tokens_out=23, cost_usd=0.5)
    assert [e.cached for e in ledger.entries()] == [False, True, False]


def test_lines_appended_by_another_process_are_picked_up(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    mine, theirs = Ledger(path), Ledger(path)
    mine.append(_entry(tokens=(1, 1)))
    assert mine.totals().tokens == 2
    theirs.append(_entry(tokens=(40, 2)))
    assert mine.totals().tokens == 44
    with path.open("a") as fh:
        fh.write('{"half a line')  # a writer mid-line: ignored until complete
    assert mine.totals().tokens == 44


def test_a_damaged_line_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "ledger.jsonl"
    ledger = Ledger(path)
    ledger.append(_entry(tokens=(1, 2)))
    with path.open("a") as fh:
        fh.write("not json\n")
        fh.write('{"time": "yesterday", "model": "m", "purpose": "p"}\n')
    ledger.append(_entry(tokens=(3, 4)))
    assert ledger.totals().tokens == 10
    assert len(ledger.entries()) == 2
    assert "damaged ledger line" in caplog.text


def test_zero_budgets_mean_unlimited(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    for _ in range(50):
        ledger.append(_entry(tokens=(1000, 1000), cost=10.0))
    check_budget(ledger, BudgetConfig(), NOW)  # does not raise


def test_token_budget(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append(_entry(tokens=(60, 30)))
    check_budget(ledger, BudgetConfig(tokens=100), NOW)
    ledger.append(_entry(tokens=(5, 5)))
    with pytest.raises(
        BudgetExceeded, match=r"token budget used up: 100 of 100.*\[budget\] tokens.*RATCHET_BUDGET__TOKENS"
    ):
        check_budget(ledger, BudgetConfig(tokens=100), NOW)


def test_cost_budget(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append(_entry(cost=0.25))
    check_budget(ledger, BudgetConfig(cost_usd=0.5), NOW)
    ledger.append(_entry(cost=0.25))
    with pytest.raises(
        BudgetExceeded, match=r"cost budget used up: \$0.5000 of \$0.5000.*\[budget\] cost_usd"
    ):
        check_budget(ledger, BudgetConfig(cost_usd=0.5), NOW)


def test_calls_per_hour_is_a_sliding_window(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append(_entry(minutes_ago=90))
    ledger.append(_entry(minutes_ago=61))
    ledger.append(_entry(minutes_ago=30))
    ledger.append(_entry(minutes_ago=1, cached=True))  # cache hits are not calls
    budget = BudgetConfig(calls_per_hour=2)
    check_budget(ledger, budget, NOW)
    ledger.append(_entry(minutes_ago=0))
    with pytest.raises(BudgetExceeded, match=r"2 calls in the last hour, limit 2.*calls_per_hour"):
        check_budget(ledger, budget, NOW)
    check_budget(ledger, budget, NOW + timedelta(minutes=31))  # the oldest of the two left the window


def test_request_key_depends_on_every_part() -> None:
    messages = [{"role": "user", "content": "hi"}]
    params = {"temperature": 0.2, "max_tokens": 10, "seed": None}
    base = request_key("m", messages, params)
    assert base == request_key("m", [{"content": "hi", "role": "user"}], dict(reversed(params.items())))
    assert (
        len(
            {
                base,
                request_key("m2", messages, params),
                request_key("m", [{"role": "user", "content": "hi!"}], params),
                request_key("m", messages, {**params, "temperature": 0.7}),
                request_key("m", messages, {**params, "seed": 1}),
                request_key("m", messages, params, occurrence=1),
            }
        )
        == 6
    )


def test_cache_round_trip_and_damage(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = ResponseCache(tmp_path / "llm")
    key = request_key("m", [{"role": "user", "content": "x"}], {})
    assert cache.get(key) is None
    reply = CachedReply("def f():\n    return 'ü'\n", "m", Usage(1, 3, 4, 0.0))
    cache.put(key, reply, {"model": "m"})
    assert cache.get(key) == reply
    assert len(cache) == 1
    assert list((tmp_path / "llm").rglob(".tmp-*")) == []
    (tmp_path / "llm" / key[:2] / f"{key}.json").write_text("{broken")
    assert cache.get(key) is None
    assert "damaged cache entry" in caplog.text
