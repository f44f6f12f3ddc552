"""The jobs the TUI runs on its loop worker thread, each ending in a `WorkDone` for the UI.

Each is a thin call into `LoopController` (and so into the same core functions the CLI uses) plus
the one line a person reads about how it went. Expected failures come back as that line.
"""

from __future__ import annotations

import logging

from core.errors import RatchetError
from core.inbox import InboxItem
from core.tui.controller import LoopController, RunMode
from core.tui.messages import WorkDone

__all__ = ["approve_job", "reject_job", "revert_job", "run_job"]

logger = logging.getLogger(__name__)


def run_job(controller: LoopController, mode: RunMode) -> WorkDone:
    report = controller.run(mode)
    return WorkDone("run", report, f"loop {report.ended} after {report.cycles} cycle(s)")


def revert_job(controller: LoopController, number: int, allow_regression: bool) -> WorkDone:
    try:
        outcome = controller.revert(number, allow_regression=allow_regression)
    except RatchetError as exc:
        return WorkDone("revert", message=f"revert of checkpoint {number} refused: {exc}")
    if outcome.accepted:
        return WorkDone("revert", message=f"reverted {number} as checkpoint {outcome.checkpoint}")
    return WorkDone("revert", message=f"revert of {number} rejected: {outcome.verdict.reason}")


def approve_job(controller: LoopController, item: InboxItem) -> WorkDone:
    try:
        outcome = controller.approve_item(item)
    except RatchetError as exc:
        return WorkDone("inbox", message=f"inbox item {item.id} not submitted: {exc}")
    if outcome.accepted:
        return WorkDone("inbox", message=f"inbox item {item.id} is checkpoint {outcome.checkpoint}")
    why = outcome.verdict.reason
    return WorkDone("inbox", message=f"inbox item {item.id} failed re-validation and was dropped: {why}")


def reject_job(controller: LoopController, item: InboxItem, reason: str) -> WorkDone:
    controller.reject_item(item, reason)
    return WorkDone("inbox", message=f"rejected inbox item {item.id}")
