"""What the dashboard shows that comes from disk: scores across checkpoints, budget, inbox size.

Everything here reads git or files, so the app calls it from worker threads, never the UI thread.
The numbers come from the same core readers the CLI uses (`checkpoint_log`, `load_checkpoint`,
the LLM `Ledger`, `list_inbox`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from core.config import BudgetConfig
from core.gitops import GitError, GitRepo
from core.workspace import Workspace

if TYPE_CHECKING:
    from core.history import LogEntry
    from core.llm.ledger import Ledger

__all__ = ["BudgetView", "ScoreHistory", "Snapshot", "SuiteSeries", "read_budget"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SuiteSeries:
    """One eval suite's score at every checkpoint that recorded it, oldest first."""

    name: str
    points: tuple[float, ...]

    @property
    def latest(self) -> float:
        return self.points[-1] if self.points else 0.0

    @property
    def change(self) -> float:
        """The latest score minus the one before it (0 with a single point)."""
        return self.points[-1] - self.points[-2] if len(self.points) >= 2 else 0.0


@dataclass(frozen=True)
class BudgetView:
    """LLM use recorded in the ledger (every process together) against the configured budget."""

    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    calls_last_hour: int = 0
    budget: BudgetConfig = field(default_factory=BudgetConfig)

    def lines(self) -> tuple[str, str, str]:
        tokens = self.tokens_in + self.tokens_out
        token_limit = f" of {self.budget.tokens:,}" if self.budget.tokens else ""
        cost_limit = f" of ${self.budget.cost_usd:.2f}" if self.budget.cost_usd else ""
        hourly = (
            f" ({self.calls_last_hour}/{self.budget.calls_per_hour} this hour)"
            if (self.budget.calls_per_hour)
            else ""
        )
        return (
            f"tokens {tokens:,}{token_limit} ({self.tokens_in:,} in, {self.tokens_out:,} out)",
            f"cost   ${self.cost_usd:.4f}{cost_limit}",
            f"calls  {self.calls}{hourly}",
        )


@dataclass(frozen=True)
class Snapshot:
    """One refresh of the dashboard's on-disk facts."""

    checkpoints: tuple[LogEntry, ...]
    series: tuple[SuiteSeries, ...]
    budget: BudgetView
    inbox: int

    @property
    def last(self) -> LogEntry | None:
        return self.checkpoints[0] if self.checkpoints else None


def read_budget(ledger: Ledger, budget: BudgetConfig, now: datetime | None = None) -> BudgetView:
    totals = ledger.totals()
    moment = now or datetime.now(UTC)
    return BudgetView(
        calls=totals.calls,
        tokens_in=totals.tokens_in,
        tokens_out=totals.tokens_out,
        cost_usd=totals.cost_usd,
        calls_last_hour=ledger.calls_since(moment - timedelta(hours=1)),
        budget=budget,
    )


class ScoreHistory:
    """Reads checkpoint manifests once each (they never change) to build per-suite score series.

    Not thread-safe: one refresh worker at a time uses it. Imports what it reads with lazily, so
    the first frame does not wait for them.
    """

    def __init__(self, repo: GitRepo, branch: str) -> None:
        self.repo = repo
        self.branch = branch
        self._scores: dict[str, dict[str, float]] = {}  # commit -> suite -> score

    def _scores_of(self, entry: LogEntry) -> dict[str, float]:
        from core.checkpoints import load_checkpoint

        if entry.commit not in self._scores:
            try:
                info = load_checkpoint(self.repo, entry.number)
            except (GitError, ValueError, TypeError) as exc:
                logger.warning("checkpoint %d has no readable manifest: %s", entry.number, exc)
                self._scores[entry.commit] = {}
            else:
                self._scores[entry.commit] = info.checkpoint.scores_after.summary()
        return self._scores[entry.commit]

    def snapshot(self, workspace: Workspace, ledger: Ledger, budget: BudgetConfig) -> Snapshot:
        from core.history import checkpoint_log
        from core.inbox import list_inbox

        entries = tuple(checkpoint_log(self.repo, self.branch))
        names: list[str] = []
        points: dict[str, list[float]] = {}
        for entry in reversed(entries):
            for name, score in self._scores_of(entry).items():
                if name not in points:
                    names.append(name)
                    points[name] = []
                points[name].append(score)
        series = tuple(SuiteSeries(name, tuple(points[name])) for name in names)
        return Snapshot(
            checkpoints=entries,
            series=series,
            budget=read_budget(ledger, budget),
            inbox=len(list_inbox(workspace)),
        )
