"""Running eval suites (`evals/suites.toml` + `python -m evals.run`) in the sandbox."""

from __future__ import annotations

import json
import logging
import sys
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from core.config import Config
from core.errors import RatchetError
from core.records import Scores, from_dict
from core.sandbox.base import Sandbox, SandboxRequest

__all__ = ["EvalRun", "SuiteInfo", "declared_suites", "run_suites", "suites_for_gate"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SuiteInfo:
    name: str
    deterministic: bool
    speed: str
    description: str = ""


@dataclass(frozen=True)
class EvalRun:
    scores: Scores | None
    output: str
    seconds: float


def declared_suites(root: Path) -> tuple[SuiteInfo, ...]:
    path = root / "evals" / "suites.toml"
    if not path.exists():
        return ()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RatchetError(f"{path}: not valid TOML ({exc})") from None
    suites = []
    for index, raw in enumerate(data.get("suite", [])):
        try:
            suites.append(
                SuiteInfo(
                    name=str(raw["name"]),
                    deterministic=bool(raw.get("deterministic", True)),
                    speed=str(raw.get("speed", "fast")),
                    description=str(raw.get("description", "")),
                )
            )
        except KeyError:
            raise RatchetError(f"{path}: suite #{index + 1} has no name") from None
    return tuple(suites)


def suites_for_gate(root: Path, config: Config) -> tuple[str, ...]:
    """The suites every proposal is scored on: configured ones, else every fast declared suite."""
    declared = declared_suites(root)
    if config.evals.every_proposal:
        known = {s.name for s in declared}
        unknown = [n for n in config.evals.every_proposal if n not in known]
        if unknown:
            raise RatchetError(
                f".agent/config.toml: evals.every_proposal names unknown suite(s) {', '.join(unknown)} "
                f"(declared: {', '.join(sorted(known))})"
            )
        return config.evals.every_proposal
    return tuple(s.name for s in declared if s.speed == "fast")


def run_suites(
    root: Path,
    suites: tuple[str, ...],
    *,
    sandbox: Sandbox,
    config: Config,
    scratch: Path,
    trials: int | None = None,
) -> EvalRun:
    """Run `suites` on the tree at `root` inside the sandbox (tree read-only); parse the scores."""
    from core.sandbox import limits_from_config

    out = scratch / "scores.json"
    out.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "evals.run", "--out", str(out)]
    for name in suites:
        argv += ["--suite", name]
    if trials:
        argv += ["--trials", str(trials)]
    limits = replace(limits_from_config(config.sandbox), wall_seconds=config.gates.evals_timeout)
    result = sandbox.run(
        SandboxRequest(
            argv=tuple(argv),
            scratch=scratch,
            cwd=root,
            read_only=(root,),
            env={"PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "LANG": "C.UTF-8"},
            limits=limits,
        )
    )
    if not result.ok or not out.exists():
        return EvalRun(None, result.output or f"evals stopped: {result.stop_reason}", result.wall_seconds)
    try:
        scores = from_dict(Scores, json.loads(out.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, TypeError, ValueError) as exc:
        return EvalRun(None, f"evals wrote unreadable scores: {exc}\n{result.output}", result.wall_seconds)
    return EvalRun(scores, result.output, result.wall_seconds)
