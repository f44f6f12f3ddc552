"""The audit log: `.agent/audit.jsonl`, append-only, every entry hash-chained to the previous one.

Each line is `{"seq", "time", "event", "data", "prev", "hash"}` where `hash` is the sha256 of the
canonical JSON of the other fields. `.agent/audit.head` keeps the last seq and hash so that a
truncated log is detected too; checkpoint commits carry the head in a `Ratchet-Audit` trailer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.secrets import scrub_data

__all__ = ["AuditEntry", "AuditLog", "AuditReport"]

logger = logging.getLogger(__name__)

GENESIS = "0" * 64


def _digest(body: Mapping[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    time: str
    event: str
    data: Mapping[str, Any]
    prev: str
    hash: str


@dataclass(frozen=True)
class AuditReport:
    ok: bool
    entries: int
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditLog:
    path: Path

    @property
    def head_path(self) -> Path:
        return self.path.with_suffix(".head")

    def _last(self) -> tuple[int, str]:
        try:
            head = json.loads(self.head_path.read_text(encoding="utf-8"))
            return int(head["seq"]), str(head["hash"])
        except (FileNotFoundError, json.JSONDecodeError, KeyError, ValueError):
            pass
        entries = self.entries()
        return (entries[-1].seq, entries[-1].hash) if entries else (0, GENESIS)

    def append(self, event: str, data: Mapping[str, Any] | None = None) -> AuditEntry:
        seq, prev = self._last()
        body = {
            "seq": seq + 1,
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "event": event,
            "data": scrub_data(dict(data or {})),
            "prev": prev,
        }
        entry = AuditEntry(hash=_digest(body), **body)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({**body, "hash": entry.hash}, sort_keys=True, ensure_ascii=False)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        tmp = self.head_path.with_suffix(".head.tmp")
        tmp.write_text(json.dumps({"seq": entry.seq, "hash": entry.hash}), encoding="utf-8")
        tmp.replace(self.head_path)
        return entry

    def entries(self) -> list[AuditEntry]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            raw = json.loads(line)
            out.append(AuditEntry(**raw))
        return out

    def head(self) -> str:
        return f"{self._last()[0]}:{self._last()[1][:16]}"

    def verify(self, anchors: Mapping[int, str] | None = None) -> AuditReport:
        """Check the chain, the head file, and `anchors` ({seq: hash prefix}) from commits."""
        problems: list[str] = []
        if not self.path.exists():
            return AuditReport(ok=not anchors, entries=0, problems=("audit log missing",) if anchors else ())
        prev, count = GENESIS, 0
        seen: dict[int, str] = {}
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                body = {k: raw[k] for k in ("seq", "time", "event", "data", "prev")}
                stored = raw["hash"]
            except (json.JSONDecodeError, KeyError, TypeError):
                problems.append(f"line {number}: not a valid audit entry")
                break
            count += 1
            if body["seq"] != count:
                problems.append(f"line {number}: sequence {body['seq']} where {count} was expected")
            if body["prev"] != prev:
                problems.append(f"line {number}: does not chain to the entry before it")
            if _digest(body) != stored:
                problems.append(f"line {number}: content does not match its hash (edited)")
            seen[body["seq"]] = stored
            prev = stored
        try:
            head = json.loads(self.head_path.read_text(encoding="utf-8"))
            if head.get("seq") != count or head.get("hash") != prev:
                problems.append(
                    f"the log ends at entry {count} but its head says {head.get('seq')} (truncated?)"
                )
        except (FileNotFoundError, json.JSONDecodeError):
            if count:
                problems.append(f"{self.head_path.name} is missing or unreadable")
        for seq, prefix in (anchors or {}).items():
            if not seen.get(seq, "").startswith(prefix):
                problems.append(f"entry {seq} named by a checkpoint commit is missing or different")
        return AuditReport(ok=not problems, entries=count, problems=tuple(problems))
