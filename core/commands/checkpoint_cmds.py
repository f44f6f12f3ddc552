"""Checkpoint commands: log, show, revert, reset."""

from __future__ import annotations

import argparse
import logging
import sys

from core.commands.common import add_json_flag, open_context, print_json

__all__ = ["register"]

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("log", help="checkpoints: n, time, summary, proposer, gates, score delta")
    p.add_argument("-n", "--limit", type=int, default=0, help="show only the newest N")
    add_json_flag(p)
    p.set_defaults(func=cmd_log)

    p = sub.add_parser("show", help="one checkpoint: rationale, diff, gate report, eval scores")
    p.add_argument("number", type=int)
    add_json_flag(p)
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("revert", help="a new, gated checkpoint that undoes checkpoint N")
    p.add_argument("number", type=int)
    p.add_argument(
        "--allow-regression",
        action="store_true",
        help="accept the eval regression that undoing an improvement causes (recorded in the manifest)",
    )
    add_json_flag(p)
    p.set_defaults(func=cmd_revert)

    p = sub.add_parser("reset", help="move the agent branch back to checkpoint N (a backup ref is kept)")
    p.add_argument("number", type=int)
    p.add_argument("--yes", action="store_true", help="confirm: later checkpoints leave the branch")
    add_json_flag(p)
    p.set_defaults(func=cmd_reset)


def cmd_log(args: argparse.Namespace) -> int:
    from core.cycle import agent_branch_of
    from core.gitops import GitRepo
    from core.history import checkpoint_log

    ctx = open_context(args)
    repo = GitRepo(ctx.workspace.root)
    entries = checkpoint_log(repo, agent_branch_of(ctx.config, repo))
    if args.limit:
        entries = entries[: args.limit]
    if args.json:
        print_json(entries)
        return 0
    for e in entries:
        print(f"{e.number:>4}  {e.time[:19].replace('T', ' ')}  {e.summary}")
        print(f"      {e.kind} by {e.proposer}; approved by {e.approved_by}; {e.score}")
        if e.gates and e.gates != "none":
            print(f"      gates: {e.gates}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from core.checkpoints import load_checkpoint
    from core.gitops import GitRepo
    from core.history import checkpoint_diff

    ctx = open_context(args)
    repo = GitRepo(ctx.workspace.root)
    info = load_checkpoint(repo, args.number)
    diff = checkpoint_diff(repo, args.number)
    cp = info.checkpoint
    if args.json:
        print_json({"commit": info.commit, "checkpoint": cp, "diff": diff})
        return 0
    print(f"checkpoint {cp.number} ({info.commit[:10]}) — {cp.summary}")
    model = f" ({cp.proposal.model})" if cp.proposal.model else ""
    print(f"kind {cp.kind}; proposer {cp.proposal.proposer}{model}")
    print(f"approved by {cp.verdict.by}: {cp.verdict.reason}")
    print(f"created {cp.created_at}; parent {cp.parent[:10] or '-'}")
    print("\nrationale:\n  " + cp.proposal.rationale.strip().replace("\n", "\n  "))
    if cp.gates.results:
        print("\ngates:")
        for r in cp.gates.results:
            print(f"  {r.name:<10} {'ok' if r.passed else 'FAIL'} {r.seconds:6.2f}s  {r.summary}")
    print("\nscores:")
    for suite in cp.scores_after.suites:
        before = cp.scores_before.get(suite.name)
        print(f"  {suite.name:<20} {before.score if before else float('nan'):.3f} -> {suite.score:.3f}")
    if diff:
        print("\ndiff:")
        sys.stdout.write(diff)
    return 0


def cmd_revert(args: argparse.Namespace) -> int:
    from core.commands.workspace_cmds import _print_event
    from core.history import revert_checkpoint
    from core.records import Decision, Verdict
    from core.session import make_supervisor

    ctx = open_context(args)
    sink = (lambda e: None) if args.json else _print_event
    with make_supervisor(ctx.workspace, ctx.config, sink=sink) as sup:
        outcome = revert_checkpoint(
            sup,
            args.number,
            lambda review: Verdict(Decision.ACCEPT, f"revert of {args.number} requested", "human"),
            allow_regression=args.allow_regression,
        )
    if args.json:
        print_json(
            {
                "checkpoint": outcome.checkpoint,
                "decision": str(outcome.verdict.decision),
                "reason": outcome.verdict.reason,
            }
        )
    elif outcome.accepted:
        print(f"reverted checkpoint {args.number} as checkpoint {outcome.checkpoint}")
    else:
        print(f"revert rejected: {outcome.verdict.reason}")
    return 0 if outcome.accepted else 1


def cmd_reset(args: argparse.Namespace) -> int:
    from core.history import reset_to
    from core.session import make_supervisor

    if not args.yes:
        print(
            f"`ratchet reset {args.number}` moves the agent branch back; rerun with --yes to confirm",
            file=sys.stderr,
        )
        return 2
    ctx = open_context(args)
    with make_supervisor(ctx.workspace, ctx.config) as sup:
        backup = reset_to(sup, args.number)
    if args.json:
        print_json({"checkpoint": args.number, "backup": backup})
    else:
        print(f"reset to checkpoint {args.number}; the old head is kept as {backup}")
    return 0
