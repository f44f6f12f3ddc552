"""`ratchet daemon` (run unattended, or --stop/--pause/--resume/--log a running one) and `ratchet inbox`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from core.commands.common import add_json_flag, open_context, print_json
from core.events import CycleFinished, Event, LogLine, Phase, PhaseChanged

__all__ = ["EXIT_CODES", "register"]

logger = logging.getLogger(__name__)

EXIT_CODES = """exit codes:
  0    done: a limit was reached (--max-cycles, --hours, --until-score), the proposer ran
       out of proposals, or a stop was requested (`ratchet daemon --stop`, .agent/STOP)
  1    crashed (traceback in .agent/ratchet.log); the next start recovers the workspace
  2    bad flags, configuration or workspace (e.g. uncommitted changes at start)
  3    another ratchet process holds the workspace lock
  4    protected/ does not match its seal
  5    a budget is used up (--budget-tokens, --budget-cost, or [budget] in config)
  6    too many consecutive failed cycles (daemon.max_consecutive_failures)
  7    tampering: protected/ changed while running, the audit chain broke, or the agent
       branch was moved outside ratchet
  8    free disk space below daemon.min_free_disk_mb
  130  SIGINT; 143 SIGTERM (the candidate in flight is aborted and discarded)
Every stop writes its reason to .agent/ratchet.log and .agent/state.json (`ratchet status`)."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "daemon",
        help="improve the agent unattended within limits; --stop/--pause/--resume a running daemon",
        description="Run the loop headless: propose, validate, decide by policy, repeat until a limit "
        "or a stop rule. Needs-approval changes go to the inbox (`ratchet inbox`).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    control = p.add_mutually_exclusive_group()
    control.add_argument("--stop", action="store_true", help="ask the running daemon to stop (.agent/STOP)")
    control.add_argument("--pause", action="store_true", help="pause the running daemon after its cycle")
    control.add_argument("--resume", action="store_true", help="resume a paused daemon")
    control.add_argument(
        "--log", type=int, nargs="?", const=20, metavar="N", help="print the last N log lines"
    )
    p.add_argument("--max-cycles", type=int, metavar="N", help="stop after N cycles")
    p.add_argument("--until-score", type=float, metavar="S", help="stop once the mean eval score reaches S")
    p.add_argument("--budget-tokens", type=int, metavar="T", help="LLM tokens this run may spend")
    p.add_argument("--budget-cost", type=float, metavar="USD", help="LLM cost in USD this run may spend")
    p.add_argument("--hours", type=float, metavar="H", help="stop after H hours")
    p.add_argument(
        "--proposer", choices=("embedded", "llm", "codemod", "scripted"), help="override [proposer] kind"
    )
    p.add_argument("--script", type=Path, metavar="PATH", help="proposals file or directory (scripted)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the final line")
    p.set_defaults(func=cmd_daemon)

    p = sub.add_parser("inbox", help="proposals waiting for a human: list, show, approve, reject")
    p.add_argument("action", nargs="?", default="list", choices=("list", "show", "approve", "reject"))
    p.add_argument("item", nargs="?", help="the item id (see `ratchet inbox`)")
    p.add_argument("--note", default="", help="why it was rejected (fed to later proposals)")
    add_json_flag(p)
    p.set_defaults(func=cmd_inbox)


# --- ratchet daemon ------------------------------------------------------------------------------


def _echo(event: Event) -> None:
    if isinstance(event, CycleFinished):
        where = f" -> checkpoint {event.checkpoint}" if event.checkpoint is not None else ""
        print(f"{event.verdict.decision}: {event.summary} ({event.verdict.reason}){where}", flush=True)
    elif isinstance(event, PhaseChanged) and event.phase is Phase.PAUSED:
        print(f"paused: {event.detail}", flush=True)
    elif isinstance(event, LogLine) and event.level != "info":
        print(event.message, file=sys.stderr, flush=True)


def cmd_daemon(args: argparse.Namespace) -> int:
    if args.stop or args.pause or args.resume or args.log is not None:
        return _control(args)
    from contextlib import ExitStack

    from core.daemon import Daemon
    from core.proposers.factory import make_proposer

    kind = args.proposer or ("scripted" if args.script else None)
    ctx = open_context(
        args,
        **{
            "daemon.max_cycles": args.max_cycles,
            "daemon.until_score": args.until_score,
            "daemon.budget_tokens": args.budget_tokens,
            "daemon.budget_cost_usd": args.budget_cost,
            "daemon.hours": args.hours,
            "proposer.kind": kind,
            "proposer.script": str(args.script.resolve()) if args.script else None,
        },
    )
    with ExitStack() as stack:
        proposer = make_proposer(ctx.workspace, ctx.config, stack=stack)
        daemon = Daemon(ctx.workspace, ctx.config, proposer, echo=(lambda e: None) if args.quiet else _echo)
        result = daemon.run()
    s = result.state
    print(
        f"ratchet daemon: {result.reason} — {s.cycles} cycle(s), {s.accepted} accepted, "
        f"{s.rejected} rejected, {s.queued} queued; exit {int(result.exit_code)}",
        file=sys.stderr if result.exit_code else sys.stdout,
    )
    return int(result.exit_code)


def _running_daemon(args: argparse.Namespace) -> tuple[object, int | None]:
    from core.journal import WorkspaceLock, pid_alive

    ctx = open_context(args)
    owner = WorkspaceLock(ctx.workspace.lock_path).owner()
    pid = owner[0] if owner is not None and owner[1] == "daemon" and pid_alive(owner[0]) else None
    return ctx, pid


def _control(args: argparse.Namespace) -> int:
    from core.commands.common import Context
    from core.daemon import PAUSE_FILE, STOP_FILE

    ctx, pid = _running_daemon(args)
    assert isinstance(ctx, Context)
    agent_dir = ctx.workspace.agent_dir
    if args.log is not None:
        return _print_log(ctx.workspace.log_path, args.log)
    if args.resume:
        existed = (agent_dir / PAUSE_FILE).exists()
        (agent_dir / PAUSE_FILE).unlink(missing_ok=True)
        print("resumed" if existed else "the daemon was not paused")
        return 0
    if pid is None:
        print("no daemon is running on this workspace (see `ratchet status`)", file=sys.stderr)
        return 1
    name = STOP_FILE if args.stop else PAUSE_FILE
    agent_dir.mkdir(parents=True, exist_ok=True)
    (agent_dir / name).write_text("requested from the command line\n", encoding="utf-8")
    verb = "stop" if args.stop else "pause after its current cycle"
    print(f"asked daemon pid {pid} to {verb} (.agent/{name})")
    return 0


def _print_log(path: Path, count: int) -> int:
    if not path.exists():
        print(f"no daemon log yet ({path})", file=sys.stderr)
        return 1
    lines = path.read_text(encoding="utf-8").splitlines()[-count:]
    for line in lines:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        rest = {
            k: v for k, v in rec.items() if k not in ("time", "level", "pid", "event", "state", "traceback")
        }
        detail = " ".join(f"{k}={v}" for k, v in rest.items() if v not in ("", None, [], {}))
        when = str(rec.get("time", ""))[:19].replace("T", " ")
        print(f"{when} {rec.get('level', ''):<7} {rec.get('event', '')} {detail}")
    return 0


# --- ratchet inbox -------------------------------------------------------------------------------


def cmd_inbox(args: argparse.Namespace) -> int:
    from core.inbox import list_inbox, load_item

    ctx = open_context(args)
    if args.action == "list":
        items = list_inbox(ctx.workspace)
        if args.json:
            print_json(
                [
                    {"id": i.id, "queued_at": i.queued_at, "summary": i.proposal.summary, "reason": i.reason}
                    for i in items
                ]
            )
        elif not items:
            print("the inbox is empty")
        for item in items if not args.json else []:
            print(f"{item.id}  {item.proposal.summary}\n    needs approval: {item.reason}")
        return 0
    if not args.item:
        print(f"`ratchet inbox {args.action}` needs an item id (see `ratchet inbox`)", file=sys.stderr)
        return 2
    item = load_item(ctx.workspace, args.item)
    if args.action == "show":
        if args.json:
            print_json(item)
            return 0
        print(f"{item.id} — {item.proposal.summary}\nqueued {item.queued_at}; needs approval: {item.reason}")
        print("\nrationale:\n  " + item.proposal.rationale.strip().replace("\n", "\n  "))
        print("\ngates:")
        for r in item.report.results:
            print(f"  {r.name:<10} {'ok' if r.passed else 'FAIL'} {r.seconds:6.2f}s  {r.summary}")
        if item.comparison:
            print(f"\nevals: {item.comparison}")
        print("\ndiff:")
        sys.stdout.write(item.diff)
        return 0
    return _decide(args, ctx, item)


def _decide(args: argparse.Namespace, ctx: object, item: object) -> int:
    from core.commands.common import Context
    from core.daemon_inbox import approve_item, human_name, reject_item, request_decision
    from core.errors import Locked
    from core.inbox import InboxItem
    from core.session import make_supervisor

    assert isinstance(ctx, Context) and isinstance(item, InboxItem)
    by = human_name()
    try:
        with make_supervisor(ctx.workspace, ctx.config, role="inbox") as sup:
            if args.action == "reject":
                reject_item(sup, item, by, args.note)
                result: dict[str, object] = {"id": item.id, "decision": "rejected"}
            else:
                outcome = approve_item(sup, item, by)
                result = {
                    "id": item.id,
                    "decision": "accepted" if outcome.accepted else "rejected on re-validation",
                    "checkpoint": outcome.checkpoint,
                    "reason": outcome.verdict.reason,
                }
    except Locked:
        _, pid = _running_daemon(args)
        if pid is None:
            raise
        request_decision(ctx.workspace, item.id, args.action, by, args.note)
        result = {"id": item.id, "decision": f"{args.action} handed to daemon pid {pid}"}
    if args.json:
        print_json(result)
    else:
        extra = f": checkpoint {result['checkpoint']}" if result.get("checkpoint") is not None else ""
        why = f" ({result['reason']})" if result.get("reason") and not extra else ""
        print(f"{item.id}: {result['decision']}{extra}{why}")
    return 0 if result["decision"] != "rejected on re-validation" else 1
