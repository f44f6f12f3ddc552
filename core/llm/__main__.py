"""`python -m core.llm`: the embedded model server process the gateway starts on demand."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from core.errors import RatchetError
from core.llm.embedded import ModelSettings, serve
from core.workspace import Workspace

__all__ = ["main"]

logger = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.llm", description=__doc__)
    parser.add_argument("--workspace", required=True, type=Path)
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("--alias", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ctx", type=int, default=4096)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--owner-pid", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = ModelSettings(args.model, args.alias, args.threads, args.ctx, bundled=False)
    try:
        serve(Workspace(args.workspace), settings, args.model, port=args.port, owner_pid=args.owner_pid)
    except RatchetError as exc:
        print(f"ratchet model server: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
