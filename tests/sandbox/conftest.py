"""Fixtures for the sandbox suites: each backend this machine has, a real git worktree to mount."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from core.sandbox import BwrapSandbox, DockerSandbox, RlimitsSandbox, Sandbox, available_backends


@pytest.fixture(scope="session")
def backends_here() -> tuple[str, ...]:
    return available_backends()


def make_sandbox(name: str, available: tuple[str, ...]) -> Sandbox:
    """The backend `name`; docker without an engine is the one allowed skip."""
    if name == "docker":
        if "docker" not in available:
            pytest.skip("no Docker engine answers on this machine (docker.from_env() fails)")
        return DockerSandbox()
    if name == "bwrap":
        assert "bwrap" in available, "bubblewrap must work here: install it (apt-get install bubblewrap)"
        return BwrapSandbox()
    return RlimitsSandbox()


@pytest.fixture(params=["docker", "bwrap", "rlimits"])
def sandbox(request: pytest.FixtureRequest, backends_here: tuple[str, ...]) -> Sandbox:
    return make_sandbox(str(request.param), backends_here)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


@pytest.fixture
def worktree(tmp_path: Path) -> Path:
    """A git repo with a passing test suite and a protected/ dir, checked out as a worktree."""
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "protected").mkdir()
    (repo / "protected" / "policy.toml").write_text("sealed = true\n")
    (repo / "tests" / "test_ok.py").write_text(
        "import os\n\n\ndef test_env():\n    assert os.environ['PYTHONDONTWRITEBYTECODE'] == '1'\n\n\n"
        "def test_math():\n    assert 2 + 2 == 4\n"
    )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init")
    tree = tmp_path / "candidate"
    git(repo, "worktree", "add", "-q", str(tree), "-b", "candidate")
    return tree


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    path = tmp_path / "scratch"
    path.mkdir()
    return path
