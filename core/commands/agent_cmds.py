"""`ratchet solve` (use the agent on one task) and `ratchet eval` (score it, compare checkpoints)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.commands.common import Context, add_json_flag, open_context, print_json
from core.errors import RatchetError
from core.records import Scores, SuiteResult

__all__ = ["cmd_eval", "cmd_solve", "register"]

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("solve", help="solve one coding task with the agent: code, run output, attempts")
    p.add_argument("task", help='what to do, e.g. "Write a Rust function for Fibonacci" ("-" reads stdin)')
    p.add_argument("--lang", help="target language (default: detected from the task, else python)")
    p.add_argument("--tests", type=Path, help="a file of tests in the target language, appended to the code")
    p.add_argument(
        "--example",
        nargs=2,
        action="append",
        default=[],
        metavar=("STDIN", "EXPECTED"),
        help="an input/expected-output pair the program must satisfy (repeatable)",
    )
    p.add_argument("--attempts", type=int, default=3, help="tries before giving up (default 3)")
    p.add_argument("--no-memory", action="store_true", help="do not recall or store solved tasks")
    add_json_flag(p)
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("eval", help="run eval suites on the agent (default: the fast ones)")
    p.add_argument("suites", nargs="*", metavar="SUITE", help="suites to run (see evals/suites.toml)")
    p.add_argument("--trials", type=int, default=0, help="repeats of a stochastic suite (default: config)")
    p.add_argument("--limit", type=int, default=0, help="HumanEval: only the first N problems")
    p.add_argument(
        "--compare",
        nargs=2,
        type=int,
        metavar=("A", "B"),
        help="show per-case differences between the scores of checkpoints A and B (runs nothing)",
    )
    add_json_flag(p)
    p.set_defaults(func=cmd_eval)


# --- solve -------------------------------------------------------------------------------------


def cmd_solve(args: argparse.Namespace) -> int:
    from core.agent_host import AgentHost

    ctx = open_context(args)
    text = sys.stdin.read() if args.task == "-" else args.task
    if not text.strip():
        raise RatchetError("the task is empty; pass it as an argument or on stdin with `ratchet solve -`")
    tests = ""
    if args.tests is not None:
        try:
            tests = args.tests.read_text(encoding="utf-8")
        except OSError as exc:
            raise RatchetError(f"cannot read --tests {args.tests}: {exc.strerror}") from None
    examples = [
        (stdin.replace("\\n", "\n"), expected.replace("\\n", "\n")) for stdin, expected in args.example
    ]
    with AgentHost(ctx.workspace, ctx.config, use_memory=not args.no_memory) as host:
        report = host.solve(
            text, language=args.lang, tests=tests, examples=examples, max_attempts=max(1, args.attempts)
        )
    if args.json:
        print_json(report)
        return 0 if report.passed else 1
    _print_report(report)
    return 0 if report.passed else 1


def _print_report(report: Any) -> None:
    verdict = "solved" if report.passed else "not solved"
    tries = len(report.attempts)
    calls = f", {report.usage.calls} LLM call(s)" if report.usage.calls else ""
    print(
        f"{verdict}: {report.language} · {report.intent} · {tries} attempt(s) · {report.seconds:.1f}s{calls}"
    )
    if report.answer:
        print(f"\nanswer: {report.answer}")
    if report.code:
        print("\n--- code " + "-" * 60)
        print(report.code.rstrip())
    if report.output:
        print("\n--- output " + "-" * 58)
        print(report.output.rstrip())
    if report.attempts:
        print("\n--- attempts " + "-" * 56)
        for attempt in report.attempts:
            status = "ok  " if attempt.passed else "FAIL"
            where = f"{attempt.step} exit {attempt.exit_code}" if attempt.step else "no run"
            first = next((line for line in attempt.output.splitlines() if line.strip()), "")
            detail = "" if attempt.passed else f"  {first[:80]}"
            print(f" {attempt.number}  {status}  {where:<16}{attempt.seconds:6.1f}s{detail}")
    if report.note:
        print(f"\nnote: {report.note}")


# --- eval --------------------------------------------------------------------------------------


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    """A rich progress bar on stderr (nothing when printing JSON or not on a terminal)."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        yield progress


def _fast_suite(ctx: Context, name: str, trials: int) -> SuiteResult:
    from core.evalrun import run_suites
    from core.sandbox import get_sandbox

    scratch = ctx.workspace.scratch_dir / "eval"
    scratch.mkdir(parents=True, exist_ok=True)
    run = run_suites(
        ctx.workspace.root,
        (name,),
        sandbox=get_sandbox(ctx.config.sandbox),
        config=ctx.config,
        scratch=scratch,
        trials=trials or None,
    )
    if run.scores is None or run.scores.get(name) is None:
        raise RatchetError(f"eval suite {name} did not run:\n{run.output[-1500:]}")
    suite = run.scores.get(name)
    assert suite is not None
    return suite


def _baseline(ctx: Context) -> tuple[int, Scores] | None:
    from core.checkpoints import list_checkpoints, load_checkpoint
    from core.gitops import GitRepo

    try:
        repo = GitRepo(ctx.workspace.root)
        numbers = list_checkpoints(repo)
        if not numbers:
            return None
        info = load_checkpoint(repo, numbers[-1])
    except RatchetError as exc:
        logger.debug("no baseline: %s", exc)
        return None
    return info.number, info.checkpoint.scores_after


def cmd_eval(args: argparse.Namespace) -> int:
    ctx = open_context(args)
    if args.compare:
        return _compare(ctx, args.compare[0], args.compare[1], as_json=args.json)
    from core.evalrun import declared_suites
    from core.humaneval import SPLITS, evaluate_suite

    declared = {s.name: s for s in declared_suites(ctx.workspace.root)}
    names: Sequence[str] = args.suites or [n for n, s in declared.items() if s.speed == "fast"]
    unknown = [n for n in names if n not in declared]
    if unknown:
        raise RatchetError(
            f"unknown suite(s) {', '.join(unknown)}; evals/suites.toml declares: {', '.join(declared)}"
        )
    trials = args.trials or ctx.config.evals.trials
    results: list[SuiteResult] = []
    with _progress(not args.json) as progress:
        for name in names:
            if name in SPLITS:
                task = progress.add_task(name, total=None) if progress else None

                def advance(done: int, total: int, label: str, task: Any = task, name: str = name) -> None:
                    if progress is not None:
                        progress.update(task, completed=done, total=total, description=f"{name} {label}")

                suite = evaluate_suite(
                    name,
                    ctx.workspace.root,
                    ctx.config,
                    trials=trials,
                    limit=args.limit or None,
                    progress=advance,
                )
            else:
                task = progress.add_task(f"{name} (sandbox)", total=1) if progress else None
                suite = _fast_suite(ctx, name, 0 if declared[name].deterministic else trials)
                if progress is not None:
                    progress.update(task, completed=1)
            results.append(suite)
    scores = Scores(suites=tuple(results))
    if args.json:
        print_json(scores)
        return 0
    baseline = _baseline(ctx)
    _print_scores(scores, baseline)
    return 0


def _print_scores(scores: Scores, baseline: tuple[int, Scores] | None) -> None:
    header = f"{'suite':<20} {'score':>7} {'passed':>9} {'seconds':>8}"
    if baseline:
        header += f"  vs checkpoint {baseline[0]}"
    print(header)
    for suite in scores.suites:
        passed = sum(c.passed for c in suite.cases)
        line = f"{suite.name:<20} {suite.score:7.3f} {passed:>4}/{len(suite.cases):<4} {suite.seconds:8.2f}"
        old = baseline[1].get(suite.name) if baseline else None
        if old is not None:
            lost = sorted(old.passed_ids - suite.passed_ids)
            gained = sorted(suite.passed_ids - old.passed_ids)
            line += f"  {suite.score - old.score:+.3f} (+{len(gained)} -{len(lost)})"
            if lost and suite.deterministic:
                line += f"  newly failing: {', '.join(lost[:5])}{' ...' if len(lost) > 5 else ''}"
        if suite.trials:
            line += f"  trials: {', '.join(f'{t:.2f}' for t in suite.trials)}"
        print(line)


def _compare(ctx: Context, a: int, b: int, *, as_json: bool) -> int:
    from core.checkpoints import load_checkpoint
    from core.evalcompare import compare_scores
    from core.gitops import GitRepo
    from core.policy import load_policy

    repo = GitRepo(ctx.workspace.root)
    first, second = load_checkpoint(repo, a), load_checkpoint(repo, b)
    policy = load_policy(ctx.workspace.policy_path)
    comparison = compare_scores(first.checkpoint.scores_after, second.checkpoint.scores_after, policy.evals)
    if as_json:
        print_json(comparison)
        return 0
    print(f"checkpoint {a} -> {b}: {'no regression' if comparison.passed else 'REGRESSION'}")
    for suite in comparison.suites:
        print(f"\n{suite.summary()}  {'ok' if suite.passed else 'FAIL'}: {suite.note}")
        for change in suite.regressions:
            print(f"  - {change.case_id}  pass -> fail")
        for change in suite.improvements:
            print(f"  + {change.case_id}  fail -> pass")
    return 0
