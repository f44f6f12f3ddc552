"""The inbox: validated proposals that policy says need a human, waiting in `.agent/inbox/`.

An item keeps the proposal, its diff and gate report from when it was queued; approving it
re-validates the proposal against the current checkpoint before it can be committed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from core.errors import RatchetError
from core.records import GateReport, Proposal, from_dict, to_dict
from core.workspace import Workspace

__all__ = ["InboxItem", "list_inbox", "load_item", "put_item", "remove_item"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboxItem:
    id: str
    queued_at: str
    reason: str
    proposal: Proposal
    diff: str
    report: GateReport
    comparison: str = ""


def put_item(
    workspace: Workspace, proposal: Proposal, diff: str, report: GateReport, reason: str, comparison: str = ""
) -> InboxItem:
    workspace.inbox_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC)
    existing = len(list(workspace.inbox_dir.glob("*.json")))
    item = InboxItem(
        id=f"{stamp.strftime('%Y%m%d-%H%M%S')}-{existing + 1:03d}",
        queued_at=stamp.isoformat(timespec="seconds"),
        reason=reason,
        proposal=proposal,
        diff=diff,
        report=report,
        comparison=comparison,
    )
    path = workspace.inbox_dir / f"{item.id}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(to_dict(item), indent=2), encoding="utf-8")
    tmp.replace(path)
    return item


def list_inbox(workspace: Workspace) -> list[InboxItem]:
    if not workspace.inbox_dir.exists():
        return []
    items = []
    for path in sorted(workspace.inbox_dir.glob("*.json")):
        try:
            items.append(from_dict(InboxItem, json.loads(path.read_text(encoding="utf-8"))))
        except (json.JSONDecodeError, TypeError, ValueError):
            logger.warning("skipping unreadable inbox item %s", path)
    return items


def load_item(workspace: Workspace, item_id: str) -> InboxItem:
    path = workspace.inbox_dir / f"{item_id}.json"
    if not path.exists():
        raise RatchetError(f"no inbox item {item_id!r}; see `ratchet inbox`")
    return from_dict(InboxItem, json.loads(path.read_text(encoding="utf-8")))


def remove_item(workspace: Workspace, item_id: str) -> None:
    (workspace.inbox_dir / f"{item_id}.json").unlink(missing_ok=True)
