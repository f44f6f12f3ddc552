"""The sandbox contract shared by every backend (docker, bubblewrap, rlimits).

Every execution of agent-controlled code (the pytest and eval gates, the agent's runs of
generated programs, HumanEval checks) goes through `Sandbox.run(SandboxRequest)`.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

__all__ = ["Limits", "Sandbox", "SandboxRequest", "SandboxResult", "StopReason"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 60.0
    cpu_seconds: int = 60
    memory_bytes: int = 2 << 30
    processes: int = 64
    output_bytes: int = 1 << 20
    file_size_bytes: int = 64 << 20


class StopReason(enum.StrEnum):
    EXIT = "exit"
    TIMEOUT = "timeout"
    CPU = "cpu"
    MEMORY = "memory"
    OUTPUT_CAP = "output_cap"
    KILLED = "killed"


@dataclass(frozen=True)
class SandboxRequest:
    """What to run and what it may see.

    `cwd` must be `scratch` or lie under one of `read_only`. `files` are written into the
    scratch dir before the run (relative names). `image` picks a Docker image when the docker
    backend runs it (per language); other backends ignore it.
    """

    argv: tuple[str, ...]
    scratch: Path
    cwd: Path | None = None
    read_only: tuple[Path, ...] = ()
    stdin: bytes = b""
    files: Mapping[str, bytes] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    network: bool = False
    image: str = ""


@dataclass(frozen=True)
class SandboxResult:
    exit_code: int
    stdout: str
    stderr: str
    stop_reason: StopReason
    wall_seconds: float
    cpu_seconds: float = 0.0
    peak_memory_bytes: int = 0
    truncated: bool = False
    backend: str = ""

    @property
    def ok(self) -> bool:
        return self.stop_reason is StopReason.EXIT and self.exit_code == 0

    @property
    def output(self) -> str:
        return (self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).strip()


class Sandbox(Protocol):
    """One way of running untrusted code. `name` is reported by `ratchet status`/`doctor`."""

    name: str

    def run(self, request: SandboxRequest) -> SandboxResult: ...
