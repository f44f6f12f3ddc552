"""The base of every error ratchet reports to a user (message says what is wrong and what to do)."""

from __future__ import annotations

__all__ = ["DirtyWorkspace", "Locked", "RatchetError", "SealBroken"]


class RatchetError(Exception):
    """An expected, user-facing failure: the CLI prints it and exits with status 2."""

    exit_code = 2


class DirtyWorkspace(RatchetError):
    """The working tree has uncommitted changes ratchet would not know how to keep."""


class Locked(RatchetError):
    """Another ratchet process holds the workspace's single-writer lock."""

    exit_code = 3


class SealBroken(RatchetError):
    """`protected/` does not match its sealed manifest."""

    exit_code = 4
