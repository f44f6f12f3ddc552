"""The records the loop passes around: proposals, edits, gate results, verdicts, checkpoints.

All are frozen dataclasses with a JSON round-trip (`to_json` / `from_json`) so they can be
journaled, written into checkpoint manifests and read back by `ratchet show`.
"""

from __future__ import annotations

import enum
import json
import logging
import types
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, TypeVar

__all__ = [
    "CaseResult",
    "Checkpoint",
    "Decision",
    "Edit",
    "EditKind",
    "EditOp",
    "GateReport",
    "GateResult",
    "Location",
    "Proposal",
    "Scores",
    "SuiteResult",
    "Usage",
    "Verdict",
    "from_dict",
    "from_json",
    "to_dict",
    "to_json",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class EditOp(enum.StrEnum):
    REPLACE = "replace"
    ADD = "add"
    REMOVE = "remove"


class EditKind(enum.StrEnum):
    FUNCTION = "function"
    METHOD = "method"
    CLASS = "class"
    ASSIGNMENT = "assignment"
    IMPORT = "import"


@dataclass(frozen=True)
class Edit:
    """One symbol-level change to one module under `mutable/`.

    `path` is the module's path relative to the workspace root (`mutable/lang.py`).
    `target` is the qualified name of the symbol: `detect_language`, `Registry.lookup`,
    `Outer.Inner`; for an ADD it is the name the new symbol will have (its parent is the
    prefix, e.g. `Registry.new_method` adds a method to `Registry`). For imports the target is
    the bound name (`OrderedDict`, `os.path`) and `code` the import statement.
    `code` is the full new source of the symbol (empty for REMOVE).
    """

    op: EditOp
    kind: EditKind
    path: str
    target: str
    code: str = ""

    def describe(self) -> str:
        return f"{self.op} {self.kind} {self.path}:{self.target}"


@dataclass(frozen=True)
class Usage:
    """What producing a proposal cost."""

    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            calls=self.calls + other.calls,
            tokens_in=self.tokens_in + other.tokens_in,
            tokens_out=self.tokens_out + other.tokens_out,
            cost_usd=self.cost_usd + other.cost_usd,
        )


@dataclass(frozen=True)
class Proposal:
    """A rationale plus symbol-level edits, as produced by a Proposer."""

    rationale: str
    target: str
    edits: tuple[Edit, ...]
    proposer: str = "scripted"
    model: str = ""
    usage: Usage = field(default_factory=Usage)
    title: str = ""

    @property
    def summary(self) -> str:
        if self.title:
            return self.title
        first = self.rationale.strip().splitlines()[0] if self.rationale.strip() else ""
        return first[:72] or self.target


@dataclass(frozen=True)
class Location:
    """A place a gate points at: `mutable/lang.py:12: message`."""

    path: str
    line: int
    message: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}".rstrip(": ")


@dataclass(frozen=True)
class GateResult:
    name: str
    passed: bool
    seconds: float
    summary: str = ""
    output: str = ""
    locations: tuple[Location, ...] = ()
    skipped: bool = False


@dataclass(frozen=True)
class GateReport:
    results: tuple[GateResult, ...] = ()

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def failed(self) -> GateResult | None:
        return next((r for r in self.results if not r.passed), None)

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.results)

    def with_result(self, result: GateResult) -> GateReport:
        return GateReport(results=(*self.results, result))


@dataclass(frozen=True)
class CaseResult:
    case_id: str
    passed: bool
    score: float = 0.0
    detail: str = ""


@dataclass(frozen=True)
class SuiteResult:
    """Scores of one eval suite; a stochastic suite carries one pass rate per trial."""

    name: str
    deterministic: bool
    cases: tuple[CaseResult, ...] = ()
    trials: tuple[float, ...] = ()
    seconds: float = 0.0

    @property
    def score(self) -> float:
        if not self.cases:
            return 0.0
        return sum(c.score for c in self.cases) / len(self.cases)

    @property
    def passed_ids(self) -> frozenset[str]:
        return frozenset(c.case_id for c in self.cases if c.passed)


@dataclass(frozen=True)
class Scores:
    suites: tuple[SuiteResult, ...] = ()

    def get(self, name: str) -> SuiteResult | None:
        return next((s for s in self.suites if s.name == name), None)

    def summary(self) -> dict[str, float]:
        return {s.name: round(s.score, 4) for s in self.suites}


class Decision(enum.StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    NEEDS_APPROVAL = "needs_approval"
    SKIP = "skip"


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str = ""
    by: str = "policy"


@dataclass(frozen=True)
class Checkpoint:
    """The manifest of one accepted change, stored as `checkpoints/NNNN.json`."""

    number: int
    parent: str
    created_at: str
    proposal: Proposal
    gates: GateReport
    scores_before: Scores
    scores_after: Scores
    verdict: Verdict
    kind: str = "proposal"  # "init" | "proposal" | "revert" | "seal" | "human"
    reverts: int | None = None

    @property
    def summary(self) -> str:
        return self.proposal.summary


# --- JSON round-trip -----------------------------------------------------------------------


def to_dict(obj: Any) -> Any:
    """Plain JSON-able data for a record (recursively)."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (tuple, list)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_dict(v) for k, v in obj.items()}
    return obj


def to_json(obj: Any, *, indent: int | None = 2) -> str:
    return json.dumps(to_dict(obj), indent=indent, sort_keys=False, ensure_ascii=False)


def _convert(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value)
            except (TypeError, ValueError, KeyError):
                continue
        raise ValueError(f"{value!r} does not fit {tp}")
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v) for v in value)
        return tuple(_convert(a, v) for a, v in zip(args, value, strict=True))
    if origin is dict:
        key_t, val_t = typing.get_args(tp)
        return {_convert(key_t, k): _convert(val_t, v) for k, v in value.items()}
    if origin is frozenset:
        (arg,) = typing.get_args(tp)
        return frozenset(_convert(arg, v) for v in value)
    if isinstance(tp, type) and is_dataclass(tp):
        return from_dict(tp, value)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(tp, type) and not isinstance(value, tp):
        raise TypeError(f"expected {tp.__name__}, got {type(value).__name__}: {value!r}")
    return value


def from_dict(cls: type[T], data: Any) -> T:
    """Build a record of type `cls` from `to_dict` output; unknown keys are an error."""
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown field(s) {', '.join(sorted(unknown))}")
    kwargs = {name: _convert(hints[name], value) for name, value in data.items()}
    return cls(**kwargs)


def from_json(cls: type[T], text: str) -> T:
    return from_dict(cls, json.loads(text))
