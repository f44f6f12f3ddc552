"""The one function every subprocess goes through: timeout, output cap, scrubbed env, group kill.

Trusted tools (git, ruff, mypy) run through `run_process` directly; agent-controlled code runs
through a `core.sandbox.Sandbox`, whose backends are built on this same function.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SECRET_NAME",
    "ProcResult",
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


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def run_process(
    argv: Sequence[str],
    *,
    cwd: Path | str,
    timeout: float,
    env: Mapping[str, str] | None = None,
    stdin: bytes = b"",
    output_limit: int = 1 << 20,
    preexec: Callable[[], None] | None = None,
) -> ProcResult:
    """Run `argv` in its own session; kill the whole process group on timeout or output cap.

    `env` is used as given (callers pass `scrub_env(...)`); `None` means a scrubbed copy of ours.
    Output beyond `output_limit` bytes per stream is dropped and the run stopped (`truncated`).
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
    )
    if stdin and proc.stdin is not None:
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.write(stdin)
        proc.stdin.close()
    chunks: dict[int, list[bytes]] = {1: [], 2: []}
    sizes = {1: 0, 2: 0}
    timed_out = truncated = False
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    sel.register(proc.stdout, selectors.EVENT_READ, 1)
    sel.register(proc.stderr, selectors.EVENT_READ, 2)
    deadline = started + timeout
    try:
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                _kill_group(proc)
                break
            for key, _ in sel.select(timeout=min(remaining, 0.5)):
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
            if truncated:
                _kill_group(proc)
                break
    finally:
        sel.close()
        proc.stdout.close()
        proc.stderr.close()
    try:
        returncode = proc.wait(timeout=max(0.0, deadline - time.monotonic()) + 1.0)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        returncode = proc.wait()
    _kill_group(proc)  # nothing of the group may outlive the call
    return ProcResult(
        argv=tuple(argv),
        returncode=returncode,
        stdout=b"".join(chunks[1]).decode("utf-8", "replace"),
        stderr=b"".join(chunks[2]).decode("utf-8", "replace"),
        seconds=time.monotonic() - started,
        timed_out=timed_out,
        truncated=truncated,
    )
