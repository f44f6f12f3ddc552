"""Workspace commands: init, status, propose, verify, seal."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import asdict
from pathlib import Path

from core.commands.common import add_json_flag, open_context, print_json
from core.events import Event, GateFinished, GateStarted, LogLine

__all__ = ["register"]

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("init", help="create a new workspace from the seed agent (checkpoint 0)")
    p.add_argument("dir", help="the new workspace directory (must not exist or be empty)")
    add_json_flag(p)
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("status", help="branch, last checkpoint, seal, pending journal, baseline scores")
    add_json_flag(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("propose", help="validate one proposal and commit it as a checkpoint or reject it")
    p.add_argument("--from-file", required=True, type=Path, help="a TOML/JSON proposal file or a directory")
    p.add_argument("--yes", action="store_true", help="accept what passes every gate, even if policy asks")
    add_json_flag(p)
    p.set_defaults(func=cmd_propose)

    p = sub.add_parser("verify", help="check the seal, the audit chain and every checkpoint commit")
    add_json_flag(p)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("recover", help="finish or roll back an interrupted candidate, remove stale worktrees")
    add_json_flag(p)
    p.set_defaults(func=cmd_recover)

    p = sub.add_parser("seal", help="re-seal protected/ after a deliberate, reviewed human edit")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_json_flag(p)
    p.set_defaults(func=cmd_seal)


def cmd_init(args: argparse.Namespace) -> int:
    from core.init import init_workspace

    result = init_workspace(Path(args.dir))
    if args.json:
        print_json(
            {
                "workspace": str(result.workspace.root),
                "commit": result.commit,
                "scores": result.scores.summary(),
            }
        )
    else:
        print(f"created workspace {result.workspace.root} at checkpoint 0 ({result.commit[:10]})")
        for name, score in result.scores.summary().items():
            print(f"  baseline {name}: {score:.3f}")
        print(f"next: cd {result.workspace.root} && ratchet status")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from core.status import workspace_status

    ctx = open_context(args)
    status = workspace_status(ctx.workspace, ctx.config)
    if args.json:
        print_json(status)
        return 0
    print(f"workspace   {ctx.workspace.root}")
    print(f"branch      {status.agent_branch} (checked out: {status.current_branch or 'detached'})")
    print(f"checkpoint  {status.last_checkpoint} — {status.last_summary}")
    print(f"seal        {'OK' if status.seal_ok else 'BROKEN: ' + status.seal_detail}")
    print(f"journal     {status.journal or 'clean'}")
    print(f"lock        {status.lock or 'free'}")
    print(f"sandbox     {status.sandbox}")
    print(f"daemon      {status.daemon or 'not running'}")
    print(f"inbox       {status.inbox} item(s)")
    for name, score in status.baseline.items():
        print(f"baseline    {name}: {score:.3f}")
    return 0 if status.seal_ok else 4


def _print_event(event: Event) -> None:
    if isinstance(event, GateStarted):
        print(f"  {event.name:<10}", end="", flush=True)
    elif isinstance(event, GateFinished):
        r = event.result
        print(f" {'ok  ' if r.passed else 'FAIL'} {r.seconds:6.2f}s  {r.summary}", flush=True)
        if not r.passed:
            for loc in r.locations[:10]:
                print(f"      {loc}")
    elif isinstance(event, LogLine):
        print(f"  {event.message}", file=sys.stderr)


def cmd_propose(args: argparse.Namespace) -> int:
    from core.decide import policy_decider
    from core.inbox import put_item
    from core.proposers.scripted import load_proposals
    from core.records import Decision, Verdict, to_dict
    from core.session import make_supervisor

    ctx = open_context(args)
    proposals = load_proposals(args.from_file)
    results = []
    code = 0
    sink = (lambda e: None) if args.json else _print_event
    with make_supervisor(ctx.workspace, ctx.config, sink=sink) as sup:
        policy = sup.policy
        for proposal in proposals:
            if not args.json:
                print(f"proposal: {proposal.summary}")
            if args.yes:
                decide = lambda review: Verdict(Decision.ACCEPT, "accepted at the command line", "human")  # noqa: E731
            else:
                decide = policy_decider(policy.approval)
            outcome = sup.submit(proposal, decide)
            if outcome.verdict.decision is Decision.NEEDS_APPROVAL and outcome.report is not None:
                item = put_item(ctx.workspace, proposal, outcome.diff, outcome.report, outcome.verdict.reason)
                if not args.json:
                    print(f"  needs approval ({outcome.verdict.reason}): queued as inbox item {item.id}")
            elif not args.json:
                if outcome.accepted:
                    print(f"  accepted: checkpoint {outcome.checkpoint}")
                else:
                    print(f"  rejected: {outcome.verdict.reason}")
            if not outcome.accepted:
                code = 1
            results.append(
                {
                    "summary": proposal.summary,
                    "decision": str(outcome.verdict.decision),
                    "reason": outcome.verdict.reason,
                    "checkpoint": outcome.checkpoint,
                    "gates": to_dict(outcome.report) if outcome.report else None,
                }
            )
    if args.json:
        print_json(results)
    return code


def cmd_verify(args: argparse.Namespace) -> int:
    from core.cycle import agent_branch_of
    from core.gitops import GitRepo
    from core.verify import verify_workspace

    ctx = open_context(args)
    report = verify_workspace(ctx.workspace, agent_branch_of(ctx.config, GitRepo(ctx.workspace.root)))
    if args.json:
        print_json({**asdict(report), "ok": report.ok})
    else:
        print(f"seal         {'OK' if report.seal_ok else 'FAILED'}")
        print(f"audit chain  {'OK' if report.audit_ok else 'FAILED'} ({report.audit_entries} entries)")
        print(f"checkpoints  {'OK' if report.checkpoints_ok else 'FAILED'} ({report.checkpoints} commits)")
        for problem in report.problems:
            print(f"  - {problem}")
    return 0 if report.ok else 1


def cmd_seal(args: argparse.Namespace) -> int:
    from core.sealing import reseal

    ctx = open_context(args)
    if not args.yes:
        if not sys.stdin.isatty():
            print("ratchet seal changes what the loop trusts; rerun with --yes to confirm", file=sys.stderr)
            return 2
        answer = input("Re-seal protected/ as it is now? Review `git diff protected/` first. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not sealed")
            return 1
    number = reseal(ctx.workspace, ctx.config)
    if args.json:
        print_json({"checkpoint": number})
    else:
        print(
            f"protected/ sealed as checkpoint {number}" if number is not None else "protected/ already sealed"
        )
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    from core.session import make_supervisor

    ctx = open_context(args)
    with make_supervisor(ctx.workspace, ctx.config) as sup:
        report = sup.recovery
    if args.json:
        print_json({"acted": report.acted, "actions": list(report.actions)})
    else:
        print(report.describe())
    return 0
