"""`ratchet`: the command line. Each command lives in `core/commands/<name>.py` and registers itself.

With no command, `ratchet` opens the TUI supervisor on the workspace.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

logger = logging.getLogger(__name__)

#: command modules under core.commands; each has `register(subparsers)` which sets `func`
COMMAND_MODULES = (
    "workspace_cmds",
    "checkpoint_cmds",
    "sandbox_cmds",
    "agent_cmds",
    "model_cmds",
    "memory_cmds",
    "daemon_cmds",
    "tui_cmds",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ratchet",
        description="A self-improving coding agent; changes to itself land only when proven safe.",
    )
    parser.add_argument("--repo", default=".", help="the workspace (default: the current directory)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output to stderr")
    parser.add_argument(
        "--replay",
        action="store_true",
        help="serve every LLM call from the response cache only (replay a recorded run exactly)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"core.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"core.commands.{name}":
                raise
            continue
        module.register(sub)
    # `--repo` is accepted after the command too (`ratchet status --repo DIR`)
    for command in sub.choices.values():
        command.add_argument("--repo", default=argparse.SUPPRESS, help="the workspace")
    return parser


def _bare_invocation(argv: Sequence[str]) -> argparse.Namespace | None:
    """`ratchet [--repo DIR] [-v]`: the TUI, without importing every command module first."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--repo", default=".")
    pre.add_argument("-v", "--verbose", action="store_true")
    pre.add_argument("--replay", action="store_true")
    known, rest = pre.parse_known_args(argv)
    if rest:
        return None
    from core.commands.tui_cmds import cmd_tui

    return argparse.Namespace(**vars(known), policy_review=False, func=cmd_tui)


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _bare_invocation(argv)
    if args is None:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            args = parser.parse_args([*argv, "tui"])
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    from core.errors import RatchetError

    try:
        code: int = args.func(args)
    except RatchetError as exc:
        print(f"ratchet: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ratchet: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `ratchet log | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
