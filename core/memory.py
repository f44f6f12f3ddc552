"""Long-term memory: every proposal attempt, every solved task and every human note, in chromadb.

The store lives under `.agent/memory/` (a chromadb `PersistentClient`), one collection whose
records carry a `kind` (`attempt`, `solution`, `note`) plus metadata that can be filtered on.
Embeddings are computed offline by `HashedEmbedding` (hashed words and character trigrams), so
nothing is ever downloaded, and it is registered with chromadb so the collection reopens in a
new process. Text is scrubbed of anything that looks like an API key before it is written.
chromadb is imported lazily: opening memory costs about a second, importing this module nothing.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import logging
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from core.errors import RatchetError
from core.records import Edit
from core.secrets import scrub as scrub_secrets
from core.workspace import Workspace

__all__ = [
    "EMBEDDING_DIMENSIONS",
    "AttemptRecord",
    "Memory",
    "MemoryHit",
    "MemoryUnavailable",
    "SolvedTask",
    "code_fingerprint",
    "diff_fingerprint",
    "embed_text",
    "open_memory",
    "scrub_secrets",
]

logger = logging.getLogger(__name__)

COLLECTION = "ratchet-memory"
EMBEDDING_NAME = "ratchet-hashed-ngrams"
EMBEDDING_DIMENSIONS = 384
#: text beyond this many characters is not embedded (it is still stored)
_EMBED_CHARS = 6000

_WORD = re.compile(r"[A-Za-z][a-z]*|[A-Z]+(?![a-z])|\d+")


class MemoryUnavailable(RatchetError):
    """The memory store under .agent/memory/ cannot be opened (the message says what to do)."""


@dataclass(frozen=True)
class AttemptRecord:
    """One proposal attempt and how it ended."""

    target: str
    rationale: str
    diff: str
    outcome: str  # accepted | rejected | needs_approval | error
    gate: str = ""
    excerpt: str = ""
    scores: str = ""
    cost_usd: float = 0.0
    proposer: str = ""
    created_at: str = ""
    #: normalized hash of the proposed code (`code_fingerprint`); derived from `diff` when empty
    fingerprint: str = ""


@dataclass(frozen=True)
class SolvedTask:
    task: str
    language: str
    code: str
    distance: float = 0.0


@dataclass(frozen=True)
class MemoryHit:
    kind: str  # attempt | solution | note
    text: str
    metadata: Mapping[str, str | int | float]
    distance: float


# --- pure helpers ------------------------------------------------------------------------------


def _features(text: str) -> list[str]:
    words = [w.lower() for w in _WORD.findall(text[:_EMBED_CHARS])]
    feats = [f"w:{w}" for w in words]
    feats += [f"b:{a}_{b}" for a, b in itertools.pairwise(words)]
    for word in words:
        padded = f"^{word}$"
        feats += [f"c:{padded[i : i + 3]}" for i in range(len(padded) - 2)]
    return feats


def embed_text(text: str) -> list[float]:
    """A deterministic unit vector for `text`: signed feature hashing of words, bigrams, trigrams."""
    vector = [0.0] * EMBEDDING_DIMENSIONS
    for feat in _features(text):
        digest = hashlib.blake2b(feat.encode("utf-8"), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % EMBEDDING_DIMENSIONS
        weight = 0.5 if feat.startswith("c:") else 1.0
        vector[index] += weight if digest[4] & 1 else -weight
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0.0:
        vector[0] = 1.0  # an empty text still needs a valid (unit) vector
        return vector
    return [v / norm for v in vector]


def _normalize_code(code: str) -> str:
    try:
        return ast.dump(ast.parse(code))
    except (SyntaxError, ValueError, RecursionError):
        return " ".join(code.split())


def code_fingerprint(edits: Sequence[Edit]) -> str:
    """A hash of what the edits propose, blind to formatting and comments."""
    h = hashlib.sha256()
    for edit in sorted(edits, key=lambda e: (e.path, e.target, str(e.op))):
        h.update(f"{edit.op}|{edit.kind}|{edit.path}|{edit.target}\n".encode())
        h.update(_normalize_code(edit.code).encode())
    return "code:" + h.hexdigest()[:32]


def diff_fingerprint(diff: str) -> str:
    """A hash of a diff's added and removed lines (whitespace-blind); "" for an empty diff."""
    changed = [
        line[0] + "".join(line[1:].split())
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---")) and line[1:].strip()
    ]
    if not changed:
        return ""
    return "diff:" + hashlib.sha256("\n".join(changed).encode()).hexdigest()[:32]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- the chromadb side -------------------------------------------------------------------------

_embedding_class: type[Any] | None = None


def _hashed_embedding_class() -> type[Any]:
    """The chromadb embedding function class, defined and registered on first use."""
    global _embedding_class
    if _embedding_class is not None:
        return _embedding_class
    from chromadb.api.types import EmbeddingFunction
    from chromadb.utils.embedding_functions import known_embedding_functions, register_embedding_function

    class HashedEmbedding(EmbeddingFunction):  # type: ignore[misc]
        """Offline embedding: `embed_text` over each document."""

        def __init__(self, dimensions: int = EMBEDDING_DIMENSIONS) -> None:
            if dimensions != EMBEDDING_DIMENSIONS:
                raise ValueError(f"HashedEmbedding has {EMBEDDING_DIMENSIONS} dimensions, not {dimensions}")
            self.dimensions = dimensions

        def __call__(self, input: Sequence[str]) -> list[Any]:
            import numpy as np

            return [np.asarray(embed_text(doc), dtype=np.float32) for doc in input]

        @staticmethod
        def name() -> str:
            return EMBEDDING_NAME

        def default_space(self) -> str:
            return "cosine"

        def supported_spaces(self) -> list[str]:
            return ["cosine", "l2", "ip"]

        def get_config(self) -> dict[str, Any]:
            return {"dimensions": self.dimensions}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> HashedEmbedding:
            return HashedEmbedding(int(config.get("dimensions", EMBEDDING_DIMENSIONS)))

    if EMBEDDING_NAME not in known_embedding_functions:
        register_embedding_function(HashedEmbedding)
    _embedding_class = HashedEmbedding
    return HashedEmbedding


def _where(**conditions: str | None) -> dict[str, Any] | None:
    clauses = [{key: value} for key, value in conditions.items() if value is not None]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


_ATTEMPT_FIELDS = tuple(f.name for f in fields(AttemptRecord))


class Memory:
    """The attempt/solution/note store of one workspace (build it with `open_memory`)."""

    def __init__(self, collection: Any, environ: Mapping[str, str] | None = None) -> None:
        self._collection = collection
        self._environ = environ

    # --- writing ---------------------------------------------------------------------------
    def _add(self, kind: str, document: str, metadata: dict[str, str | int | float], key: str = "") -> None:
        clean_meta: dict[str, str | int | float] = {
            k: scrub_secrets(v, self._environ) if isinstance(v, str) else v for k, v in metadata.items()
        }
        clean_meta["kind"] = kind
        record_id = f"{kind}-{key or uuid.uuid4().hex}"
        self._collection.upsert(
            ids=[record_id], documents=[scrub_secrets(document, self._environ)], metadatas=[clean_meta]
        )

    def record_attempt(self, attempt: AttemptRecord) -> None:
        meta: dict[str, str | int | float] = {name: getattr(attempt, name) for name in _ATTEMPT_FIELDS}
        meta["created_at"] = attempt.created_at or _now()
        meta["fingerprint"] = attempt.fingerprint or diff_fingerprint(attempt.diff)
        meta["diff_fingerprint"] = diff_fingerprint(attempt.diff)
        parts = (
            attempt.target,
            attempt.rationale,
            attempt.gate,
            attempt.excerpt,
            attempt.diff[:_EMBED_CHARS],
        )
        document = "\n".join(part for part in parts if part)
        self._add("attempt", document, meta)

    def record_solution(self, task: str, language: str, code: str) -> None:
        key = hashlib.sha256(f"{language}\n{task}".encode()).hexdigest()[:32]
        self._add("solution", task, {"language": language, "code": code, "created_at": _now()}, key=key)

    def record_note(self, text: str, target: str = "") -> None:
        self._add("note", text, {"target": target, "created_at": _now()})

    # --- reading ---------------------------------------------------------------------------
    def _query(
        self, text: str, n: int, where: dict[str, Any] | None
    ) -> list[tuple[str, dict[str, Any], float]]:
        if n <= 0:
            return []
        result = self._collection.query(
            query_texts=[text], n_results=n, where=where, include=["documents", "metadatas", "distances"]
        )
        docs = (result.get("documents") or [[]])[0]
        metas = (result.get("metadatas") or [[]])[0]
        dists = (result.get("distances") or [[]])[0]
        return [
            (doc or "", dict(meta or {}), float(dist))
            for doc, meta, dist in zip(docs, metas, dists, strict=True)
        ]

    def similar_attempts(
        self, text: str, n: int = 4, *, outcome: str | None = None, target: str | None = None
    ) -> list[AttemptRecord]:
        rows = self._query(text, n, _where(kind="attempt", outcome=outcome, target=target))
        return [_attempt_from(meta) for _, meta, _ in rows]

    def similar_solutions(self, text: str, n: int = 3, language: str | None = None) -> list[SolvedTask]:
        rows = self._query(text, n, _where(kind="solution", language=language))
        return [
            SolvedTask(
                task=doc, language=str(meta.get("language", "")), code=str(meta.get("code", "")), distance=d
            )
            for doc, meta, d in rows
        ]

    def search(self, text: str, n: int = 5, kind: str | None = None) -> list[MemoryHit]:
        rows = self._query(text, n, _where(kind=kind))
        return [
            MemoryHit(kind=str(meta.pop("kind", "")), text=doc, metadata=meta, distance=d)
            for doc, meta, d in rows
        ]

    def has_failed(self, fingerprints: Sequence[str]) -> bool:
        """Whether an attempt with any of these fingerprints was recorded and did not pass."""
        wanted = [f for f in fingerprints if f]
        if not wanted:
            return False
        for key in ("fingerprint", "diff_fingerprint"):
            where = {"$and": [{"kind": "attempt"}, {key: {"$in": wanted}}]}
            found = self._collection.get(where=where, include=["metadatas"])
            if any(meta.get("outcome") in ("rejected", "error") for meta in found.get("metadatas") or []):
                return True
        return False

    def failure_counts(self) -> dict[str, int]:
        """How many recorded attempts on each target did not pass (for giving up on a target)."""
        found = self._collection.get(
            where={"$and": [{"kind": "attempt"}, {"outcome": {"$in": ["rejected", "error"]}}]},
            include=["metadatas"],
        )
        counts: dict[str, int] = {}
        for meta in found.get("metadatas") or []:
            target = str(meta.get("target", ""))
            counts[target] = counts.get(target, 0) + 1
        return counts

    def count(self) -> int:
        return int(self._collection.count())


def _attempt_from(meta: Mapping[str, Any]) -> AttemptRecord:
    values: dict[str, Any] = {}
    for name in _ATTEMPT_FIELDS:
        if name in meta:
            values[name] = float(meta[name]) if name == "cost_usd" else str(meta[name])
    values.setdefault("target", "")
    values.setdefault("rationale", "")
    values.setdefault("diff", "")
    values.setdefault("outcome", "")
    return AttemptRecord(**values)


def open_memory(workspace: Workspace, environ: Mapping[str, str] | None = None) -> Memory:
    """The memory of `workspace` (created on first use under `.agent/memory/`)."""
    import chromadb
    from chromadb.config import Settings

    embedding = _hashed_embedding_class()()
    try:
        workspace.memory_dir.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(
            path=str(workspace.memory_dir), settings=Settings(anonymized_telemetry=False)
        )
        collection = client.get_or_create_collection(
            COLLECTION, embedding_function=embedding, metadata={"hnsw:space": "cosine"}
        )
    except (chromadb.errors.ChromaError, OSError, ValueError) as exc:
        raise MemoryUnavailable(
            f"cannot open the memory store at {workspace.memory_dir}: {exc}; "
            "move it away to start a fresh memory"
        ) from exc
    return Memory(collection, environ)
