"""Run eval suites and write their scores: `python -m evals.run --suite NAME --out FILE [--trials K]`.

Run with the workspace (or candidate worktree) as the current directory, so `mutable` is the
agent under test. Needs only the standard library, the agent and (for `sympy-math`) sympy, so it
runs inside the sandbox, where core is not importable. Writes `core.records.Scores` JSON and
exits 0 whenever the suites ran, whatever their scores; a crash of the runner exits non-zero.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import logging
import sys
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evals.common import Scores, SuiteResult

__all__ = ["SuiteSpec", "load_suites", "main", "run_suite"]

logger = logging.getLogger(__name__)

SUITES_FILE = Path(__file__).with_name("suites.toml")


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    deterministic: bool
    speed: str
    description: str

    @property
    def module(self) -> str:
        return "evals." + self.name.replace("-", "_")


def load_suites(path: Path = SUITES_FILE) -> tuple[SuiteSpec, ...]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(
        SuiteSpec(
            name=str(s["name"]),
            deterministic=bool(s["deterministic"]),
            speed=str(s.get("speed", "fast")),
            description=str(s.get("description", "")),
        )
        for s in data.get("suite", [])
    )


def run_suite(spec: SuiteSpec, *, trials: int = 1) -> SuiteResult:
    """Import the suite's module and run it; deterministic suites ignore `trials`."""
    module = importlib.import_module(spec.module)
    started = time.perf_counter()
    cases, trial_rates = module.evaluate(trials=max(1, trials))
    return SuiteResult(
        name=spec.name,
        deterministic=spec.deterministic,
        cases=tuple(cases),
        trials=tuple(trial_rates),
        seconds=round(time.perf_counter() - started, 4),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.run", description=__doc__)
    parser.add_argument(
        "--suite", action="append", default=[], help="suite name (repeatable); default: fast ones"
    )
    parser.add_argument("--out", required=True, help="where to write the Scores JSON")
    parser.add_argument("--trials", type=int, default=1, help="repeats of a stochastic suite")
    parser.add_argument("--list", action="store_true", help="list the suites and exit")
    args = parser.parse_args(argv)
    specs = {s.name: s for s in load_suites()}
    if args.list:
        for spec in specs.values():
            print(f"{spec.name}\t{'deterministic' if spec.deterministic else 'stochastic'}\t{spec.speed}")
        return 0
    names = args.suite or [s.name for s in specs.values() if s.speed == "fast"]
    unknown = [n for n in names if n not in specs]
    if unknown:
        print(f"unknown suite(s): {', '.join(unknown)}; known: {', '.join(specs)}", file=sys.stderr)
        return 2
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    scores = Scores(suites=tuple(run_suite(specs[n], trials=args.trials) for n in names))
    Path(args.out).write_text(json.dumps(dataclasses.asdict(scores), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
