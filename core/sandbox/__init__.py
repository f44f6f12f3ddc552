"""Every execution of agent-controlled code goes through a `Sandbox` from `get_sandbox(config)`.

Backends, strongest first: Docker (an engine answers), bubblewrap (installed and allowed to create
namespaces), rlimits only (always; weak, and it warns loudly). See `base.py` for the contract.
"""

from __future__ import annotations

from core.sandbox.base import Limits, Sandbox, SandboxRequest, SandboxResult, StopReason
from core.sandbox.bwrap import BwrapSandbox
from core.sandbox.choose import (
    BACKENDS,
    SandboxUnavailable,
    available_backends,
    get_sandbox,
    limits_from_config,
)
from core.sandbox.docker_engine import DockerSandbox
from core.sandbox.rlimits import RLIMITS_CANNOT_STOP, RlimitsSandbox

__all__ = [
    "BACKENDS",
    "RLIMITS_CANNOT_STOP",
    "BwrapSandbox",
    "DockerSandbox",
    "Limits",
    "RlimitsSandbox",
    "Sandbox",
    "SandboxRequest",
    "SandboxResult",
    "SandboxUnavailable",
    "StopReason",
    "available_backends",
    "get_sandbox",
    "limits_from_config",
]
