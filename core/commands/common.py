"""Helpers every command module shares: opening the workspace and its config, printing JSON."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass
from typing import Any

from core.config import Config, load_config
from core.records import to_dict
from core.workspace import Workspace

__all__ = ["Context", "add_json_flag", "open_context", "print_json"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    workspace: Workspace
    config: Config


def open_context(args: argparse.Namespace, **overrides: Any) -> Context:
    """The workspace named by `--repo` and its layered config (command-line overrides last)."""
    workspace = Workspace.at(args.repo)
    given = {k: v for k, v in overrides.items() if v is not None}
    if getattr(args, "replay", False):
        given["llm.replay"] = True
    config = load_config(workspace.root, overrides=given)
    return Context(workspace=workspace, config=config)


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def print_json(data: Any) -> None:
    json.dump(to_dict(data), sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
