"""Suites `humaneval-dev` (problems 0-99) and `humaneval-holdout` (100-163): pass@1 with the model.

These need the configured LLM, which is reached over loopback or the network, so they run
outside the sandbox (`ratchet eval humaneval-dev`), with core importable; each solution is
still checked against the hidden tests inside the sandbox. Never tune anything on the holdout.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

__all__ = ["evaluate_split"]

logger = logging.getLogger(__name__)


def evaluate_split(suite: str, trials: int) -> tuple[list[Any], list[float]]:
    """Run one split with the agent of the current directory (`RATCHET_HUMANEVAL_LIMIT` caps it)."""
    try:
        from core.config import load_config
        from core.humaneval import evaluate_suite
    except ImportError as exc:  # inside the sandbox core is not visible
        raise RuntimeError(f"{suite} needs ratchet's core and an LLM; run `ratchet eval {suite}`") from exc
    root = Path.cwd()
    limit = int(os.environ.get("RATCHET_HUMANEVAL_LIMIT", "0")) or None
    result = evaluate_suite(suite, root, load_config(root), trials=trials, limit=limit)
    return list(result.cases), list(result.trials)
