"""A small seccomp filter for the bwrap sandbox: no new user namespaces.

Inside a user namespace a process holds every capability over it, which exposes a lot of kernel
code (mounts, netfilter, ...) to sandboxed programs. bwrap's `--disable-userns` covers the
user-namespace mode; in privileged mode (ratchet runs as root) there is no sandbox user namespace
to limit, so this filter refuses `unshare`/`clone` with CLONE_NEWUSER (EPERM) and `clone3`
(ENOSYS: libc then falls back to `clone`, whose flags a classic BPF filter can read). Syscalls
of another ABI (i386 or x32 on x86-64) are refused as a whole, since their numbers differ.

The program is classic BPF for `seccomp(SECCOMP_SET_MODE_FILTER)`, handed to bwrap through
`--add-seccomp-fd`.
"""

from __future__ import annotations

import errno
import logging
import os
import platform
import struct
from dataclasses import dataclass

__all__ = ["CLONE_NEWUSER", "SyscallTable", "no_userns_filter", "seccomp_fd", "syscall_table"]

logger = logging.getLogger(__name__)

CLONE_NEWUSER = 0x10000000

_LD_ABS_W = 0x20
_JEQ = 0x15
_JGE = 0x35
_JSET = 0x45
_RET = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_X32_BIT = 0x40000000
# offsets into struct seccomp_data {int nr; u32 arch; u64 ip; u64 args[6]} (little-endian)
_NR, _ARCH, _ARG0_LOW = 0, 4, 16


@dataclass(frozen=True)
class SyscallTable:
    audit_arch: int
    unshare: int
    clone: int
    clone3: int


_TABLES = {
    "x86_64": SyscallTable(audit_arch=0xC000003E, unshare=272, clone=56, clone3=435),
    "aarch64": SyscallTable(audit_arch=0xC00000B7, unshare=97, clone=220, clone3=435),
}


def syscall_table(machine: str | None = None) -> SyscallTable | None:
    """Numbers for this machine's architecture; None where no table is known."""
    return _TABLES.get(machine or platform.machine())


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def no_userns_filter(table: SyscallTable) -> bytes:
    """The BPF program (8 bytes per instruction)."""
    eperm, enosys = _RET_ERRNO | errno.EPERM, _RET_ERRNO | errno.ENOSYS
    # jump offsets count instructions after the current one
    program = [
        _op(_LD_ABS_W, _ARCH),  # 0
        _op(_JEQ, table.audit_arch, 0, 10),  # 1: another ABI -> 12
        _op(_LD_ABS_W, _NR),  # 2
        _op(_JGE, _X32_BIT, 8, 0),  # 3: x32 -> 12
        _op(_JEQ, table.clone3, 7, 0),  # 4: clone3 -> 12
        _op(_JEQ, table.unshare, 2, 0),  # 5: -> 8
        _op(_JEQ, table.clone, 1, 0),  # 6: -> 8
        _op(_RET, _RET_ALLOW),  # 7
        _op(_LD_ABS_W, _ARG0_LOW),  # 8: the flags
        _op(_JSET, CLONE_NEWUSER, 1, 0),  # 9: -> 11
        _op(_RET, _RET_ALLOW),  # 10
        _op(_RET, eperm),  # 11
        _op(_RET, enosys),  # 12
    ]
    return b"".join(program)


def seccomp_fd() -> int | None:
    """A memfd holding the filter for this machine (the caller closes it), or None if unknown."""
    table = syscall_table()
    if table is None:
        logger.warning(
            "no seccomp syscall table for %s: nested user namespaces stay allowed", platform.machine()
        )
        return None
    fd = os.memfd_create("ratchet-seccomp")
    os.write(fd, no_userns_filter(table))
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
