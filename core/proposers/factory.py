"""Choosing the proposer `[proposer] kind` names: scripted, codemod, llm or embedded.

The TUI, the daemon and the CLI build their proposer here so they all honour the same config.
An LLM proposer owns a gateway (and maybe an embedded model server): pass an `ExitStack` to have
it closed with the session; otherwise the server is stopped when the process exits.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from core.config import Config
from core.errors import RatchetError
from core.proposers.base import Proposer
from core.workspace import Workspace

__all__ = ["describe_model", "make_proposer"]

logger = logging.getLogger(__name__)


def describe_model(config: Config) -> str:
    """The model the configured proposer talks to, as a person would name it."""
    kind = config.proposer.kind
    if kind in ("scripted", "codemod"):
        return f"none ({kind} proposer)"
    if kind == "llm" and config.llm.model and config.llm.model != "embedded":
        fallback = f", fallback {config.llm.fallback}" if config.llm.fallback else ""
        return f"{config.llm.model}{fallback}"
    return f"embedded/{config.model.alias}"


def _script_path(workspace: Workspace, config: Config) -> Path:
    if not config.proposer.script:
        raise RatchetError(
            "proposer.kind is scripted but proposer.script is empty; set [proposer] script = "
            '"PATH" in .agent/config.toml (a proposals file or directory)'
        )
    path = Path(config.proposer.script).expanduser()
    return path if path.is_absolute() else workspace.root / path


def make_proposer(workspace: Workspace, config: Config, *, stack: ExitStack | None = None) -> Proposer:
    """The proposer `config.proposer.kind` selects, ready to use."""
    kind = config.proposer.kind
    if kind == "scripted":
        from core.proposers.scripted import ScriptedProposer

        return ScriptedProposer.from_path(_script_path(workspace, config))
    memory = None
    if config.memory.enabled:
        from core.memory import open_memory

        memory = open_memory(workspace)
    if kind == "codemod":
        from core.proposers.codemod import CodemodProposer

        return CodemodProposer(memory)
    from core.llm import open_gateway
    from core.proposers.llm import LLMProposer

    if kind == "embedded" and config.llm.model not in ("", "embedded"):
        logger.info("proposer.kind is embedded: using the embedded model, not %s", config.llm.model)
        config = replace(config, llm=replace(config.llm, model=""))
    gateway = open_gateway(workspace, config)
    if stack is not None:
        stack.callback(gateway.close)
    return LLMProposer(gateway, memory, config)
