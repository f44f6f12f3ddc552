"""The LLM response cache (`.agent/cache/llm/`): replies keyed by what was asked, so runs replay exactly.

The key is the sha256 of (model, messages, params, occurrence): `occurrence` counts identical
requests within one gateway session, so asking the same prompt three times for three sampled
candidates records three replies, and a replayed run gets them back in the same order.
Entries never hold credentials: only the model name, the request and the reply.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.records import Usage, from_dict, to_dict

__all__ = ["CachedReply", "ResponseCache", "request_key"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedReply:
    text: str
    model: str
    usage: Usage


def request_key(
    model: str, messages: Sequence[Mapping[str, str]], params: Mapping[str, Any], occurrence: int = 0
) -> str:
    """sha256 over a canonical JSON of the request."""
    material = {
        "model": model,
        "messages": [dict(m) for m in messages],
        "params": dict(params),
        "occurrence": occurrence,
    }
    canonical = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResponseCache:
    """One JSON file per reply under `root/<first two hex digits>/<key>.json`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> CachedReply | None:
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return from_dict(CachedReply, data["reply"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError) as exc:
            logger.warning("ignoring a damaged cache entry %s: %s", path, exc)
            return None

    def put(self, key: str, reply: CachedReply, request: Mapping[str, Any]) -> None:
        """Store atomically (write a temp file, then rename), so readers never see half an entry."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"request": dict(request), "reply": to_dict(reply)}, ensure_ascii=False, indent=1)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(body)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*/*.json")) if self.root.is_dir() else 0
