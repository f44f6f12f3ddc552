"""Where things live in a workspace (a git repo with ratchet's fixed layout)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from core.errors import RatchetError

__all__ = ["LAYOUT", "NotAWorkspace", "Workspace"]

logger = logging.getLogger(__name__)

#: the fixed top-level layout of every workspace
LAYOUT = ("pyproject.toml", "core", "mutable", "protected", "checkpoints", "evals", "tests", ".agent")


class NotAWorkspace(RatchetError):
    """The path is not a ratchet workspace; the message says how to make one."""


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def at(cls, path: Path | str) -> Workspace:
        """The workspace at `path` (or the nearest parent that is one)."""
        start = Path(path).resolve()
        for candidate in (start, *start.parents):
            if (candidate / "mutable").is_dir() and (candidate / "protected").is_dir():
                if not (candidate / ".git").exists():
                    raise NotAWorkspace(f"{candidate} has ratchet's layout but is not a git repo")
                return cls(candidate)
        raise NotAWorkspace(
            f"{start} is not a ratchet workspace (no mutable/ and protected/ found); "
            f"create one with `ratchet init DIR` or pass --repo"
        )

    # --- tracked ---------------------------------------------------------------------------
    @property
    def mutable(self) -> Path:
        return self.root / "mutable"

    @property
    def protected(self) -> Path:
        return self.root / "protected"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def evals(self) -> Path:
        return self.root / "evals"

    @property
    def tests(self) -> Path:
        return self.root / "tests"

    @property
    def policy_path(self) -> Path:
        return self.protected / "policy.toml"

    @property
    def seal_path(self) -> Path:
        return self.protected / "SEAL.json"

    # --- untracked state under .agent/ -----------------------------------------------------
    @property
    def agent_dir(self) -> Path:
        return self.root / ".agent"

    @property
    def config_path(self) -> Path:
        return self.agent_dir / "config.toml"

    @property
    def audit_path(self) -> Path:
        return self.agent_dir / "audit.jsonl"

    @property
    def journal_path(self) -> Path:
        return self.agent_dir / "journal.json"

    @property
    def lock_path(self) -> Path:
        return self.agent_dir / "lock"

    @property
    def worktrees(self) -> Path:
        return self.agent_dir / "worktrees"

    @property
    def memory_dir(self) -> Path:
        return self.agent_dir / "memory"

    @property
    def cache_dir(self) -> Path:
        return self.agent_dir / "cache"

    @property
    def scratch_dir(self) -> Path:
        return self.agent_dir / "scratch"

    @property
    def inbox_dir(self) -> Path:
        return self.agent_dir / "inbox"

    @property
    def ledger_path(self) -> Path:
        return self.agent_dir / "ledger.jsonl"

    @property
    def log_path(self) -> Path:
        return self.agent_dir / "ratchet.log"

    @property
    def state_path(self) -> Path:
        return self.agent_dir / "state.json"

    @property
    def goals_path(self) -> Path:
        return self.agent_dir / "goals.jsonl"

    @property
    def notes_path(self) -> Path:
        return self.agent_dir / "notes.jsonl"

    def ensure_state_dirs(self) -> None:
        for d in (self.agent_dir, self.worktrees, self.cache_dir, self.scratch_dir, self.inbox_dir):
            d.mkdir(parents=True, exist_ok=True)
