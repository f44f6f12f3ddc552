"""The gate pipeline: boundary → ruff → mypy → pytest → evals → integrity, cheapest first.

`run_gates` is a pure function of (candidate worktree, proposal, context) → `Validation`, with no
hidden state in the process, so candidates can be validated in parallel or elsewhere later.
Every gate is timed and returns a `GateResult` with an output excerpt and file:line locations.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from core.config import Config
from core.events import EventSink, GateFinished, GateStarted, null_sink
from core.policy import Policy
from core.procs import ProcResult, run_process, scrub_env
from core.records import Edit, GateReport, GateResult, Location, Scores
from core.sandbox.base import Sandbox

__all__ = [
    "DEFAULT_GATES",
    "Gate",
    "GateContext",
    "GateOutcome",
    "Validation",
    "excerpt",
    "gates_allowing_regression",
    "run_gates",
]

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 4000


@dataclass(frozen=True)
class GateContext:
    """Everything a gate may look at. `candidate` is the worktree root."""

    candidate: Path
    changed: tuple[str, ...]
    edits: tuple[Edit, ...]
    config: Config
    policy: Policy
    sandbox: Sandbox
    baseline: Scores
    #: git tree id of the candidate right after the edits were applied (for integrity)
    applied_tree: str
    #: sealed digests of protected/ at the base checkpoint
    sealed: dict[str, str]
    cache_dir: Path
    scratch: Path


@dataclass(frozen=True)
class GateOutcome:
    result: GateResult
    scores: Scores | None = None


class Gate(Protocol):
    name: str

    def run(self, ctx: GateContext) -> GateOutcome: ...


@dataclass(frozen=True)
class Validation:
    report: GateReport
    scores: Scores | None = None
    comparison_summary: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[: limit // 2]
    tail = text[-limit // 2 :]
    return f"{head}\n... [{len(text) - limit} characters cut] ...\n{tail}"


def _locations(pattern: re.Pattern[str], text: str, root: Path) -> tuple[Location, ...]:
    found = []
    for m in pattern.finditer(text):
        path = m.group("path")
        if path.startswith(str(root)):
            path = str(Path(path).relative_to(root))
        found.append(Location(path=path, line=int(m.group("line")), message=m.group("msg").strip()))
    return tuple(found[:50])


def _timed(name: str, body: Callable[[], GateOutcome]) -> GateOutcome:
    started = time.perf_counter()
    outcome = body()
    return replace(outcome, result=replace(outcome.result, name=name, seconds=time.perf_counter() - started))


def _tool_result(name: str, proc: ProcResult, locs: tuple[Location, ...], ok_summary: str) -> GateResult:
    if proc.timed_out:
        return GateResult(name, False, proc.seconds, f"{name} timed out", excerpt(proc.output), locs)
    passed = proc.returncode == 0
    summary = ok_summary if passed else f"{len(locs)} problem(s)" if locs else f"{name} failed"
    return GateResult(name, passed, proc.seconds, summary, excerpt(proc.output), locs)


# --- the gates -------------------------------------------------------------------------------


class BoundaryGate:
    """Changed paths and forbidden constructs (libcst), on the tree as the edits left it."""

    name = "boundary"

    def run(self, ctx: GateContext) -> GateOutcome:
        from core.boundary import check_changed_files

        return GateOutcome(check_changed_files(ctx.candidate, ctx.changed, ctx.policy.boundary))


_RUFF_LOC = re.compile(r"^(?P<path>[^\s:]+\.py):(?P<line>\d+):\d+: (?P<msg>.+)$", re.M)
_RUFF_FMT = re.compile(r"^Would reformat: (?P<path>\S+\.py)(?P<line>)(?P<msg>)$", re.M)


class RuffGate:
    name = "ruff"

    def run(self, ctx: GateContext) -> GateOutcome:
        files = [p for p in ctx.changed if p.endswith(".py") and (ctx.candidate / p).exists()]
        if not files:
            return GateOutcome(GateResult(self.name, True, 0.0, "no Python files changed"))
        timeout = ctx.config.gates.ruff_timeout
        ruff = (sys.executable, "-m", "ruff")
        check = run_process(
            (*ruff, "check", "--no-cache", "--output-format=concise", *files),
            cwd=ctx.candidate,
            timeout=timeout,
        )
        if not check.ok:
            return GateOutcome(
                _tool_result(self.name, check, _locations(_RUFF_LOC, check.stdout, ctx.candidate), "")
            )
        fmt = run_process(
            (*ruff, "format", "--no-cache", "--check", *files), cwd=ctx.candidate, timeout=timeout
        )
        locs = tuple(
            Location(m.group("path"), 1, "not formatted (run `ruff format`)")
            for m in _RUFF_FMT.finditer(fmt.output)
        )
        return GateOutcome(_tool_result(self.name, fmt, locs, f"{len(files)} file(s) clean"))


_MYPY_LOC = re.compile(r"^(?P<path>[^\s:]+\.py):(?P<line>\d+): error: (?P<msg>.+)$", re.M)


class MypyGate:
    name = "mypy"

    def run(self, ctx: GateContext) -> GateOutcome:
        cache = ctx.cache_dir / "mypy"
        proc = run_process(
            (
                sys.executable,
                "-m",
                "mypy",
                "--strict",
                "--cache-dir",
                str(cache),
                "--no-color-output",
                "mutable",
            ),
            cwd=ctx.candidate,
            timeout=ctx.config.gates.mypy_timeout,
            env=scrub_env(extra={"MYPY_FORCE_COLOR": "0"}),
        )
        locs = _locations(_MYPY_LOC, proc.stdout, ctx.candidate)
        return GateOutcome(_tool_result(self.name, proc, locs, "strict clean"))


_PYTEST_LOC = re.compile(r"^(?P<path>[^\s:]+\.py):(?P<line>\d+): (?P<msg>.+)$", re.M)
_PYTEST_FAILED = re.compile(r"^FAILED (?P<path>[^\s:]+\.py)::(?P<test>\S+)(?: - (?P<msg>.*))?$", re.M)


def _sandbox_env() -> dict[str, str]:
    return {
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTHONHASHSEED": "0",
        "LANG": "C.UTF-8",
    }


class PytestGate:
    """The agent's own test suite (`tests/agent`), in the sandbox, candidate mounted read-only.

    With `select` (the default) only the test files that import a changed module (transitively)
    run; a change no test reaches runs the whole suite, never zero tests.
    """

    name = "pytest"

    def __init__(self, *, select: bool = True) -> None:
        self.select = select

    def run(self, ctx: GateContext) -> GateOutcome:
        from core.sandbox import limits_from_config
        from core.sandbox.base import SandboxRequest
        from core.testselect import select_tests

        targets = (select_tests(ctx.candidate, ctx.changed) if self.select else ()) or ("tests/agent",)
        limits = limits_from_config(ctx.config.sandbox)
        limits = replace(limits, wall_seconds=ctx.config.gates.pytest_timeout)
        argv = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=short", "-rf", *targets)
        result = ctx.sandbox.run(
            SandboxRequest(
                argv=argv,
                scratch=ctx.scratch,
                cwd=ctx.candidate,
                read_only=(ctx.candidate,),
                env=_sandbox_env(),
                limits=limits,
            )
        )
        text = result.output
        locs = tuple(
            Location(m.group("path"), 0, f"{m.group('test')} failed: {m.group('msg') or ''}".strip())
            for m in _PYTEST_FAILED.finditer(text)
        ) + _locations(_PYTEST_LOC, text, ctx.candidate)
        passed = result.ok
        last = text.strip().splitlines()[-1] if text.strip() else ""
        if result.stop_reason != "exit":
            summary = f"stopped: {result.stop_reason}"
        elif passed:
            summary = last
        else:
            summary = last or f"pytest exited {result.exit_code}"
        return GateOutcome(GateResult(self.name, passed, result.wall_seconds, summary, excerpt(text), locs))


class EvalGate:
    """Run the configured suites in the sandbox and compare with the baseline, noise-aware.

    `allow_regression` is a human's explicit override (e.g. `ratchet revert --allow-regression`):
    the suites still run and the regressions are recorded, but they do not fail the gate.
    With `select` (the default) a deterministic suite whose imports cannot reach any changed
    module keeps its baseline result instead of running again: its cases cannot have changed.
    """

    name = "evals"

    def __init__(self, *, allow_regression: bool = False, select: bool = True) -> None:
        self.allow_regression = allow_regression
        self.select = select

    def _to_run(self, ctx: GateContext, suites: tuple[str, ...]) -> tuple[str, ...]:
        from core.testselect import select_suites

        if not self.select:
            return suites
        affected = select_suites(ctx.candidate, suites, ctx.changed)
        if affected is None:
            return suites
        reusable = {s.name for s in ctx.baseline.suites if s.deterministic}
        return tuple(name for name in suites if name in affected or name not in reusable)

    def run(self, ctx: GateContext) -> GateOutcome:
        from core.evalcompare import compare_scores
        from core.evalrun import run_suites, suites_for_gate

        suites = suites_for_gate(ctx.candidate, ctx.config)
        if not suites:
            return GateOutcome(GateResult(self.name, True, 0.0, "no eval suites declared"))
        to_run = self._to_run(ctx, suites)
        fresh = Scores()
        output = ""
        if to_run:
            run = run_suites(
                ctx.candidate, to_run, sandbox=ctx.sandbox, config=ctx.config, scratch=ctx.scratch
            )
            if run.scores is None:
                return GateOutcome(GateResult(self.name, False, 0.0, "eval run crashed", excerpt(run.output)))
            fresh, output = run.scores, run.output
        kept = tuple(s for n in suites if n not in to_run and (s := ctx.baseline.get(n)) is not None)
        merged = {s.name: s for s in (*fresh.suites, *kept)}
        scores = Scores(suites=tuple(merged[name] for name in suites if name in merged))
        if kept:
            names = ", ".join(s.name for s in kept)
            output = f"{output}\nunaffected by the change, baseline kept: {names}".strip()
        comparison = compare_scores(ctx.baseline, scores, ctx.policy.evals)
        locs = tuple(
            Location(f"evals/{c.suite}", 0, f"case {c.case_id} newly fails") for c in comparison.regressions
        )
        passed, summary = comparison.passed, comparison.summary()
        if not passed and self.allow_regression:
            passed, summary = True, f"{summary} [regression accepted by a human override]"
        return GateOutcome(GateResult(self.name, passed, 0.0, summary, excerpt(output), locs), scores=scores)


class IntegrityGate:
    """After agent code ran: protected/ still sealed, nothing changed since the edits were applied."""

    name = "integrity"

    def run(self, ctx: GateContext) -> GateOutcome:
        from core.gitops import GitRepo
        from core.seal import hash_protected

        problems: list[Location] = []
        actual = hash_protected(ctx.candidate / "protected")
        for rel in sorted(set(actual) | set(ctx.sealed)):
            if actual.get(rel) != ctx.sealed.get(rel):
                problems.append(Location(f"protected/{rel}", 0, "differs from the sealed manifest"))
        repo = GitRepo(ctx.candidate)
        ignored = [e.path for e in repo.status(ignored=True) if e.code == "!!"]
        tree = repo.write_tree()
        if tree != ctx.applied_tree:
            for rel in repo.diff_names(ctx.applied_tree, tree):
                problems.append(Location(rel, 0, "changed while agent code ran"))
        for rel in ignored:
            problems.append(Location(rel, 0, "created while agent code ran (ignored by git)"))
        passed = not problems
        summary = "protected/ sealed, tree unchanged" if passed else f"{len(problems)} unexpected change(s)"
        output = "\n".join(str(p) for p in problems)
        return GateOutcome(GateResult(self.name, passed, 0.0, summary, output, tuple(problems)))


DEFAULT_GATES: tuple[Gate, ...] = (
    BoundaryGate(),
    RuffGate(),
    MypyGate(),
    PytestGate(),
    EvalGate(),
    IntegrityGate(),
)


def gates_allowing_regression(gates: Sequence[Gate] = DEFAULT_GATES) -> tuple[Gate, ...]:
    """The same pipeline with the eval gate's human override on."""
    return tuple(EvalGate(allow_regression=True) if isinstance(g, EvalGate) else g for g in gates)


def run_gates(
    ctx: GateContext,
    gates: Sequence[Gate] = DEFAULT_GATES,
    sink: EventSink = null_sink,
    cancelled: Callable[[], bool] = lambda: False,
) -> Validation:
    """Run `gates` in order, stopping at the first failure (or when `cancelled()` turns true)."""
    report = GateReport()
    scores: Scores | None = None
    for index, gate in enumerate(gates):
        if cancelled():
            report = report.with_result(
                GateResult(gate.name, False, 0.0, "aborted before it ran", skipped=True)
            )
            break
        sink(GateStarted(gate.name, index, len(gates)))
        outcome = _timed(gate.name, lambda gate=gate: gate.run(ctx))  # type: ignore[misc]
        report = report.with_result(outcome.result)
        sink(GateFinished(outcome.result))
        if outcome.scores is not None:
            scores = outcome.scores
        if not outcome.result.passed:
            break
    return Validation(report=report, scores=scores)
