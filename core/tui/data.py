"""What the dashboard shows that comes from disk: scores across checkpoints, budget, inbox size.

Everything here reads git or files, so the app calls it from worker threads, never the UI thread.
The numbers come from the same core readers the CLI uses (`checkpoint_log`, `load_checkpoint`,
the LLM `Ledger`, `list_inbox`).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from core.config import BudgetConfig
from core.gitops import GitError, GitRepo
from core.workspace import Workspace

if TYPE_CHECKING:
    from core.history import LogEntry
    from core.llm.ledger import Ledger
    from core.tui.daemonlink import DaemonView

__all__ = [
    "BudgetView",
    "DiskReader",
    "DiskState",
    "LogTail",
    "ScoreHistory",
    "Snapshot",
    "SuiteSeries",
    "read_budget",
]

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


class LogTail:
    """New lines of the daemon's log (`.agent/ratchet.log`), starting near its end."""

    def __init__(self, workspace: Workspace, backlog: int = 2000) -> None:
        self.path = workspace.log_path
        self.backlog = backlog
        self._offset = -1

    def read(self) -> list[str]:
        from core.tui.daemonlink import log_message

        if not self.path.is_file():
            return []
        size = self.path.stat().st_size
        if self._offset < 0 or size < self._offset:  # first look, or the log was rotated
            self._offset = max(0, size - self.backlog)
        with self.path.open("rb") as fh:
            fh.seek(self._offset)
            data = fh.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits for next time
        self._offset += len(complete)
        text = complete.decode("utf-8", "replace")
        return [log_message(line) for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class DiskState:
    snapshot: Snapshot
    #: the daemon's state when attached to one
    daemon: DaemonView | None
    #: who holds the workspace lock ("pid 12 (daemon)" or "free")
    lock: str
    #: new daemon log lines when attached
    log: tuple[str, ...] = ()


class DiskReader:
    """One refresh of everything the dashboard reads from disk; a refresh already running wins."""

    def __init__(self, workspace: Workspace, repo: GitRepo, branch: str, budget: BudgetConfig) -> None:
        from core.llm.ledger import Ledger

        self.workspace = workspace
        self.budget = budget
        self._history = ScoreHistory(repo, branch)
        self._ledger = Ledger(workspace.ledger_path)
        self._tail = LogTail(workspace)
        self._lock = threading.Lock()

    def read(self, *, attached: bool) -> DiskState | None:
        from core.journal import WorkspaceLock
        from core.tui.daemonlink import read_daemon

        if not self._lock.acquire(blocking=False):
            return None
        try:
            try:
                snapshot = self._history.snapshot(self.workspace, self._ledger, self.budget)
            except GitError as exc:  # e.g. its git process was killed by an abort: next refresh
                logger.info("refresh skipped: %s", exc)
                return None
            owner = WorkspaceLock(self.workspace.lock_path).owner()
            return DiskState(
                snapshot=snapshot,
                daemon=read_daemon(self.workspace) if attached else None,
                lock=f"pid {owner[0]} ({owner[1]})" if owner else "free",
                log=tuple(self._tail.read()) if attached else (),
            )
        finally:
            self._lock.release()
