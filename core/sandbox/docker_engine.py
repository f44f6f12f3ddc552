"""The Docker backend: one throw-away container per run, through the `docker` SDK.

No network, memory/CPU/pids limits, a read-only root with a tmpfs `/tmp`, uid 65534, every
capability dropped, no-new-privileges, the same read-only paths and writable scratch dir the
other backends expose (at the same absolute paths), and the image the request names (a language's
image from the agent's registry; `DEFAULT_IMAGE` otherwise). The container is removed after the
run: explicitly rather than by `auto_remove`, which races with reading its exit status.

`container_kwargs` (request → `containers.create` arguments) is a pure function, tested without
an engine.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import RatchetError
from core.procs import ProcResult
from core.sandbox.base import SandboxRequest, SandboxResult
from core.sandbox.common import (
    SANDBOX_GID,
    SANDBOX_UID,
    child_env,
    hand_over_scratch,
    interpreter_paths,
    prepare_scratch,
    to_result,
    validate_request,
)

__all__ = [
    "DEFAULT_IMAGE",
    "DockerSandbox",
    "DockerUnavailable",
    "container_kwargs",
    "docker_client",
]

logger = logging.getLogger(__name__)

DEFAULT_IMAGE = "python:3.11-slim"
#: CPUs a container may use (in units of 1e-9 CPUs, as the engine counts them)
_NANO_CPUS = 1_000_000_000
_STDIN_NAME = ".stdin"
_LABEL = "ratchet.sandbox"


class DockerUnavailable(RatchetError):
    """No Docker engine answers; the message says how to get one or pick another backend."""


def docker_client(timeout: float = 5.0) -> Any:
    """A connected `docker.DockerClient`, or `DockerUnavailable` (fails within milliseconds
    when there is no engine socket)."""
    import docker
    import requests

    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.ConnectionError) as exc:
        raise DockerUnavailable(
            f'no Docker engine answers ({exc}); start one, or set [sandbox] backend = "bwrap" or "auto"'
        ) from None
    return client


def container_kwargs(
    request: SandboxRequest, *, env: Mapping[str, str], extra_read_only: tuple[Path, ...] = ()
) -> dict[str, Any]:
    """Arguments for `client.containers.create(**kwargs)` that run `request` confined."""
    limits = request.limits
    volumes: dict[str, dict[str, str]] = {
        str(path): {"bind": str(path), "mode": "ro"} for path in (*extra_read_only, *request.read_only)
    }
    volumes[str(request.scratch)] = {"bind": str(request.scratch), "mode": "rw"}
    command = list(request.argv)
    if request.stdin:
        command = ["/bin/sh", "-c", 'exec "$@" < "$0"', str(request.scratch / _STDIN_NAME), *command]
    return {
        "image": request.image or DEFAULT_IMAGE,
        "command": command,
        "working_dir": str(request.cwd or request.scratch),
        "environment": dict(env),
        "user": f"{SANDBOX_UID}:{SANDBOX_GID}",
        "network_disabled": not request.network,
        "network_mode": "bridge" if request.network else "none",
        "mem_limit": limits.memory_bytes,
        "memswap_limit": limits.memory_bytes,
        "nano_cpus": _NANO_CPUS,
        "pids_limit": limits.processes,
        "read_only": True,
        "tmpfs": {"/tmp": "rw,nosuid,nodev,size=64m"},
        "volumes": volumes,
        "ulimits": [
            {"name": "cpu", "soft": limits.cpu_seconds, "hard": limits.cpu_seconds + 1},
            {"name": "fsize", "soft": limits.file_size_bytes, "hard": limits.file_size_bytes},
            {"name": "core", "soft": 0, "hard": 0},
        ],
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "init": True,
        "hostname": "sandbox",
        "labels": {_LABEL: "1"},
        "log_config": {"type": "none"},
        "detach": True,
        "auto_remove": False,
    }


@dataclass
class _Output:
    """Output read from the container's attach stream, capped per stream."""

    limit: int
    stdout: bytearray
    stderr: bytearray
    truncated: bool = False

    def add(self, buffer: bytearray, data: bytes | None) -> None:
        if not data:
            return
        room = self.limit - len(buffer)
        buffer += data[: max(room, 0)]
        if len(data) > room:
            self.truncated = True


class DockerSandbox:
    """Runs each request in a fresh container on the engine `docker.from_env()` finds."""

    name = "docker"

    def __init__(self, client: Any | None = None) -> None:
        self._client = client if client is not None else docker_client()

    def run(self, request: SandboxRequest) -> SandboxResult:
        import docker
        import requests

        validate_request(request)
        home, tmp = prepare_scratch(request)
        if request.stdin:
            (request.scratch / _STDIN_NAME).write_bytes(request.stdin)
        hand_over_scratch(request.scratch)
        kwargs = container_kwargs(
            request, env=child_env(request, home=home, tmp=tmp), extra_read_only=interpreter_paths()
        )
        started = time.monotonic()
        container = self._client.containers.create(**kwargs)
        output = _Output(request.limits.output_bytes, bytearray(), bytearray())
        timed_out = False
        status = -1
        try:
            stream = container.attach(stdout=True, stderr=True, stream=True, logs=False, demux=True)
            container.start()
            reader = threading.Thread(target=_pump, args=(stream, output, container), daemon=True)
            reader.start()
            try:
                status = int(container.wait(timeout=request.limits.wall_seconds)["StatusCode"])
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):  # wall time up
                timed_out = True
                _kill(container)
            reader.join(timeout=5.0)
            container.reload()
            oom = bool(container.attrs.get("State", {}).get("OOMKilled", False))
        finally:
            try:
                container.remove(force=True)
            except docker.errors.APIError as exc:
                logger.warning("could not remove sandbox container %s: %s", container.id, exc)
        proc = ProcResult(
            argv=request.argv,
            returncode=137 if oom else status,
            stdout=output.stdout.decode("utf-8", "replace"),
            stderr=output.stderr.decode("utf-8", "replace") + ("\nout of memory" if oom else ""),
            seconds=time.monotonic() - started,
            timed_out=timed_out,
            truncated=output.truncated,
            peak_memory_bytes=request.limits.memory_bytes if oom else 0,
        )
        return to_result(proc, request.limits, backend=self.name, shell_style=True)


def _kill(container: Any) -> None:
    import docker

    try:
        container.kill()
    except docker.errors.APIError as exc:  # it exited meanwhile
        logger.debug("kill of sandbox container %s: %s", container.id, exc)


def _pump(stream: Any, output: _Output, container: Any) -> None:
    for out, err in stream:
        output.add(output.stdout, out)
        output.add(output.stderr, err)
        if output.truncated:
            _kill(container)
            return
