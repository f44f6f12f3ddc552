"""The ledger of LLM calls (`.agent/ledger.jsonl`) and the budgets checked against it.

One JSON line per call: time, model, purpose, tokens in/out, cost when known, latency, whether the
reply came from the cache, and the error kind when the call failed. Several processes may append
to the same ledger (the daemon, the TUI, the agent's own calls); each `Ledger` reads what was
appended since it last looked, so budgets hold across processes without re-reading the file.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.config import BudgetConfig
from core.llm.errors import BudgetExceeded
from core.records import Usage, from_dict, to_dict

__all__ = ["Ledger", "LedgerEntry", "LedgerTotals", "check_budget"]

logger = logging.getLogger(__name__)

_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class LedgerEntry:
    """One call. `cost_usd` is None when the provider's price is unknown; cached calls cost nothing."""

    time: str
    model: str
    purpose: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = None
    seconds: float = 0.0
    cached: bool = False
    error: str = ""

    @property
    def when(self) -> datetime:
        moment = datetime.fromisoformat(self.time)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    @property
    def paid(self) -> bool:
        """The call reached the provider (a cache hit did not)."""
        return not self.cached


@dataclass(frozen=True)
class LedgerTotals:
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out

    def usage(self) -> Usage:
        return Usage(
            calls=self.calls, tokens_in=self.tokens_in, tokens_out=self.tokens_out, cost_usd=self.cost_usd
        )


class Ledger:
    """Append-only JSON lines; totals are kept incrementally (lines other processes add count too)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._totals = LedgerTotals()
        self._recent: list[datetime] = []
        self._lock = threading.Lock()  # a gateway is shared between threads (TUI workers, agent runs)

    def append(self, entry: LedgerEntry) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(to_dict(entry), ensure_ascii=False, sort_keys=True) + "\n"
        # one write() of one line on an O_APPEND descriptor: concurrent writers never interleave
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)

    def entries(self) -> list[LedgerEntry]:
        """Every well-formed entry, oldest first (a damaged line is skipped with a warning)."""
        if not self.path.is_file():
            return []
        return [e for line in self.path.read_text(encoding="utf-8").splitlines() if (e := _parse(line))]

    def _catch_up(self) -> None:
        if not self.path.is_file():
            return
        with self.path.open("rb") as fh:
            if fh.seek(0, os.SEEK_END) < self._offset:  # truncated or replaced: start over
                self._offset, self._totals, self._recent = 0, LedgerTotals(), []
            fh.seek(self._offset)
            data = fh.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits for next time
        self._offset += len(complete)
        totals = self._totals
        for raw in complete.decode("utf-8", "replace").splitlines():
            entry = _parse(raw)
            if entry is None or not entry.paid:
                continue
            totals = LedgerTotals(
                calls=totals.calls + 1,
                tokens_in=totals.tokens_in + entry.tokens_in,
                tokens_out=totals.tokens_out + entry.tokens_out,
                cost_usd=totals.cost_usd + (entry.cost_usd or 0.0),
            )
            self._recent.append(entry.when)
        self._totals = totals

    def totals(self) -> LedgerTotals:
        """What every paid call in the ledger used, all processes together."""
        with self._lock:
            self._catch_up()
            return self._totals

    def calls_since(self, since: datetime) -> int:
        """Paid calls at or after `since` (look back at most an hour or two; older times are pruned)."""
        with self._lock:
            self._catch_up()
            self._recent = [t for t in self._recent if t >= since - _HOUR]
            return sum(1 for t in self._recent if t >= since)


def _parse(line: str) -> LedgerEntry | None:
    if not line.strip():
        return None
    try:
        entry = from_dict(LedgerEntry, json.loads(line))
        _ = entry.when  # a bad timestamp makes the line damaged too
        return entry
    except (ValueError, TypeError, KeyError) as exc:
        logger.warning("skipping a damaged ledger line (%s): %.80s", exc, line)
        return None


def _fix(setting: str) -> str:
    section, _, key = setting.partition(".")
    return (
        f"raise [{section}] {key} in .agent/config.toml (or RATCHET_{section.upper()}__{key.upper()}), "
        f"or set it to 0 for no limit"
    )


def _usd(amount: float) -> str:
    return f"${amount:,.4f}" if amount >= 0.01 else f"${amount:.6f}"


def check_budget(ledger: Ledger, budget: BudgetConfig, now: datetime | None = None) -> None:
    """Raise `BudgetExceeded` when a budget is already used up; 0 means unlimited."""
    if not (budget.tokens or budget.cost_usd or budget.calls_per_hour):
        return
    totals = ledger.totals()
    where = f"ledger {ledger.path}"
    if budget.tokens and totals.tokens >= budget.tokens:
        raise BudgetExceeded(
            f"token budget used up: {totals.tokens:,} of {budget.tokens:,} tokens ({where}); "
            + _fix("budget.tokens")
        )
    if budget.cost_usd and totals.cost_usd >= budget.cost_usd:
        raise BudgetExceeded(
            f"cost budget used up: {_usd(totals.cost_usd)} of {_usd(budget.cost_usd)} ({where}); "
            + _fix("budget.cost_usd")
        )
    if budget.calls_per_hour:
        now = now or datetime.now(UTC)
        recent = ledger.calls_since(now - _HOUR)
        if recent >= budget.calls_per_hour:
            raise BudgetExceeded(
                f"call budget used up: {recent} calls in the last hour, limit {budget.calls_per_hour} "
                f"per hour ({where}); wait, or " + _fix("budget.calls_per_hour")
            )
