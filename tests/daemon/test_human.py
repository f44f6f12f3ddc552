"""`inspect_tree`: what the daemon finds between cycles after people touched the workspace."""

from __future__ import annotations

from pathlib import Path

from core.daemon_human import dirty_paths, inspect_tree
from core.gitops import GitRepo
from core.workspace import Workspace
from tests.daemon.helpers import git

BRANCH = "ratchet/agent"


def commit(root: Path, path: str, text: str, message: str) -> str:
    (root / path).write_text(text)
    git(root, "add", path)
    git(root, "-c", "user.name=Ada", "-c", "user.email=ada@example.com", "commit", "-qm", message)
    return git(root, "rev-parse", "HEAD")


def test_clean_and_dirty(mini: Workspace) -> None:
    repo = GitRepo(mini.root)
    head = git(mini.root, "rev-parse", "HEAD")
    state = inspect_tree(repo, BRANCH, head)
    assert (state.dirty, state.moved, state.human_commits, state.problem) == ((), False, (), "")
    (mini.root / "mutable" / "calc.py").write_text("x = 1\n")
    (mini.root / "mutable" / "new.py").write_text("y = 2\n")
    assert set(dirty_paths(repo)) == {"mutable/calc.py", "mutable/new.py"}
    assert set(inspect_tree(repo, BRANCH, head).dirty) == {"mutable/calc.py", "mutable/new.py"}


def test_human_commits_in_mutable_are_recordable(mini: Workspace) -> None:
    head = git(mini.root, "rev-parse", "HEAD")
    one = commit(mini.root, "mutable/calc.py", "x = 1\n", "first")
    two = commit(mini.root, "tests/agent/test_calc.py", "def test_x() -> None: ...\n", "second")
    state = inspect_tree(GitRepo(mini.root), BRANCH, head)
    assert state.moved and state.human_commits == (one, two) and state.problem == ""


def test_human_commit_outside_the_agent_needs_a_stop(mini: Workspace) -> None:
    head = git(mini.root, "rev-parse", "HEAD")
    commit(mini.root, "pyproject.toml", "[project]\nname = 'x'\n", "tweak")
    state = inspect_tree(GitRepo(mini.root), BRANCH, head)
    assert "touches pyproject.toml" in state.problem and "stop the daemon" in state.problem


def test_branch_moved_elsewhere_is_a_problem(mini: Workspace) -> None:
    head = git(mini.root, "rev-parse", "HEAD")
    other = commit(mini.root, "mutable/calc.py", "x = 1\n", "side")
    git(mini.root, "reset", "-q", "--hard", head)
    newer = commit(mini.root, "mutable/calc.py", "x = 2\n", "newer")
    state = inspect_tree(GitRepo(mini.root), BRANCH, other)
    assert state.head == newer and "does not descend from checkpoint commit" in state.problem
