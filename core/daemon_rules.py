"""The daemon's stop rules as small functions: each returns a `Stop` (exit code + reason) or None.

`core.daemon` checks them between cycles, cheapest first; the watchdog, signals and the STOP file
are handled where they happen (see `core.daemon`).
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from core.audit import AuditLog
from core.config import DaemonConfig
from core.daemon_state import ExitCode
from core.records import Scores

__all__ = ["Progress", "Stop", "audit_stop", "disk_stop", "limit_stop", "overall_score", "score_stop"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stop:
    code: ExitCode
    reason: str


@dataclass(frozen=True)
class Progress:
    """What the run has done and spent so far."""

    cycles: int = 0
    consecutive_failures: int = 0
    seconds: float = 0.0
    tokens: int = 0
    cost_usd: float = 0.0


def limit_stop(limits: DaemonConfig, progress: Progress) -> Stop | None:
    """Cycles, hours, consecutive failures and this run's budgets (0 means no limit)."""
    if limits.max_cycles and progress.cycles >= limits.max_cycles:
        return Stop(ExitCode.DONE, f"ran {progress.cycles} cycle(s) (max {limits.max_cycles})")
    if limits.hours and progress.seconds >= limits.hours * 3600:
        return Stop(ExitCode.DONE, f"ran for {limits.hours:g} hour(s)")
    failures = limits.max_consecutive_failures
    if failures and progress.consecutive_failures >= failures:
        return Stop(
            ExitCode.FAILURES,
            f"{progress.consecutive_failures} consecutive cycles failed (daemon.max_consecutive_failures = "
            f"{failures}); read `ratchet daemon --log` and the inbox, then restart",
        )
    if limits.budget_tokens and progress.tokens >= limits.budget_tokens:
        return Stop(
            ExitCode.BUDGET,
            f"token budget of this run used up: {progress.tokens:,} of {limits.budget_tokens:,} tokens; "
            "raise --budget-tokens (daemon.budget_tokens) to continue",
        )
    if limits.budget_cost_usd and progress.cost_usd >= limits.budget_cost_usd:
        return Stop(
            ExitCode.BUDGET,
            f"cost budget of this run used up: ${progress.cost_usd:.4f} of ${limits.budget_cost_usd:.4f}; "
            "raise --budget-cost (daemon.budget_cost_usd) to continue",
        )
    return None


def disk_stop(root: Path, min_free_mb: int) -> Stop | None:
    free_mb = shutil.disk_usage(root).free // (1024 * 1024)
    if free_mb >= min_free_mb:
        return None
    return Stop(
        ExitCode.DISK_LOW,
        f"only {free_mb} MB free on {root} (daemon.min_free_disk_mb = {min_free_mb}); "
        "free some space, then restart",
    )


def audit_stop(audit: AuditLog) -> Stop | None:
    report = audit.verify()
    if report.ok:
        return None
    return Stop(
        ExitCode.TAMPERED,
        "the audit chain is broken (" + "; ".join(report.problems[:3]) + "); run `ratchet verify`",
    )


def overall_score(scores: Scores) -> float | None:
    """The mean suite score, or None without any suite."""
    summary = scores.summary()
    return sum(summary.values()) / len(summary) if summary else None


def score_stop(baseline: Scores, until: float) -> Stop | None:
    score = overall_score(baseline)
    if not until or score is None or score < until:
        return None
    return Stop(ExitCode.DONE, f"score {score:.3f} reached the target {until:g}")
