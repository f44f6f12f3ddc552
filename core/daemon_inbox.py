"""Deciding inbox items: directly when nobody holds the workspace, through the daemon when it does.

`approve_item` re-validates the queued proposal against the current checkpoint and commits it
with the human as approver; `reject_item` drops it, remembers why (a note for later proposals)
and records it in the audit log. While a daemon holds the lock, `ratchet inbox approve|reject`
leaves a decision file beside the item (`<id>.approve` / `<id>.reject`) and the daemon carries it
out between cycles (`pending_decisions`).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass

from core.cycle import CycleOutcome, Supervisor
from core.inbox import InboxItem, load_item, remove_item
from core.observe import add_note
from core.records import Decision, Verdict
from core.workspace import Workspace

__all__ = [
    "PendingDecision",
    "approve_item",
    "human_name",
    "pending_decisions",
    "reject_item",
    "request_decision",
]

logger = logging.getLogger(__name__)

_KINDS = ("approve", "reject")


@dataclass(frozen=True)
class PendingDecision:
    item_id: str
    decision: str  # approve | reject
    by: str
    note: str = ""


def human_name() -> str:
    return os.environ.get("USER") or "human"


def request_decision(workspace: Workspace, item_id: str, decision: str, by: str, note: str = "") -> None:
    """Leave a decision for the running daemon (the item must exist)."""
    if decision not in _KINDS:
        raise ValueError(f"decision must be one of {_KINDS}, got {decision!r}")
    load_item(workspace, item_id)
    path = workspace.inbox_dir / f"{item_id}.{decision}"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"by": by, "note": note}), encoding="utf-8")
    tmp.replace(path)


def pending_decisions(workspace: Workspace) -> list[PendingDecision]:
    if not workspace.inbox_dir.exists():
        return []
    found = []
    for kind in _KINDS:
        for path in sorted(workspace.inbox_dir.glob(f"*.{kind}")):
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                found.append(PendingDecision(path.stem, kind, str(raw["by"]), str(raw.get("note", ""))))
            except (OSError, json.JSONDecodeError, KeyError, TypeError):
                logger.warning("ignoring unreadable inbox decision %s", path)
                path.unlink(missing_ok=True)
    return found


def _clear(workspace: Workspace, item_id: str) -> None:
    remove_item(workspace, item_id)
    for kind in _KINDS:
        (workspace.inbox_dir / f"{item_id}.{kind}").unlink(missing_ok=True)


def approve_item(sup: Supervisor, item: InboxItem, by: str) -> CycleOutcome:
    """Re-validate and commit `item` with `by` as approver; the item leaves the inbox either way."""
    verdict = Verdict(Decision.ACCEPT, f"approved from the inbox ({item.reason})", f"human:{by}")
    outcome = sup.submit(item.proposal, lambda review: verdict)
    _clear(sup.workspace, item.id)
    return outcome


def reject_item(sup: Supervisor, item: InboxItem, by: str, note: str = "") -> None:
    """Drop `item`, remember the human's reason for later proposals, and audit it."""
    reason = note or "rejected from the inbox"
    add_note(sup.workspace, f"{item.proposal.summary}: {reason}")
    sup.audit.append(
        "rejected",
        {"summary": item.proposal.summary, "reason": reason, "by": f"human:{by}", "inbox": item.id},
    )
    _clear(sup.workspace, item.id)
