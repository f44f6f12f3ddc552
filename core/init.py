"""`ratchet init DIR`: a new workspace from the bundled seed agent, sealed, at checkpoint 0.

The seed is the project checkout's own `mutable/`, `protected/`, `evals/`, `tests/agent/` and
`.agent/config.toml` (core is installed in editable mode, so they sit beside the `core` package).
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.audit import AuditLog
from core.checkpoints import TAG_PREFIX, commit_checkpoint
from core.config import Config, load_config
from core.errors import RatchetError
from core.evalrun import run_suites, suites_for_gate
from core.gitops import GitRepo
from core.records import Checkpoint, Decision, GateReport, Proposal, Scores, Verdict
from core.sandbox.base import Sandbox
from core.seal import SEAL_NAME, check_seal, seal_protected
from core.workspace import Workspace

__all__ = ["SEED_ROOT", "InitResult", "adopt_repo", "init_workspace", "seed_root"]

logger = logging.getLogger(__name__)

SEED_ROOT = Path(__file__).resolve().parent.parent
_TEMPLATES = Path(__file__).resolve().parent / "templates"
_SEED_DIRS = ("mutable", "protected", "evals", "tests/agent")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache", ".ruff_cache")


@dataclass(frozen=True)
class InitResult:
    workspace: Workspace
    commit: str
    scores: Scores


def seed_root() -> Path:
    root = SEED_ROOT
    missing = [d for d in _SEED_DIRS if not (root / d).is_dir()]
    if missing:
        raise RatchetError(
            f"the seed agent is not next to the installed core package ({root} lacks {', '.join(missing)}); "
            f"install ratchet from its checkout with `pip install -e .`"
        )
    return root


def _copy_seed(seed: Path, dest: Path) -> None:
    for rel in _SEED_DIRS:
        shutil.copytree(seed / rel, dest / rel, ignore=_IGNORE)
    (dest / "protected" / SEAL_NAME).unlink(missing_ok=True)
    (dest / "checkpoints").mkdir()
    (dest / "tests" / "__init__.py").touch()
    (dest / ".agent").mkdir()
    shutil.copy2(seed / ".agent" / "config.toml", dest / ".agent" / "config.toml")
    shutil.copy2(_TEMPLATES / "workspace_pyproject.toml", dest / "pyproject.toml")
    shutil.copy2(_TEMPLATES / "workspace_gitignore", dest / ".gitignore")


def baseline_scores(root: Path, config: Config, sandbox: Sandbox, scratch: Path) -> Scores:
    suites = suites_for_gate(root, config)
    if not suites:
        return Scores()
    scratch.mkdir(parents=True, exist_ok=True)
    run = run_suites(root, suites, sandbox=sandbox, config=config, scratch=scratch)
    shutil.rmtree(scratch, ignore_errors=True)
    if run.scores is None:
        raise RatchetError(f"the seed's evals did not run, so there is no baseline:\n{run.output[-2000:]}")
    return run.scores


def _checkpoint_zero(scores: Scores, rationale: str) -> Checkpoint:
    return Checkpoint(
        number=0,
        parent="",
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        proposal=Proposal(
            rationale=rationale, target="", edits=(), proposer="ratchet init", title="seed agent"
        ),
        gates=GateReport(),
        scores_before=Scores(),
        scores_after=scores,
        verdict=Verdict(Decision.ACCEPT, "initial checkpoint", "ratchet init"),
        kind="init",
    )


def _commit_zero(tree: GitRepo, workspace: Workspace, checkpoint: Checkpoint) -> str:
    """Commit `tree` as it is (with the manifest) as checkpoint 0, tag it, audit it."""
    audit = AuditLog(workspace.audit_path)
    commit = commit_checkpoint(tree, checkpoint, audit.head(), (".",))
    tree.run("tag", f"{TAG_PREFIX}0", commit)
    audit.append("init", {"commit": commit, "scores": checkpoint.scores_after.summary()})
    return commit


def _sandbox_for(config: Config, sandbox: Sandbox | None) -> Sandbox:
    if sandbox is not None:
        return sandbox
    from core.sandbox import get_sandbox

    return get_sandbox(config.sandbox)


def init_workspace(dest: Path, *, sandbox: Sandbox | None = None, seed: Path | None = None) -> InitResult:
    """Create the workspace at `dest`.

    A new or empty directory gets the seed agent in a new git repo. An existing git repo that
    already has ratchet's layout (for example the ratchet checkout itself) is adopted instead:
    see `adopt_repo`.
    """
    dest = dest.expanduser().resolve()
    if dest.exists() and any(dest.iterdir()):
        if (dest / ".git").exists() and all((dest / d).is_dir() for d in ("mutable", "protected", "evals")):
            return adopt_repo(dest, sandbox=sandbox)
        raise RatchetError(
            f"{dest} already exists and is not empty; choose a new directory (an existing git repo "
            "is adopted only when it already has mutable/, protected/ and evals/)"
        )
    seed = seed or seed_root()
    dest.mkdir(parents=True, exist_ok=True)
    try:
        _copy_seed(seed, dest)
        seal_protected(dest / "protected", by="ratchet init")
        workspace = Workspace(dest)
        config = load_config(dest)
        workspace.ensure_state_dirs()
        repo = GitRepo(dest)
        repo.run("init", "--quiet", "-b", config.agent.branch)
        scores = baseline_scores(dest, config, _sandbox_for(config, sandbox), workspace.scratch_dir / "init")
        checkpoint = _checkpoint_zero(scores, "The seed agent as bundled with ratchet.")
        commit = _commit_zero(repo, workspace, checkpoint)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return InitResult(workspace, commit, scores)


def adopt_repo(root: Path, *, sandbox: Sandbox | None = None) -> InitResult:
    """Start ratchet's own branch in an existing repo, leaving the user's branch and tree alone.

    Checkpoint 0 is made in a temporary worktree on the new agent branch, from the current HEAD:
    protected/ is sealed there if its seal is missing or stale (the person running init is the
    human who vouches for it), the baseline evals run there, and `.agent/` state is kept out of
    git through `.git/info/exclude`. The user's current branch is never committed to.
    """
    workspace = Workspace(root)
    config = load_config(root)
    repo = GitRepo(root)
    branch = config.agent.branch
    if repo.rev(branch) is not None or repo.rev(f"{TAG_PREFIX}0") is not None:
        raise RatchetError(
            f"{root} is already a ratchet workspace (branch {branch} exists); see `ratchet status`"
        )
    if repo.rev("HEAD") is None:
        raise RatchetError(
            f"{root} has no commit yet; commit your files first, then run `ratchet init` again"
        )
    exclude = root / ".git" / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    lines = exclude.read_text(encoding="utf-8").splitlines() if exclude.exists() else []
    missing = [rule for rule in (".agent/*", "!.agent/config.toml") if rule not in lines]
    if missing:
        exclude.write_text("\n".join([*lines, *missing]) + "\n", encoding="utf-8")
    workspace.ensure_state_dirs()
    path = workspace.worktrees / "init"
    tree = repo.add_worktree(path, branch, "HEAD")
    try:
        if not check_seal(path / "protected").ok:
            seal_protected(path / "protected", by="ratchet init")
        if not (path / ".agent" / "config.toml").exists():
            (path / ".agent").mkdir(exist_ok=True)
            shutil.copy2(seed_root() / ".agent" / "config.toml", path / ".agent" / "config.toml")
        scores = baseline_scores(path, config, _sandbox_for(config, sandbox), workspace.scratch_dir / "init")
        rationale = f"Adopted {root.name} at {repo.head()[:10]} as the seed agent."
        checkpoint = _checkpoint_zero(scores, rationale)
        commit = _commit_zero(tree, workspace, checkpoint)
    except BaseException:
        repo.remove_worktree(path)
        repo.delete_branch(branch)
        raise
    repo.remove_worktree(path)
    return InitResult(workspace, commit, scores)
