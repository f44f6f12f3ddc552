"""`ratchet memory search|note|count` and `ratchet goal`: the human's view into the agent's memory."""

from __future__ import annotations

import argparse
import logging

from core.commands.common import add_json_flag, open_context, print_json
from core.errors import RatchetError
from core.memory import open_memory
from core.observe import add_goal, add_note, read_goals

__all__ = ["register"]

logger = logging.getLogger(__name__)

_KINDS = ("attempt", "solution", "note")
_SHOWN_CHARS = 240


def cmd_memory_search(args: argparse.Namespace) -> int:
    ctx = open_context(args)
    hits = open_memory(ctx.workspace).search(args.text, n=args.n, kind=args.kind)
    if args.json:
        print_json(hits)
        return 0
    if not hits:
        print("no memories match" + (f" (kind {args.kind})" if args.kind else ""))
        return 0
    for hit in hits:
        label = hit.kind
        if hit.kind == "attempt":
            label += f" · {hit.metadata.get('outcome', '?')}"
            if hit.metadata.get("gate"):
                label += f" at {hit.metadata['gate']}"
        target = hit.metadata.get("target") or hit.metadata.get("language") or ""
        print(f"[{hit.distance:.3f}] {label}" + (f" · {target}" if target else ""))
        text = " ".join(hit.text.split())
        print(f"    {text[:_SHOWN_CHARS]}" + ("…" if len(text) > _SHOWN_CHARS else ""))
    return 0


def cmd_memory_note(args: argparse.Namespace) -> int:
    ctx = open_context(args)
    text = " ".join(args.text.split())
    if not text:
        raise RatchetError('a note needs some text: ratchet memory note "why this was wrong"')
    stored = add_note(ctx.workspace, text, target=args.target)  # read by the next observation
    memory = open_memory(ctx.workspace)
    memory.record_note(stored, target=args.target)
    if args.json:
        print_json({"note": text, "target": args.target, "count": memory.count()})
    else:
        print("noted" + (f" for {args.target}" if args.target else ""))
    return 0


def cmd_memory_count(args: argparse.Namespace) -> int:
    ctx = open_context(args)
    count = open_memory(ctx.workspace).count()
    if args.json:
        print_json({"count": count})
    else:
        print(f"{count} memories in {ctx.workspace.memory_dir}")
    return 0


def cmd_goal(args: argparse.Namespace) -> int:
    ctx = open_context(args)
    if args.text:
        stored = add_goal(ctx.workspace, " ".join(args.text))
        if args.json:
            print_json({"goal": stored, "goals": list(read_goals(ctx.workspace, limit=None))})
        else:
            print(f"goal added: {stored}")
        return 0
    goals = read_goals(ctx.workspace, limit=None)
    if args.json:
        print_json({"goals": list(goals)})
    elif goals:
        for number, goal in enumerate(goals, 1):
            print(f"{number}. {goal}")
    else:
        print('no goals yet; add one with: ratchet goal "make Rust detection better"')
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    memory = sub.add_parser("memory", help="search the agent's memory of attempts, solved tasks and notes")
    msub = memory.add_subparsers(dest="memory_command", metavar="SUBCOMMAND", required=True)

    p = msub.add_parser("search", help="the memories most similar to TEXT")
    p.add_argument("text", help="what to look for, in words or code")
    p.add_argument("-n", type=int, default=5, help="how many results (default 5)")
    p.add_argument("--kind", choices=_KINDS, help="only this kind of memory")
    add_json_flag(p)
    p.set_defaults(func=cmd_memory_search)

    p = msub.add_parser("note", help="record a human note (e.g. why a proposal was wrong)")
    p.add_argument("text", help="the note")
    p.add_argument(
        "--target", default="", help="the module or symbol it is about (mutable/lang.py:detect_language)"
    )
    add_json_flag(p)
    p.set_defaults(func=cmd_memory_note)

    p = msub.add_parser("count", help="how many memories are stored")
    add_json_flag(p)
    p.set_defaults(func=cmd_memory_count)

    p = sub.add_parser("goal", help="add a goal for the proposer (no text: list the goals)")
    p.add_argument("text", nargs="*", help='the goal, e.g. "make Rust detection better"')
    add_json_flag(p)
    p.set_defaults(func=cmd_goal)
