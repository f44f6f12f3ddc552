"""The last-resort backend: a plain subprocess with rlimits, a private temp dir, a scrubbed
environment and its process group killed at the end. Isolation is weak, and it says so loudly.

It bounds CPU time, address space, file size, wall time and output, and kills the process
group; it does not hide the file system, the network or other processes. `RLIMIT_NPROC` counts
every process of the user (not of this run) and never binds root, so as root it is not set at
all, and otherwise it is set to the user's current count plus `Limits.processes`.
`RLIMITS_CANNOT_STOP` names the hostile cases of `tests/sandbox` this backend does not contain;
a test asserts it fails exactly those, so the list can neither silently shrink nor grow.
"""

from __future__ import annotations

import logging
import os
import resource
import sys
import threading
import warnings
from collections.abc import Callable
from pathlib import Path

from core.procs import run_process
from core.sandbox.base import Limits, SandboxRequest, SandboxResult
from core.sandbox.common import child_env, prepare_scratch, rlimit_values, to_result, validate_request

__all__ = ["RLIMITS_CANNOT_STOP", "WEAK_ISOLATION_WARNING", "RlimitsSandbox", "user_process_count"]

logger = logging.getLogger(__name__)

_ALWAYS_ESCAPES = (
    "write_workspace",  # the read-only paths are only as read-only as file permissions make them
    "write_protected",
    "write_home",  # HOME points into scratch, but the real home is one absolute path away
    "write_tmp",  # TMPDIR is private, /tmp is not
    "read_unbound",  # every path the user can read is visible
    "tcp_connect",  # no network namespace
    "network_interfaces",
    "setsid_double_fork",  # a new session leaves the process group the backend kills
    "symlink_escape",
    "env_secret",  # our environment is scrubbed, but /proc/<supervisor>/environ is readable
    "shm_fill",  # /dev/shm is the host's tmpfs: files there are memory outside every rlimit
    "nested_userns",  # no seccomp filter: new user namespaces expose kernel code meant for root
)
#: hostile cases (names of tests/sandbox/hostile.py) the rlimits backend cannot contain;
#: as root, RLIMIT_NPROC does not hold, so a fork bomb runs until the wall-time kill
RLIMITS_CANNOT_STOP: tuple[str, ...] = (
    (*_ALWAYS_ESCAPES[:5], "fork_bomb", *_ALWAYS_ESCAPES[5:]) if os.geteuid() == 0 else _ALWAYS_ESCAPES
)

WEAK_ISOLATION_WARNING = (
    "ratchet: WARNING: agent code runs in the rlimits-only sandbox: it can read your files, use the "
    "network and write anywhere you can. Install bubblewrap (apt-get install bubblewrap) or start "
    "a Docker engine for real isolation."
)

_warned = False
_warn_lock = threading.Lock()


def _warn_once() -> None:
    global _warned
    with _warn_lock:
        if _warned:
            return
        _warned = True
    logger.warning(WEAK_ISOLATION_WARNING)
    warnings.warn(WEAK_ISOLATION_WARNING, RuntimeWarning, stacklevel=3)
    print(WEAK_ISOLATION_WARNING, file=sys.stderr)


def user_process_count(uid: int, proc: Path = Path("/proc")) -> int:
    """How many processes `uid` (real uid) has right now."""
    count = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        for line in status.splitlines():
            if line.startswith("Uid:"):
                count += int(line.split()[1]) == uid
                break
    return count


def _preexec(limits: Limits, nproc: int | None) -> Callable[[], None]:
    values = rlimit_values(limits)
    if nproc is None:
        del values[resource.RLIMIT_NPROC]
    else:
        values[resource.RLIMIT_NPROC] = (nproc, nproc)

    def apply() -> None:
        for res, pair in values.items():
            resource.setrlimit(res, pair)

    return apply


class RlimitsSandbox:
    """Weak isolation: rlimits, a private temp dir, a scrubbed env, a killed process group."""

    name = "rlimits"

    def __init__(self) -> None:
        _warn_once()

    def run(self, request: SandboxRequest) -> SandboxResult:
        validate_request(request)
        home, tmp = prepare_scratch(request)
        uid = os.getuid()
        nproc = None if uid == 0 else user_process_count(uid) + request.limits.processes
        proc = run_process(
            request.argv,
            cwd=request.cwd or request.scratch,
            timeout=request.limits.wall_seconds,
            env=child_env(request, home=home, tmp=tmp),
            stdin=request.stdin,
            output_limit=request.limits.output_bytes,
            preexec=_preexec(request.limits, nproc),
        )
        return to_result(proc, request.limits, backend=self.name)
