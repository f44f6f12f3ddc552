"""The sealed manifest of `protected/`: sha256 of every file, checked at start and before commit."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.errors import SealBroken
from core.gitops import GitRepo

__all__ = [
    "SEAL_NAME",
    "SealStatus",
    "branch_seal_status",
    "check_seal",
    "committed_seal_status",
    "hash_protected",
    "require_seal",
    "seal_protected",
]

logger = logging.getLogger(__name__)

SEAL_NAME = "SEAL.json"


@dataclass(frozen=True)
class SealStatus:
    ok: bool
    changed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    error: str = ""

    def describe(self) -> str:
        if self.ok:
            return "protected/ matches its seal"
        if self.error:
            return self.error
        parts = []
        for label, names in (("changed", self.changed), ("missing", self.missing), ("added", self.added)):
            if names:
                parts.append(f"{label}: {', '.join(names)}")
        return "protected/ does not match its seal (" + "; ".join(parts) + ")"


def hash_protected(protected: Path) -> dict[str, str]:
    """sha256 of every file under protected/ (except the seal itself), by relative path."""
    digests: dict[str, str] = {}
    for path in sorted(protected.rglob("*")):
        rel = path.relative_to(protected).as_posix()
        if rel == SEAL_NAME or path.is_dir():
            continue
        if path.is_symlink():
            digests[rel] = "symlink:" + str(path.readlink())
            continue
        digests[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def seal_protected(protected: Path, *, by: str = "human") -> dict[str, str]:
    """Write protected/SEAL.json for the files as they are now. Only a human does this."""
    digests = hash_protected(protected)
    body = {"sealed_at": datetime.now(UTC).isoformat(timespec="seconds"), "by": by, "files": digests}
    (protected / SEAL_NAME).write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return digests


def check_seal(protected: Path) -> SealStatus:
    seal_file = protected / SEAL_NAME
    try:
        sealed = json.loads(seal_file.read_text(encoding="utf-8"))["files"]
    except FileNotFoundError:
        return SealStatus(ok=False, error=f"{seal_file} is missing; restore it from git or `ratchet seal`")
    except (json.JSONDecodeError, KeyError, TypeError):
        return SealStatus(ok=False, error=f"{seal_file} is not a valid seal; restore it from git")
    actual = hash_protected(protected)
    changed = tuple(sorted(k for k in sealed if k in actual and actual[k] != sealed[k]))
    missing = tuple(sorted(k for k in sealed if k not in actual))
    added = tuple(sorted(k for k in actual if k not in sealed))
    return SealStatus(ok=not (changed or missing or added), changed=changed, missing=missing, added=added)


def committed_seal_status(repo: GitRepo, ref: str) -> SealStatus:
    """`check_seal` for protected/ as committed at `ref` (no working tree involved)."""
    listing = repo.run("ls-tree", "-r", "-z", ref, "--", "protected/", check=False).stdout
    actual: dict[str, str] = {}
    sealed: dict[str, str] | None = None
    for entry in filter(None, listing.split("\0")):
        meta, _, path = entry.partition("\t")
        mode, _, blob = meta.split(" ")
        data = repo.run("cat-file", "blob", blob).stdout.encode("utf-8")
        rel = path[len("protected/") :]
        if rel == SEAL_NAME:
            try:
                sealed = {str(k): str(v) for k, v in json.loads(data)["files"].items()}
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
                return SealStatus(ok=False, error=f"protected/{SEAL_NAME} at {ref} is not a valid seal")
        elif mode == "120000":
            actual[rel] = "symlink:" + data.decode("utf-8")
        else:
            actual[rel] = hashlib.sha256(data).hexdigest()
    if sealed is None:
        return SealStatus(ok=False, error=f"protected/{SEAL_NAME} is missing at {ref}; run `ratchet seal`")
    changed = tuple(sorted(k for k in sealed if k in actual and actual[k] != sealed[k]))
    missing = tuple(sorted(k for k in sealed if k not in actual))
    added = tuple(sorted(k for k in actual if k not in sealed))
    return SealStatus(ok=not (changed or missing or added), changed=changed, missing=missing, added=added)


def branch_seal_status(repo: GitRepo, protected: Path, branch: str) -> SealStatus:
    """The seal that matters for `branch`: the working tree's when it is checked out (an
    uncommitted edit counts), else protected/ as committed on the branch."""
    if repo.current_branch() == branch or repo.rev(branch) is None:
        return check_seal(protected)
    return committed_seal_status(repo, branch)


def require_seal(status: SealStatus) -> None:
    """Raise `SealBroken` (stopping the loop) unless the seal status is OK."""
    if not status.ok:
        raise SealBroken(
            f"{status.describe()}. The loop refuses to run. If the edit was deliberate, review it and "
            f"run `ratchet seal`; otherwise restore with `git checkout -- protected/`."
        )
