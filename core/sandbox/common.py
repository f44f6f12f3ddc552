"""What every sandbox backend shares: checking a request, filling the scratch dir, the child's
environment, the interpreter paths to expose, and reading a finished process as a `SandboxResult`.
"""

from __future__ import annotations

import logging
import os
import re
import resource
import signal
import sys
from pathlib import Path

from core.procs import ProcResult, scrub_env
from core.sandbox.base import Limits, SandboxRequest, SandboxResult, StopReason

__all__ = [
    "SANDBOX_GID",
    "SANDBOX_UID",
    "address_space_bytes",
    "child_env",
    "hand_over_scratch",
    "interpreter_paths",
    "java_options",
    "prepare_scratch",
    "rlimit_values",
    "to_result",
    "validate_request",
]

logger = logging.getLogger(__name__)

#: the unprivileged identity sandboxed code runs as (`nobody` / `nogroup` on Debian)
SANDBOX_UID = 65534
SANDBOX_GID = 65534

_SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
#: what a program says on its way out when an allocation failed (Python, C, C++, Go, Rust, JVM)
_OUT_OF_MEMORY = re.compile(
    r"MemoryError|Cannot allocate memory|std::bad_alloc|out of memory|memory allocation of \d+ bytes "
    r"failed|OutOfMemoryError|Fatal process OOM|heap out of memory|Could not reserve enough space",
)


def validate_request(request: SandboxRequest) -> None:
    """A malformed request is a bug in the caller: say which field is wrong."""
    if not request.argv:
        raise ValueError("SandboxRequest.argv is empty")
    if not request.scratch.is_absolute():
        raise ValueError(f"SandboxRequest.scratch must be absolute, got {request.scratch}")
    for path in request.read_only:
        if not path.is_absolute():
            raise ValueError(f"SandboxRequest.read_only paths must be absolute, got {path}")
        if not path.exists():
            raise ValueError(f"SandboxRequest.read_only path {path} does not exist")
    cwd = request.cwd or request.scratch
    if not any(cwd == root or cwd.is_relative_to(root) for root in (request.scratch, *request.read_only)):
        raise ValueError(f"SandboxRequest.cwd {cwd} is neither the scratch dir nor under a read-only path")
    for name in request.files:
        relative = Path(name)
        if relative.is_absolute() or not relative.parts or ".." in relative.parts:
            raise ValueError(f"SandboxRequest.files name {name!r} must be a relative path inside scratch")


def prepare_scratch(request: SandboxRequest) -> tuple[Path, Path]:
    """Create the scratch dir, write `request.files` into it; returns (home, tmp) inside it.

    A file is never written through a symlink left in scratch by an earlier run.
    """
    scratch = request.scratch
    scratch.mkdir(parents=True, exist_ok=True)
    real_scratch = scratch.resolve()
    home, tmp = scratch / ".home", scratch / ".tmp"
    for directory in (home, tmp):
        if directory.is_symlink():
            directory.unlink()
        directory.mkdir(exist_ok=True)
    for name, data in request.files.items():
        target = scratch / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.parent.resolve().is_relative_to(real_scratch):
            raise ValueError(f"SandboxRequest.files name {name!r} leads out of scratch through a symlink")
        if target.is_symlink():
            target.unlink()
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    return home, tmp


def hand_over_scratch(scratch: Path) -> None:
    """Make the scratch tree writable by the sandbox uid: chown it (and let others enter its top)
    when we are root, else open its permissions (a rootful container engine maps uid 65534 to a
    real, different user)."""
    as_root = os.geteuid() == 0
    if as_root:  # bwrap enters it (--chdir) as root without CAP_DAC_OVERRIDE: o+x is needed
        os.chmod(scratch, os.stat(scratch).st_mode & 0o7777 | 0o755)
    for dirpath, dirnames, filenames in os.walk(scratch):
        entries = [(dirpath, True)] + [(os.path.join(dirpath, n), False) for n in (*dirnames, *filenames)]
        for path, is_dir in entries:
            if os.path.islink(path):
                continue
            if as_root:
                os.chown(path, SANDBOX_UID, SANDBOX_GID)
            else:
                os.chmod(path, 0o777 if is_dir or os.path.isdir(path) else 0o666)


def child_env(request: SandboxRequest, *, home: Path, tmp: Path) -> dict[str, str]:
    """The complete environment of sandboxed code: nothing of ours, only what it needs.

    Request variables that look like secrets are refused (`ValueError`), as `scrub_env` does.
    """
    bin_dir = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{bin_dir}:{_SYSTEM_PATH}",
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "JAVA_TOOL_OPTIONS": java_options(request.limits),
    }
    checked = scrub_env({}, extra=request.env)
    env.update((key, checked[key]) for key in request.env)
    return env


def java_options(limits: Limits) -> str:
    """JVM flags that fit the address-space limit (a default JVM reserves more than 2 GB of it and
    fails to start under RLIMIT_AS); a request can override them through its env."""
    heap_mb = max(64, (limits.memory_bytes >> 20) // 4)
    return (
        f"-Xmx{heap_mb}m -Xss512k -XX:CompressedClassSpaceSize=32m -XX:ReservedCodeCacheSize=32m "
        "-XX:MaxMetaspaceSize=128m -XX:+UseSerialGC -XX:ActiveProcessorCount=1"
    )


def interpreter_paths() -> tuple[Path, ...]:
    """Directories (or the file) that make `sys.executable` and its packages work inside.

    The venv (`sys.prefix`), the Python it was made from (`sys.base_prefix`) and the real path of
    the interpreter; paths inside another listed path are dropped.
    """
    candidates = [Path(sys.prefix), Path(sys.base_prefix)]
    real = Path(os.path.realpath(sys.executable))
    if not any(real.is_relative_to(c) for c in candidates):
        candidates.append(real)
    return _outermost(candidates)


def _outermost(paths: list[Path]) -> tuple[Path, ...]:
    kept: list[Path] = []
    for path in sorted(set(paths), key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(k) for k in kept):
            kept.append(path)
    return tuple(kept)


def address_space_bytes(limits: Limits) -> int:
    """RLIMIT_AS: room for the large virtual reservations of Go, V8 and the JVM (which fail to start
    under an address-space cap near their real use), still bounding shared anonymous memory."""
    return 2 * limits.memory_bytes + (1 << 30)


def rlimit_values(limits: Limits) -> dict[int, tuple[int, int]]:
    """(soft, hard) per resource. Memory is capped as data (heap and private writable mappings,
    what programs actually use) plus a looser address-space cap. CPU: SIGXCPU at the limit,
    SIGKILL one second later."""
    address_space = address_space_bytes(limits)
    return {
        resource.RLIMIT_CPU: (limits.cpu_seconds, limits.cpu_seconds + 1),
        resource.RLIMIT_DATA: (limits.memory_bytes, limits.memory_bytes),
        resource.RLIMIT_AS: (address_space, address_space),
        resource.RLIMIT_FSIZE: (limits.file_size_bytes, limits.file_size_bytes),
        resource.RLIMIT_NPROC: (limits.processes, limits.processes),
        resource.RLIMIT_CORE: (0, 0),
    }


def _signal_of(returncode: int, *, shell_style: bool) -> int:
    """The signal that ended the process, or 0. `shell_style`: the launcher reports 128+N."""
    if returncode < 0:
        return -returncode
    if shell_style and 128 < returncode < 128 + signal.NSIG:
        return returncode - 128
    return 0


def _stop_reason(proc: ProcResult, limits: Limits, sig: int) -> StopReason:
    if proc.truncated:
        return StopReason.OUTPUT_CAP
    if proc.timed_out:
        return StopReason.TIMEOUT
    # SIGXCPU comes only from the soft limit; SIGKILL from the hard one, a second later
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and proc.cpu_seconds >= 0.9 * limits.cpu_seconds):
        return StopReason.CPU
    if proc.returncode != 0 and _OUT_OF_MEMORY.search(proc.stderr[:4096] + proc.stderr[-4096:]):
        return StopReason.MEMORY
    if sig == signal.SIGKILL and proc.peak_memory_bytes >= 0.9 * limits.memory_bytes:
        return StopReason.MEMORY
    if sig:
        return StopReason.KILLED
    return StopReason.EXIT


def to_result(proc: ProcResult, limits: Limits, *, backend: str, shell_style: bool = False) -> SandboxResult:
    """Classify why the run stopped; a signal is reported as a negative exit code (like `subprocess`)."""
    sig = _signal_of(proc.returncode, shell_style=shell_style)
    return SandboxResult(
        exit_code=-sig if sig else proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        stop_reason=_stop_reason(proc, limits, sig),
        wall_seconds=proc.seconds,
        cpu_seconds=proc.cpu_seconds,
        peak_memory_bytes=proc.peak_memory_bytes,
        truncated=proc.truncated,
        backend=backend,
    )
