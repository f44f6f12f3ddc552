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
from core.checkpoints import TAG_PREFIX, commit_message, write_manifest
from core.config import Config, load_config
from core.errors import RatchetError
from core.evalrun import run_suites, suites_for_gate
from core.gitops import GitRepo
from core.records import Checkpoint, Decision, GateReport, Proposal, Scores, Verdict
from core.sandbox.base import Sandbox
from core.seal import SEAL_NAME, seal_protected
from core.workspace import Workspace

__all__ = ["SEED_ROOT", "InitResult", "init_workspace", "seed_root"]

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


def init_workspace(dest: Path, *, sandbox: Sandbox | None = None, seed: Path | None = None) -> InitResult:
    """Create the workspace at `dest` (which must not exist or be empty)."""
    dest = dest.expanduser().resolve()
    if dest.exists() and any(dest.iterdir()):
        raise RatchetError(f"{dest} already exists and is not empty; choose a new directory")
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
        if sandbox is None:
            from core.sandbox import get_sandbox

            sandbox = get_sandbox(config.sandbox)
        scores = baseline_scores(dest, config, sandbox, workspace.scratch_dir / "init")
        checkpoint = Checkpoint(
            number=0,
            parent="",
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            proposal=Proposal(
                rationale="The seed agent as bundled with ratchet.",
                target="",
                edits=(),
                proposer="ratchet init",
                title="seed agent",
            ),
            gates=GateReport(),
            scores_before=Scores(),
            scores_after=scores,
            verdict=Verdict(Decision.ACCEPT, "initial checkpoint", "ratchet init"),
            kind="init",
        )
        write_manifest(dest, checkpoint)
        audit = AuditLog(workspace.audit_path)
        repo.run("add", "-A", ".")
        repo.run(
            "commit",
            "--quiet",
            "--no-verify",
            "-F",
            "-",
            stdin=commit_message(checkpoint, audit.head()).encode(),
        )
        commit = repo.head()
        repo.run("tag", f"{TAG_PREFIX}0", commit)
        audit.append("init", {"commit": commit, "scores": scores.summary()})
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return InitResult(workspace, commit, scores)
