"""The one function every subprocess goes through: timeout, output cap, scrubbed env, group kill.

Trusted tools (git, ruff, mypy) run through `run_process` directly; agent-controlled code runs
through a `core.sandbox.Sandbox`, whose backends are built on this same function.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import resource
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SECRET_NAME",
    "ProcResult",
    "kill_running",
    "run_process",
    "scrub_env",
]

logger = logging.getLogger(__name__)

#: Environment variable names that may hold credentials; never passed to a child.
SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)", re.IGNORECASE)

_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TERM", "TMPDIR", "USER", "PYTHONPATH", "VIRTUAL_ENV")


@dataclass(frozen=True)
class ProcResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    truncated: bool = False
    #: user + system CPU of the process and the descendants it waited for (from wait4)
    cpu_seconds: float = 0.0
    #: peak resident set size of the process or any waited-for descendant (from wait4)
    peak_memory_bytes: int = 0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def output(self) -> str:
        return (self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).strip()


def scrub_env(
    env: Mapping[str, str] | None = None, *, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A minimal environment: well-known variables only, never anything that looks secret."""
    source = os.environ if env is None else env
    clean = {k: v for k, v in source.items() if k in _KEEP and not SECRET_NAME.search(k)}
    clean.setdefault("PATH", os.defpath)
    for key, value in (extra or {}).items():
        if SECRET_NAME.search(key):
            raise ValueError(f"refusing to pass {key!r} to a child process: it looks like a secret")
        clean[key] = value
    return clean


_LIVE: set[int] = set()
_LIVE_LOCK = threading.Lock()


def kill_running() -> int:
    """Kill every process group `run_process` has running now (used to abort a candidate)."""
    with _LIVE_LOCK:
        groups = list(_LIVE)
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    return len(groups)


#: after the main process exits, how long to keep reading output its group left in the pipes
_DRAIN_SECONDS = 1.0
_STDIN, _EXITED = -1, 0


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _reap(pid: int, *, block: bool) -> tuple[int, resource.struct_rusage] | None:
    """`wait4` the child: (exit code as `subprocess` reports it, its rusage), or None while it runs."""
    wpid, status, usage = os.wait4(pid, 0 if block else os.WNOHANG)
    if wpid == 0:
        return None
    return os.waitstatus_to_exitcode(status), usage


def _exit_fd(pid: int) -> int | None:
    """A pidfd that becomes readable when `pid` exits (None on kernels without pidfd_open)."""
    try:
        return os.pidfd_open(pid)
    except OSError:
        return None


def run_process(
    argv: Sequence[str],
    *,
    cwd: Path | str,
    timeout: float,
    env: Mapping[str, str] | None = None,
    stdin: bytes = b"",
    output_limit: int = 1 << 20,
    preexec: Callable[[], None] | None = None,
    pass_fds: Sequence[int] = (),
) -> ProcResult:
    """Run `argv` in its own session; kill the whole process group on timeout or output cap.

    `env` is used as given (callers pass `scrub_env(...)`); `None` means a scrubbed copy of ours.
    Output beyond `output_limit` bytes per stream is dropped and the run stopped (`truncated`).
    `pass_fds` stay open in the child (the sandbox reads a measurement report from one).
    The run ends when the process exits (a background child holding the pipes does not keep it
    going); whatever is left of its process group is killed then. CPU time and peak memory come
    from `wait4`.
    """
    started = time.monotonic()
    proc = subprocess.Popen(
        list(argv),
        cwd=str(cwd),
        env=dict(env) if env is not None else scrub_env(),
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=preexec,
        pass_fds=tuple(pass_fds),
    )
    with _LIVE_LOCK:
        _LIVE.add(proc.pid)
    chunks: dict[int, list[bytes]] = {1: [], 2: []}
    sizes = {1: 0, 2: 0}
    timed_out = truncated = False
    pending = memoryview(stdin)
    reaped: tuple[int, resource.struct_rusage] | None = None
    exited_at = 0.0
    deadline = started + timeout
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    sel.register(proc.stdout, selectors.EVENT_READ, 1)
    sel.register(proc.stderr, selectors.EVENT_READ, 2)
    if proc.stdin is not None:
        os.set_blocking(proc.stdin.fileno(), False)
        sel.register(proc.stdin, selectors.EVENT_WRITE, _STDIN)
    pidfd = _exit_fd(proc.pid)
    if pidfd is not None:
        sel.register(pidfd, selectors.EVENT_READ, _EXITED)
    try:
        while True:
            now = time.monotonic()
            if reaped is None and now >= deadline:
                timed_out = True
                _kill_group(proc.pid)
                break
            reading = any(key.data in (1, 2) for key in sel.get_map().values())
            if reaped is not None and (not reading or now >= exited_at + _DRAIN_SECONDS):
                break
            wait = min(deadline - now, 0.5 if pidfd is not None else 0.02)
            if reaped is not None:
                wait = min(wait, exited_at + _DRAIN_SECONDS - now)
            for key, _ in sel.select(timeout=max(wait, 0.0)):
                if key.data == _EXITED:
                    sel.unregister(key.fileobj)
                elif key.data == _STDIN:
                    try:
                        written = os.write(key.fd, pending[:65536])
                    except BlockingIOError:
                        written = 0
                    except BrokenPipeError:
                        written = len(pending)
                    pending = pending[written:]
                    if not pending:
                        sel.unregister(key.fileobj)
                        key.fileobj.close()  # type: ignore[union-attr]
                else:
                    data = os.read(key.fd, 65536)
                    if not data:
                        sel.unregister(key.fileobj)
                        continue
                    stream = int(key.data)
                    room = output_limit - sizes[stream]
                    if room > 0:
                        chunks[stream].append(data[:room])
                    sizes[stream] += len(data)
                    if sizes[stream] > output_limit:
                        truncated = True
            if truncated and reaped is None:
                _kill_group(proc.pid)
                break
            if reaped is None:
                reaped = _reap(proc.pid, block=False)
                if reaped is not None:
                    exited_at = time.monotonic()
                    _kill_group(proc.pid)  # leftovers of the group must not hold the pipes open
    finally:
        sel.close()
        if pidfd is not None:
            os.close(pidfd)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    _kill_group(proc.pid)  # nothing of the group may outlive the call
    while reaped is None:
        reaped = _reap(proc.pid, block=True)
    returncode, usage = reaped
    proc.returncode = returncode
    with _LIVE_LOCK:
        _LIVE.discard(proc.pid)
    return ProcResult(
        argv=tuple(argv),
        returncode=returncode,
        stdout=b"".join(chunks[1]).decode("utf-8", "replace"),
        stderr=b"".join(chunks[2]).decode("utf-8", "replace"),
        seconds=time.monotonic() - started,
        timed_out=timed_out,
        truncated=truncated,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_memory_bytes=usage.ru_maxrss * 1024,
    )
