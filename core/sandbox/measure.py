"""The small program that runs first inside a bwrap sandbox: it sets the rlimits, runs the command
and reports the command's exit status, CPU time and peak memory over an inherited pipe.

bwrap's own exit status cannot tell `exit(137)` from SIGKILL, and bwrap does not reap its pid-1
init, so `wait4` on bwrap sees none of the command's usage; this helper's `wait4` does. It runs
as the sandbox uid (after the uid drop) so `RLIMIT_NPROC` holds, and it closes the report pipe
before the command starts, so sandboxed code cannot forge the report.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass

from core.sandbox.base import Limits
from core.sandbox.common import rlimit_values

__all__ = ["MEASURE_SOURCE", "Report", "measured_argv", "read_report"]

logger = logging.getLogger(__name__)

#: run as `python -I -S -c MEASURE_SOURCE FD RES:SOFT:HARD... -- ARGV...` (stdlib only, no site)
MEASURE_SOURCE = """\
import os, resource, sys
split = sys.argv.index("--")
fd, limits, cmd = int(sys.argv[1]), sys.argv[2:split], sys.argv[split + 1:]
for limit in limits:
    res, soft, hard = (int(v) for v in limit.split(":"))
    resource.setrlimit(res, (soft, hard))
os.set_inheritable(fd, False)
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    except OSError as exc:
        os.write(2, ("sandbox: cannot run %s: %s\\n" % (cmd[0], exc.strerror)).encode())
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
os.write(fd, ("%d %r %d\\n" % (status, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)).encode())
code = os.waitstatus_to_exitcode(status)
os._exit(code if code >= 0 else 128 - code)
"""


@dataclass(frozen=True)
class Report:
    """What the helper saw: the command's exit code (negative: killed by that signal) and usage."""

    exit_code: int
    cpu_seconds: float
    peak_memory_bytes: int


def measured_argv(python: str, fd: int, limits: Limits, argv: tuple[str, ...]) -> list[str]:
    """The helper's command line, wrapping `argv`."""
    pairs = [f"{res}:{soft}:{hard}" for res, (soft, hard) in rlimit_values(limits).items()]
    return [python, "-I", "-S", "-c", MEASURE_SOURCE, str(fd), *pairs, "--", *argv]


def read_report(fd: int) -> Report | None:
    """The report from the read end of the pipe (closed here); None if the helper never wrote one
    (the sandbox was killed on timeout or output cap, or bwrap failed to start)."""
    os.set_blocking(fd, False)
    data = b""
    with contextlib.suppress(BlockingIOError):
        while chunk := os.read(fd, 4096):
            data += chunk
            if len(data) > 4096:
                break
    os.close(fd)
    fields = data.decode("ascii", "replace").split()
    if len(fields) != 3:
        return None
    try:
        status, cpu, maxrss = int(fields[0]), float(fields[1]), int(fields[2])
    except ValueError:
        logger.warning("unreadable sandbox measurement report: %r", data[:200])
        return None
    return Report(os.waitstatus_to_exitcode(status), cpu, maxrss * 1024)
