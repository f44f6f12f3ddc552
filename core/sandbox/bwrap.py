"""The bubblewrap backend: a private mount, pid, network, ipc and uts namespace per run.

Inside, only the system directories (`/usr`, the `/lib*` links, a short list of `/etc`), the
interpreter and venv, the request's read-only paths and its one writable scratch dir exist;
the root and `/dev` are read-only, `/tmp` and `/dev/shm` are small fresh tmpfs (an eighth of the
memory limit each, so they cannot become a way around it), the network namespace holds only a
loopback, and everything runs as uid/gid 65534 with no capabilities; the rlimits are set after
the uid drop by the measuring helper (`core.sandbox.measure`), which also reports the command's
exit status and usage.

Two ways of getting to uid 65534, because `RLIMIT_NPROC` does not bind the kernel's root user:
- *user-namespace mode* (a non-root caller): `--unshare-all --uid 65534`; the sandbox uid maps to
  the caller's uid, whose per-namespace process count `RLIMIT_NPROC` limits.
- *privileged mode* (the caller is root): a user namespace would map uid 65534 back to root, where
  `RLIMIT_NPROC` never holds. Instead bwrap keeps only CAP_SETUID/SETGID/SETPCAP and `setpriv`
  switches to the real uid 65534, clears the groups, the bounding set and sets no-new-privs.
  The scratch dir is chowned to 65534 so it stays writable; read-only paths must be
  world-readable (they are when git or `mkdir` made them with the usual umask). The process
  count is then that of the real uid 65534, shared by concurrent runs (and any `nobody` daemon).
  A seccomp filter (`core.sandbox.seccomp`) refuses new user namespaces in both modes.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from core.errors import RatchetError
from core.procs import run_process
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
from core.sandbox.measure import measured_argv, read_report
from core.sandbox.seccomp import seccomp_fd

__all__ = ["BwrapSandbox", "BwrapUnavailable", "bwrap_argv", "system_binds"]

logger = logging.getLogger(__name__)

#: top-level system paths: bound read-only when a directory, recreated when a symlink (usr-merge)
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/opt")
#: what of /etc programs and toolchains read; never shadow, sudoers, ssh keys or the like
_ETC = (
    "alternatives",
    "ca-certificates",
    "group",
    "host.conf",
    "hosts",
    "java-17-openjdk",
    "java-21-openjdk",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "mime.types",
    "nsswitch.conf",
    "os-release",
    "passwd",
    "perl",
    "resolv.conf",
    "ssl",
    "timezone",
)
_KEEP_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP")


class BwrapUnavailable(RatchetError):
    """bubblewrap (or a helper it needs) is missing; the message says what to install."""


def system_binds(root: Path = Path("/")) -> tuple[tuple[str, str, str], ...]:
    """(kind, source, dest) for the host's system paths: kind is "ro-bind" or "symlink"."""
    binds: list[tuple[str, str, str]] = []
    for top in _SYSTEM_DIRS:
        host = root / top.lstrip("/")
        if host.is_symlink():
            binds.append(("symlink", os.readlink(host), top))
        elif host.is_dir():
            binds.append(("ro-bind", str(host), top))
    for name in _ETC:
        host = root / "etc" / name
        if host.exists():
            binds.append(("ro-bind", str(host), f"/etc/{name}"))
    return tuple(binds)


def _under(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def _mount_args(
    read_only: Iterable[Path], scratch: Path, system: tuple[tuple[str, str, str], ...]
) -> list[str]:
    """Mount arguments in an order bwrap accepts: parents before children, each parent dir made 0755.

    bwrap would create missing parents with mode 0700, which uid 65534 cannot enter.
    """
    args = ["--perms", "0755", "--dir", "/etc"]
    system_dests = [Path(dest) for _, _, dest in system]
    for kind, source, dest in system:
        args += [f"--{kind}", source, dest]
    mount_points = [Path("/proc"), Path("/dev"), Path("/dev/shm"), Path("/tmp"), Path("/etc"), *system_dests]
    binds = [(p, "--ro-bind") for p in read_only if not _under(p, system_dests)]
    binds.append((scratch, "--bind"))
    made: set[Path] = set()
    done: list[Path] = []
    for path, flag in sorted(binds, key=lambda b: (len(b[0].parts), str(b[0]))):
        for parent in reversed(path.parents):
            if parent == Path("/") or parent in made or parent in mount_points or _under(parent, done):
                continue
            args += ["--perms", "0755", "--dir", str(parent)]
            made.add(parent)
        args += [flag, str(path), str(path)]
        done.append(path)
    return args


def bwrap_argv(
    request: SandboxRequest,
    *,
    env: Mapping[str, str],
    bwrap: str,
    python: str,
    report_fd: int,
    setpriv: str | None,
    seccomp_fd: int | None = None,
    system: tuple[tuple[str, str, str], ...],
    extra_read_only: tuple[Path, ...] = (),
) -> list[str]:
    """The full command line for one run. `setpriv` given: privileged mode, else user-namespace mode."""
    argv = [bwrap]
    if setpriv is None:
        argv += ["--unshare-all", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID), "--cap-drop", "ALL"]
        argv += ["--unshare-user", "--disable-userns"]
    else:
        argv += ["--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"]
        argv += [] if request.network else ["--unshare-net"]
        argv += ["--cap-drop", "ALL"]
        for cap in _KEEP_CAPS:
            argv += ["--cap-add", cap]
    if request.network and setpriv is None:
        argv.append("--share-net")
    argv += ["--die-with-parent", "--new-session", "--clearenv", "--hostname", "sandbox"]
    if seccomp_fd is not None:
        argv += ["--add-seccomp-fd", str(seccomp_fd)]
    for key, value in sorted(env.items()):
        argv += ["--setenv", key, value]
    tmpfs_size = str(max(request.limits.memory_bytes // 8, 16 << 20))
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--size", tmpfs_size, "--perms", "1777", "--tmpfs", "/dev/shm"]
    argv += ["--size", tmpfs_size, "--perms", "1777", "--tmpfs", "/tmp"]
    argv += _mount_args((*extra_read_only, *request.read_only), request.scratch, system)
    argv += ["--remount-ro", "/dev", "--remount-ro", "/"]
    argv += ["--chdir", str(request.cwd or request.scratch)]
    if setpriv is not None:
        argv += [setpriv, f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_GID}", "--clear-groups"]
        argv += ["--bounding-set=-all", "--inh-caps=-all", "--no-new-privs", "--"]
    argv += measured_argv(python, report_fd, request.limits, request.argv)
    return argv


class BwrapSandbox:
    """Runs each request under bubblewrap (see the module docstring for the two modes)."""

    name = "bwrap"

    def __init__(self, *, privileged: bool | None = None, bwrap: str | None = None) -> None:
        found = bwrap or shutil.which("bwrap")
        if found is None:
            raise BwrapUnavailable(
                "bubblewrap is not installed; install the `bubblewrap` package (apt-get install bubblewrap)"
            )
        self._bwrap = found
        self._python = os.path.realpath(sys.executable)
        self.privileged = os.geteuid() == 0 if privileged is None else privileged
        self._setpriv: str | None = None
        if self.privileged:
            self._setpriv = shutil.which("setpriv", path="/usr/bin:/bin")
            if self._setpriv is None:
                raise BwrapUnavailable(
                    "setpriv is missing (ratchet runs as root and needs it); install util-linux"
                )
        self._system = system_binds()

    def argv(
        self, request: SandboxRequest, env: Mapping[str, str], report_fd: int, seccomp: int | None = None
    ) -> list[str]:
        return bwrap_argv(
            request,
            env=env,
            bwrap=self._bwrap,
            python=self._python,
            report_fd=report_fd,
            seccomp_fd=seccomp,
            setpriv=self._setpriv,
            system=self._system,
            extra_read_only=interpreter_paths(),
        )

    def run(self, request: SandboxRequest) -> SandboxResult:
        validate_request(request)
        home, tmp = prepare_scratch(request)
        if self.privileged:
            hand_over_scratch(request.scratch)
        env = child_env(request, home=home, tmp=tmp)
        report_r, report_w = os.pipe()
        seccomp = seccomp_fd()
        passed = (report_w,) if seccomp is None else (report_w, seccomp)
        try:
            proc = run_process(
                self.argv(request, env, report_w, seccomp),
                cwd=request.scratch,
                timeout=request.limits.wall_seconds,
                env={},
                stdin=request.stdin,
                output_limit=request.limits.output_bytes,
                pass_fds=passed,
            )
        except BaseException:
            os.close(report_r)
            raise
        finally:
            for fd in passed:
                os.close(fd)
        report = read_report(report_r)
        if report is None:
            if proc.returncode == 1 and proc.stderr.startswith("bwrap: "):
                logger.warning("bwrap could not start the sandbox: %s", proc.stderr.strip())
            return to_result(proc, request.limits, backend=self.name, shell_style=True)
        measured = replace(
            proc,
            returncode=report.exit_code,
            cpu_seconds=report.cpu_seconds,
            peak_memory_bytes=report.peak_memory_bytes,
        )
        return to_result(measured, request.limits, backend=self.name)
