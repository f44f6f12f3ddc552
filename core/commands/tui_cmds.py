"""`ratchet tui` (also plain `ratchet`): the Textual supervisor. Textual is imported only here, lazily."""

from __future__ import annotations

import argparse
import logging

from core.commands.common import open_context

__all__ = ["register"]

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "tui", help="watch the loop, review proposals, browse and revert checkpoints (the default command)"
    )
    p.add_argument(
        "--policy-review",
        action="store_true",
        help="ask a human only when policy says so (default: review every change that passes the gates)",
    )
    p.set_defaults(func=cmd_tui)


def cmd_tui(args: argparse.Namespace) -> int:
    ctx = open_context(args)
    from core.tui.app import RatchetApp

    app = RatchetApp(ctx.workspace, ctx.config, review_all=not args.policy_review)
    app.run()
    return app.return_code or 0
