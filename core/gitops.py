"""Git plumbing for the cycle: a thin wrapper that runs git through `core.procs.run_process`.

Candidate worktrees live under `.agent/worktrees/`, on branches `ratchet/candidate/<id>`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import RatchetError
from core.procs import ProcResult, run_process

__all__ = ["CANDIDATE_PREFIX", "GitError", "GitRepo", "StatusEntry"]

logger = logging.getLogger(__name__)

CANDIDATE_PREFIX = "ratchet/candidate/"

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "ratchet",
    "GIT_AUTHOR_EMAIL": "ratchet@localhost",
    "GIT_COMMITTER_NAME": "ratchet",
    "GIT_COMMITTER_EMAIL": "ratchet@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
}


class GitError(RatchetError):
    """A git command failed; the message carries the command and git's own words."""


@dataclass(frozen=True)
class StatusEntry:
    code: str  # two-letter porcelain code ("??" untracked, "!!" ignored, " M", "D ", ...)
    path: str


@dataclass(frozen=True)
class GitRepo:
    root: Path

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
        env.setdefault("HOME", str(self.root))
        env.update(_GIT_ENV)
        return env

    def run(self, *args: str, check: bool = True, timeout: float = 60.0, stdin: bytes = b"") -> ProcResult:
        result = run_process(
            ("git", "-c", "core.hooksPath=/dev/null", *args),
            cwd=self.root,
            timeout=timeout,
            env=self._env(),
            stdin=stdin,
        )
        if check and not result.ok:
            raise GitError(f"`git {' '.join(args)}` failed in {self.root}: {result.output or 'no output'}")
        return result

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    # --- refs ------------------------------------------------------------------------------
    def head(self) -> str:
        return self.out("rev-parse", "HEAD")

    def rev(self, ref: str) -> str | None:
        result = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return result.stdout.strip() if result.ok else None

    def current_branch(self) -> str | None:
        result = self.run("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        return result.stdout.strip() if result.ok else None

    def branches(self, pattern: str) -> list[str]:
        text = self.out("for-each-ref", "--format=%(refname:short)", f"refs/heads/{pattern}")
        return [line for line in text.splitlines() if line]

    def tags(self, pattern: str) -> dict[str, str]:
        fmt = "--format=%(refname:short) %(*objectname) %(objectname)"
        text = self.out("for-each-ref", fmt, f"refs/tags/{pattern}")
        tags: dict[str, str] = {}
        for line in text.splitlines():
            name, *shas = line.split()
            tags[name] = shas[0]  # peeled commit for annotated tags, else the object itself
        return tags

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        return self.run("merge-base", "--is-ancestor", ancestor, descendant, check=False).returncode == 0

    # --- working tree ----------------------------------------------------------------------
    def status(self, *, ignored: bool = False, paths: Sequence[str] = ()) -> list[StatusEntry]:
        # a read: never take the index lock (a human may be committing at the same moment)
        args = ["--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all"]
        if ignored:
            args.append("--ignored=matching")
        text = self.run(*args, "--", *paths).stdout
        entries: list[StatusEntry] = []
        parts = iter(text.split("\0"))
        for part in parts:
            if not part:
                continue
            code, path = part[:2], part[3:]
            if code[0] in "RC":
                next(parts, None)  # the rename source follows
            entries.append(StatusEntry(code=code, path=path))
        return entries

    def is_dirty(self) -> list[StatusEntry]:
        return [e for e in self.status() if e.code != "!!"]

    def write_tree(self) -> str:
        self.run("add", "-A", ".")
        return self.out("write-tree")

    def diff_names(self, a: str, b: str) -> list[str]:
        return [p for p in self.out("diff", "--name-only", "--no-renames", a, b).splitlines() if p]

    # --- worktrees -------------------------------------------------------------------------
    def add_worktree(self, path: Path, branch: str, base: str) -> GitRepo:
        self.run("worktree", "add", "--quiet", "-b", branch, str(path), base)
        return GitRepo(path)

    def remove_worktree(self, path: Path) -> None:
        if path.exists():
            self.run("worktree", "remove", "--force", "--force", str(path), check=False)
        self.run("worktree", "prune", check=False)

    def delete_branch(self, branch: str) -> None:
        self.run("branch", "-D", branch, check=False)
