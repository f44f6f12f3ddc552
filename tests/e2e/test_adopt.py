"""`ratchet init` on an existing repo: ratchet works on its own branch, the user's stays untouched."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from core.config import load_config
from core.cycle import Supervisor
from core.errors import SealBroken
from core.init import init_workspace
from core.workspace import Workspace
from tests.conftest import MINI_SEED, git, run_cli, tree_digest
from tests.e2e.test_cycle import GOOD_CLASSIFY, accept, proposal, replace_fn

USER = ("-c", "user.name=Ada", "-c", "user.email=ada@example.com")


def user_repo(tmp_path: Path) -> Path:
    """A user's project with ratchet's layout on branch main, one commit, no seal."""
    root = tmp_path / "project"
    shutil.copytree(MINI_SEED, root)
    (root / "tests" / "__init__.py").touch()
    (root / "README.md").write_text("my project\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, *USER, "commit", "-qm", "my project")
    return root


def test_adopt_keeps_the_users_branch_and_tree(tmp_path: Path) -> None:
    root = user_repo(tmp_path)
    main_head = git(root, "rev-parse", "main")
    (root / "notes.txt").write_text("uncommitted work of the user\n")
    before = tree_digest(root)
    result = init_workspace(root)
    assert git(root, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git(root, "rev-parse", "main") == main_head
    assert tree_digest(root) == before  # not even a seal file appeared in the user's tree
    assert git(root, "rev-parse", "ckpt/0") == result.commit == git(root, "rev-parse", "ratchet/agent")
    assert git(root, "rev-parse", "ratchet/agent^") == main_head
    assert "protected/SEAL.json" in git(root, "ls-tree", "-r", "--name-only", "ratchet/agent")
    assert git(root, "status", "--porcelain") == "?? notes.txt"  # .agent/ state is excluded from git

    # the loop commits to ratchet/agent only; the user's branch and working tree stay as they were
    workspace = Workspace(root)
    with Supervisor(workspace, load_config(root)) as sup:
        outcome = sup.submit(proposal(replace_fn("classify", GOOD_CLASSIFY)), accept)
    assert outcome.accepted and outcome.checkpoint == 1
    assert git(root, "rev-parse", "main") == main_head
    assert tree_digest(root) == before
    assert 'return "zero"' in git(root, "show", "ratchet/agent:mutable/calc.py")
    assert run_cli(root, "verify").returncode == 0
    log = json.loads(run_cli(root, "log", "--json").stdout)
    assert [e["number"] for e in log] == [1, 0]


def test_adopt_twice_is_refused(tmp_path: Path) -> None:
    root = user_repo(tmp_path)
    init_workspace(root)
    result = run_cli(root, "init", str(root))
    assert result.returncode == 2 and "already a ratchet workspace" in result.stderr


def test_tampered_agent_branch_protected_stops_the_loop(tmp_path: Path) -> None:
    """With the agent branch not checked out, the seal is checked on the branch as committed."""
    root = user_repo(tmp_path)
    init_workspace(root)
    wt = tmp_path / "elsewhere"
    git(root, "worktree", "add", "-q", str(wt), "ratchet/agent")
    policy = wt / "protected" / "policy.toml"
    policy.write_text(policy.read_text() + "\n# loosened\n")
    git(wt, *USER, "commit", "-qam", "loosen the policy")
    git(root, "worktree", "remove", "--force", str(wt))
    try:
        with Supervisor(Workspace(root), load_config(root)):
            raise AssertionError("the supervisor started on a broken seal")
    except SealBroken as exc:
        assert "policy.toml" in str(exc)
