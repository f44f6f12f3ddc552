"""`ratchet doctor`: what this machine offers for running agent code, and which sandbox is used.

`sandbox_status(config)` / `describe_sandbox(config)` are reusable (`ratchet status`, the TUI).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
from dataclasses import dataclass

from core.commands.common import add_json_flag, print_json
from core.config import Config, SandboxConfig, load_config
from core.sandbox.choose import BACKENDS, bwrap_works, limits_from_config
from core.sandbox.docker_engine import DockerUnavailable, docker_client
from core.sandbox.rlimits import RLIMITS_CANNOT_STOP
from core.sandbox.seccomp import syscall_table
from core.workspace import NotAWorkspace, Workspace

__all__ = [
    "BackendStatus",
    "SandboxStatus",
    "describe_sandbox",
    "register",
    "render_status",
    "sandbox_status",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackendStatus:
    name: str
    available: bool
    detail: str


@dataclass(frozen=True)
class SandboxStatus:
    #: what `get_sandbox` returns for this config ("" when a forced backend is unavailable)
    chosen: str
    configured: str
    backends: tuple[BackendStatus, ...]
    limits: str

    @property
    def strong(self) -> bool:
        return self.chosen in ("docker", "bwrap")


def _docker_status() -> BackendStatus:
    try:
        client = docker_client(timeout=2.0)
    except DockerUnavailable as exc:
        return BackendStatus("docker", False, str(exc))
    try:
        version = client.version().get("Version", "?")
    finally:
        client.close()
    return BackendStatus("docker", True, f"engine {version}")


def _bwrap_status() -> BackendStatus:
    why = bwrap_works()
    if why:
        return BackendStatus("bwrap", False, why)
    if os.geteuid() == 0:
        mode = "privileged mode (running as root: setpriv drops to uid 65534)"
    else:
        mode = "user-namespace mode (uid 65534 inside)"
    seccomp = "seccomp: no new user namespaces" if syscall_table() else "no seccomp table for this CPU"
    return BackendStatus("bwrap", True, f"{shutil.which('bwrap')}, {mode}, {seccomp}")


def _rlimits_status() -> BackendStatus:
    cannot = ", ".join(RLIMITS_CANNOT_STOP)
    return BackendStatus("rlimits", True, f"weak isolation; cannot stop: {cannot}")


def sandbox_status(config: SandboxConfig) -> SandboxStatus:
    """Probe every backend (Docker fails within milliseconds without an engine)."""
    backends = (_docker_status(), _bwrap_status(), _rlimits_status())
    usable = [b.name for b in backends if b.available]
    wanted = usable[0] if config.backend == "auto" else config.backend
    chosen = wanted if wanted in usable else ""
    limits = limits_from_config(config)
    summary = (
        f"wall {limits.wall_seconds:g} s, cpu {limits.cpu_seconds} s, memory {limits.memory_bytes >> 20} MB, "
        f"{limits.processes} processes, output {limits.output_bytes >> 10} KB, "
        f"files {limits.file_size_bytes >> 20} MB, no network"
    )
    return SandboxStatus(chosen=chosen, configured=config.backend, backends=backends, limits=summary)


def describe_sandbox(config: Config | SandboxConfig) -> list[str]:
    """Readable lines: the sandbox in use, each backend's state, the limits."""
    return render_status(sandbox_status(config.sandbox if isinstance(config, Config) else config))


def render_status(status: SandboxStatus) -> list[str]:
    how = "auto" if status.configured == "auto" else "forced by sandbox.backend"
    if not status.chosen:
        head = f"sandbox: {status.configured} ({how}) is UNAVAILABLE here; agent code cannot run"
    elif status.strong:
        head = f"sandbox: {status.chosen} ({how})"
    else:
        head = f"sandbox: {status.chosen} ({how}) -- WEAK ISOLATION: install bubblewrap or start Docker"
    lines = [head]
    for backend in status.backends:
        state = "available" if backend.available else "unavailable"
        lines.append(f"  {backend.name:<8} {state}: {backend.detail}")
    lines.append(f"  limits   {status.limits}")
    return lines


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("doctor", help="check what this machine offers: sandbox backends and limits")
    add_json_flag(p)
    p.set_defaults(func=cmd_doctor)


def _config(repo: str) -> Config:
    try:
        root = Workspace.at(repo).root
    except NotAWorkspace:
        return load_config(None)
    return load_config(root)


def cmd_doctor(args: argparse.Namespace) -> int:
    """Exit 0 when agent code runs strongly isolated, 1 when only weakly or not at all."""
    status = sandbox_status(_config(args.repo).sandbox)
    if args.json:
        print_json({"sandbox": status, "strong": status.strong, "order": BACKENDS})
    else:
        print("\n".join(render_status(status)))
    return 0 if status.strong else 1
