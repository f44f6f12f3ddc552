"""`ratchet model status|prepare|serve|stop`: the embedded local model."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from core.commands.common import Context, add_json_flag, open_context, print_json
from core.config import Config, load_config
from core.errors import RatchetError
from core.llm.weights import ProgressCallback, ProgressFactory
from core.workspace import NotAWorkspace, Workspace

__all__ = ["register"]

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    model = sub.add_parser("model", help="the embedded local model: status, prepare, serve, stop")
    actions = model.add_subparsers(dest="model_command", metavar="ACTION", required=True)

    p = actions.add_parser("status", help="weights present/verified, server running, port")
    add_json_flag(p)
    p.set_defaults(func=cmd_status)

    p = actions.add_parser("prepare", help="assemble and verify the weights (fast when already done)")
    add_json_flag(p)
    p.set_defaults(func=cmd_prepare)

    p = actions.add_parser("serve", help="serve the model on 127.0.0.1 in the foreground until Ctrl-C")
    p.add_argument("--port", type=int, default=0, help="the port (default: any free port)")
    p.set_defaults(func=cmd_serve)

    p = actions.add_parser("stop", help="stop the model server recorded in .agent/model.json")
    add_json_flag(p)
    p.set_defaults(func=cmd_stop)


def _workspace_or_config(args: argparse.Namespace) -> tuple[Workspace | None, Config]:
    """The workspace and its config; outside one, the user-level config (prepare/status still work)."""
    try:
        ctx = open_context(args)
    except NotAWorkspace:
        return None, load_config(None)
    return ctx.workspace, ctx.config


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[ProgressFactory | None]:
    """A rich progress bar on stderr (stdout stays clean for --json); None when not a terminal."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:

        def start(label: str, total: int) -> ProgressCallback:
            task = bar.add_task(label, total=total)
            return lambda n: bar.advance(task, n)

        yield start


def cmd_status(args: argparse.Namespace) -> int:
    from core.llm.status import model_status

    workspace, config = _workspace_or_config(args)
    status = model_status(workspace, config)
    if args.json:
        print_json(status)
        return 0
    print(f"model     {status.model}" + (f" (fallback {status.fallback})" if status.fallback else ""))
    state = "verified" if status.weights_verified else ("present" if status.weights_present else "missing")
    kind = "bundled Qwen2.5-Coder-0.5B" if status.bundled else "[model] path"
    print(f"weights   {state}: {status.weights_path} ({kind}; {status.weights_detail})")
    if status.server_running:
        owner = "foreground" if not status.owner_pid else f"started by pid {status.owner_pid}"
        print(f"server    running at {status.api_base} (pid {status.pid}, {owner})")
    else:
        print("server    not running (the gateway starts it on demand; `ratchet model serve` keeps one up)")
    if status.uses_embedded and not status.weights_verified and status.bundled:
        print("next      ratchet model prepare")
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    from core.llm.embedded import ensure_weights, model_settings

    _, config = _workspace_or_config(args)
    settings = model_settings(config.model)
    with _progress_bar(sys.stderr.isatty() and not args.json) as progress:
        path = ensure_weights(settings, progress=progress)
    if args.json:
        print_json({"path": str(path), "bundled": settings.bundled, "verified": settings.bundled})
    else:
        what = "verified" if settings.bundled else "found (custom GGUF, not checksummed)"
        print(f"model weights {what}: {path}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from core.llm.embedded import (
        ServerRecord,
        ensure_weights,
        live_record,
        model_settings,
        serve,
        workspace_lock,
    )

    ctx: Context = open_context(args)
    settings = model_settings(ctx.config.model)
    with _progress_bar(sys.stderr.isatty()) as progress:
        model = ensure_weights(settings, progress=progress)
    with ExitStack() as loading:
        # hold the workspace's model lock while loading, so no gateway starts a second server meanwhile
        loading.enter_context(workspace_lock(ctx.workspace))
        running = live_record(ctx.workspace)
        if running is not None:
            raise RatchetError(
                f"a model server already runs for this workspace at {running.api_base} "
                f"(pid {running.pid}); use it, or stop it with `ratchet model stop`"
            )
        print(
            f"loading {model.name} ({settings.n_threads} thread(s), context {settings.n_ctx}) ...", flush=True
        )

        def ready(record: ServerRecord) -> None:
            loading.close()
            print(f"serving {settings.alias} at {record.api_base} (OpenAI API; Ctrl-C stops)", flush=True)

        serve(ctx.workspace, settings, model, port=args.port, on_ready=ready)
    print("model server stopped")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    from core.llm.embedded import stop_server

    ctx = open_context(args)
    stopped = stop_server(ctx.workspace)
    if args.json:
        print_json({"stopped": stopped is not None, "pid": stopped.pid if stopped else 0})
    elif stopped is None:
        print("no model server is running for this workspace")
    else:
        print(f"stopped the model server (pid {stopped.pid}, port {stopped.port})")
    return 0
