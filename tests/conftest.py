"""Shared fixtures: real workspaces made by `ratchet init` under a temp dir, never the checkout."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _guard_checkout(path: Path) -> None:
    """No test may use the project checkout as a workspace."""
    resolved = path.resolve()
    assert resolved != PROJECT_ROOT and PROJECT_ROOT not in resolved.parents, (
        f"a test tried to use {resolved}, inside the project checkout, as a workspace"
    )


@pytest.fixture(scope="session")
def seed_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `ratchet init` per test session; tests get copies of it."""
    from core.init import init_workspace

    root = tmp_path_factory.mktemp("template") / "ws"
    init_workspace(root)
    return root


MINI_SEED = Path(__file__).resolve().parent / "fixtures" / "mini_seed"


@pytest.fixture(scope="session")
def mini_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace of the tiny test agent (tests/fixtures/mini_seed), made by `init_workspace`."""
    from core.init import init_workspace

    root = tmp_path_factory.mktemp("mini-template") / "ws"
    init_workspace(root, seed=MINI_SEED)
    return root


@pytest.fixture
def mini(mini_template: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh copy of the tiny-agent workspace."""
    from core.workspace import Workspace

    dest = tmp_path / "mini"
    shutil.copytree(mini_template, dest, symlinks=True)
    _guard_checkout(dest)
    return Workspace(dest)


@pytest.fixture
def workspace_root(seed_template: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "ws"
    shutil.copytree(seed_template, dest, symlinks=True)
    _guard_checkout(dest)
    return dest


@pytest.fixture
def workspace(workspace_root: Path):  # type: ignore[no-untyped-def]
    from core.workspace import Workspace

    return Workspace(workspace_root)


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file in the working tree except .git/ and .agent/ (byte-identity checks)."""
    digests = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith((".git/", ".agent/")) or rel in (".git", ".agent") or path.is_dir():
            continue
        digests[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout.strip()


def run_cli(
    root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """The real `ratchet` command, in a subprocess, on the workspace at `root`."""
    _guard_checkout(root)
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "core.cli", "--repo", str(root), *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


@pytest.fixture
def cli(workspace_root: Path) -> Iterator[object]:
    def call(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run_cli(workspace_root, *args, env=env)

    yield call
