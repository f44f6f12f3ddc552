"""Choosing a sandbox backend: Docker when an engine answers, else bubblewrap, else rlimits only.

`config.backend` forces one; a forced backend that cannot run here is a `RatchetError` saying
what to install. `limits_from_config` turns the `[sandbox]` section into `Limits`.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from core.config import SandboxConfig
from core.errors import RatchetError
from core.sandbox.base import Limits, Sandbox, SandboxRequest
from core.sandbox.bwrap import BwrapSandbox, BwrapUnavailable
from core.sandbox.docker_engine import DockerSandbox, DockerUnavailable, docker_client
from core.sandbox.rlimits import RlimitsSandbox

__all__ = [
    "BACKENDS",
    "SandboxUnavailable",
    "available_backends",
    "bwrap_works",
    "get_sandbox",
    "limits_from_config",
]

logger = logging.getLogger(__name__)

#: every backend, strongest first (the order `auto` tries them in)
BACKENDS = ("docker", "bwrap", "rlimits")


class SandboxUnavailable(RatchetError):
    """The configured sandbox backend cannot run on this machine."""


def limits_from_config(config: SandboxConfig) -> Limits:
    return Limits(
        wall_seconds=config.wall_seconds,
        cpu_seconds=config.cpu_seconds,
        memory_bytes=config.memory_mb << 20,
        processes=config.processes,
        output_bytes=config.output_kb << 10,
        file_size_bytes=config.file_size_mb << 20,
    )


def bwrap_works() -> str:
    """Empty when a bwrap sandbox runs here, else why not. The probe is a real run (`/bin/true`
    through the measuring helper), so it also fails when the kernel or a container forbids the
    namespaces, or when uid 65534 cannot reach the interpreter."""
    try:
        sandbox = BwrapSandbox()
    except BwrapUnavailable as exc:
        return str(exc)
    with tempfile.TemporaryDirectory(prefix="ratchet-bwrap-probe-") as tmp:
        result = sandbox.run(SandboxRequest(argv=("/bin/true",), scratch=Path(tmp)))
    if result.ok:
        return ""
    return f"bwrap cannot create a sandbox here: {result.output or f'exit {result.exit_code}'}"


def _docker_answers() -> str:
    try:
        docker_client(timeout=2.0).close()
    except DockerUnavailable as exc:
        return str(exc)
    return ""


def available_backends() -> tuple[str, ...]:
    """The backends that work on this machine, strongest first (rlimits always works)."""
    found = [name for name, why in (("docker", _docker_answers()), ("bwrap", bwrap_works())) if not why]
    return (*found, "rlimits")


def get_sandbox(config: SandboxConfig) -> Sandbox:
    """The backend `config.backend` names, or the strongest that works (`auto`)."""
    choice = config.backend
    if choice not in ("auto", *BACKENDS):
        raise SandboxUnavailable(
            f"sandbox.backend must be one of auto, {', '.join(BACKENDS)}; got {choice!r}"
        )
    if choice in ("auto", "docker"):
        try:
            return DockerSandbox()
        except DockerUnavailable as exc:
            if choice == "docker":
                raise SandboxUnavailable(f'sandbox.backend = "docker": {exc}') from None
            logger.debug("docker backend unavailable: %s", exc)
    if choice in ("auto", "bwrap"):
        why = bwrap_works()
        if not why:
            return BwrapSandbox()
        if choice == "bwrap":
            raise SandboxUnavailable(
                f'sandbox.backend = "bwrap": {why}; install bubblewrap or set backend = "auto"'
            )
        logger.debug("bwrap backend unavailable: %s", why)
    return RlimitsSandbox()
