"""`protected/policy.toml`: what a proposal may contain, when it needs a human, eval thresholds.

The policy lives in `protected/`, so the agent can read it but never change it.
"""

from __future__ import annotations

import logging
import tomllib
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from core.errors import RatchetError

__all__ = ["ApprovalRules", "BoundaryRules", "EvalThresholds", "Policy", "PolicyError", "load_policy"]

logger = logging.getLogger(__name__)


class PolicyError(RatchetError, ValueError):
    """protected/policy.toml is malformed; the message names the key."""


@dataclass(frozen=True)
class BoundaryRules:
    #: modules a file under mutable/ may not import (a prefix match: "os" forbids "os.path" too)
    forbidden_imports: tuple[str, ...] = (
        "subprocess",
        "socket",
        "ctypes",
        "multiprocessing",
        "shutil",
        "importlib",
        "litellm",
        "docker",
        "requests",
        "urllib",
        "http",
        "core",
    )
    #: call targets a file under mutable/ may not use (dotted names as written or bare builtins)
    forbidden_calls: tuple[str, ...] = (
        "eval",
        "exec",
        "compile",
        "__import__",
        "open",
        "os.system",
        "os.popen",
        "os.remove",
        "os.unlink",
        "os.rmdir",
        "os.rename",
        "os.replace",
        "os.fork",
        "os.kill",
        "os.chmod",
        "os.symlink",
        "os.execv",
        "os.execve",
        "os.spawnv",
        "setattr",
        "globals",
    )
    max_file_bytes: int = 200_000
    max_files_changed: int = 12
    max_edits: int = 20


@dataclass(frozen=True)
class EvalThresholds:
    #: stochastic suites: reject when the candidate's lower bound falls below baseline by more
    tolerance: float = 0.02
    #: confidence level for the stochastic lower bound
    confidence: float = 0.95


@dataclass(frozen=True)
class ApprovalRules:
    #: a change touching one of these paths (glob) needs a human
    paths: tuple[str, ...] = ("mutable/prompts.py",)
    #: diffs larger than this many changed lines need a human
    max_diff_lines: int = 120
    #: an overall score change smaller than this (but not a regression) needs a human
    min_score_delta: float = 0.0


@dataclass(frozen=True)
class Policy:
    boundary: BoundaryRules = field(default_factory=BoundaryRules)
    evals: EvalThresholds = field(default_factory=EvalThresholds)
    approval: ApprovalRules = field(default_factory=ApprovalRules)


def _section(cls: type[Any], name: str, data: dict[str, Any], source: Path) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in hints:
            raise PolicyError(f"{source}: unknown key {name}.{key}")
        tp = hints[key]
        if typing.get_origin(tp) is tuple:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise PolicyError(f"{source}: {name}.{key} must be a list of strings")
            value = tuple(value)
        elif tp is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif not isinstance(value, tp) or isinstance(value, bool) != (tp is bool):
            raise PolicyError(f"{source}: {name}.{key} must be {tp.__name__}, got {value!r}")
        kwargs[key] = value
    return cls(**kwargs)


def load_policy(path: Path) -> Policy:
    """Parse policy.toml; a missing file is an error (the seal requires it)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError(f"{path} is missing; restore it from git (`git checkout -- {path.name}`)") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid TOML ({exc})") from None
    sections = {f.name: f.type for f in fields(Policy)}
    unknown = set(data) - set(sections)
    if unknown:
        raise PolicyError(f"{path}: unknown section(s) {', '.join(sorted(unknown))}")
    hints = typing.get_type_hints(Policy)
    return Policy(**{name: _section(hints[name], name, data.get(name, {}), path) for name in sections})
