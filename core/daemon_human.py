"""Human edits while the daemon runs: notice them, wait for them to be committed, record them.

Between cycles the daemon asks `inspect_tree`: uncommitted changes mean a human is editing (the
daemon pauses until the tree is clean again); new commits on the agent branch that are not
checkpoints are a human's committed edit, which `record_human_commits` turns into one human
checkpoint (the commits are kept under `refs/ratchet/human/`) with freshly run eval scores as the
new baseline, so later proposals are compared with the tree as the human left it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.checkpoints import parse_trailers
from core.cycle import Supervisor
from core.evalrun import run_suites, suites_for_gate
from core.gitops import GitRepo
from core.records import Scores
from core.sealing import commit_human_change

__all__ = [
    "HUMAN_REF_PREFIX",
    "TreeState",
    "dirty_paths",
    "inspect_tree",
    "rebaseline",
    "record_human_commits",
]

logger = logging.getLogger(__name__)

HUMAN_REF_PREFIX = "refs/ratchet/human/"
#: top-level paths a human commit may touch for the daemon to record it (others: stop first)
_RECORDABLE = ("mutable", "tests", "evals")


@dataclass(frozen=True)
class TreeState:
    """The workspace as the daemon finds it between cycles."""

    dirty: tuple[str, ...]
    head: str
    expected: str
    #: commits on the agent branch since `expected` that are not checkpoints (oldest first)
    human_commits: tuple[str, ...] = ()
    #: why the branch cannot be resumed automatically ("" when it can)
    problem: str = ""

    @property
    def moved(self) -> bool:
        return self.head != self.expected


def _is_checkpoint(repo: GitRepo, sha: str) -> bool:
    return "Ratchet-Checkpoint" in parse_trailers(repo.out("log", "-1", "--format=%B", sha))


def dirty_paths(repo: GitRepo) -> tuple[str, ...]:
    """Uncommitted changes, without taking git's index lock (a human may be committing right now)."""
    return tuple(entry.path for entry in repo.is_dirty())


def inspect_tree(repo: GitRepo, agent_branch: str, expected: str) -> TreeState:
    """Uncommitted changes and commits made on the agent branch outside ratchet since `expected`."""
    dirty = dirty_paths(repo)
    head = repo.rev(agent_branch) or ""
    if head == expected:
        return TreeState(dirty, head, expected)
    if _is_checkpoint(repo, head):
        return TreeState(dirty, head, expected)  # another ratchet session's checkpoint: adopt it
    if not head or not repo.is_ancestor(expected, head):
        return TreeState(
            dirty,
            head,
            expected,
            problem=f"the agent branch {agent_branch} was moved to {head[:10] or 'nothing'}, which does not "
            f"descend from checkpoint commit {expected[:10]}; inspect it, then restart the daemon",
        )
    commits = tuple(repo.out("rev-list", "--reverse", f"{expected}..{head}").split())
    if any(_is_checkpoint(repo, sha) for sha in commits):
        return TreeState(
            dirty,
            head,
            expected,
            problem="human commits and checkpoints are interleaved on the agent branch; "
            "inspect `git log`, then restart the daemon",
        )
    touched = sorted({path.split("/")[0] for path in repo.diff_names(expected, head)})
    if repo.current_branch() != agent_branch:
        problem = (
            f"commits were made on {agent_branch} while it was not checked out; check it out and restart"
        )
    elif any(t not in _RECORDABLE for t in touched):
        outside = ", ".join(t for t in touched if t not in _RECORDABLE)
        problem = (
            f"a human commit on {agent_branch} touches {outside}; stop the daemon before changing anything "
            f"outside {', '.join(_RECORDABLE)}, then restart it"
        )
    else:
        problem = ""
    return TreeState(dirty, head, expected, human_commits=commits, problem=problem)


def rebaseline(sup: Supervisor) -> tuple[Scores | None, str]:
    """Run the gate's eval suites on the workspace tree in the sandbox: (scores, output)."""
    root = sup.workspace.root
    suites = suites_for_gate(root, sup.config)
    if not suites:
        return Scores(), "no eval suites declared"
    scratch = sup.workspace.scratch_dir / "rebaseline"
    scratch.mkdir(parents=True, exist_ok=True)
    run = run_suites(root, suites, sandbox=sup.sandbox, config=sup.config, scratch=scratch)
    return run.scores, run.output


def record_human_commits(sup: Supervisor, state: TreeState, scores: Scores | None) -> int:
    """Fold the human commits of `state` into one human checkpoint; returns its number."""
    repo = sup.repo
    subjects = repo.out("log", "--reverse", "--format=%h %an: %s", f"{state.expected}..{state.head}")
    first = repo.out("log", "--reverse", "--format=%s", f"{state.expected}..{state.head}").splitlines()[0]
    paths = tuple(sorted({p.split("/")[0] for p in repo.diff_names(state.expected, state.head)}))
    backup = f"{HUMAN_REF_PREFIX}{state.head[:12]}"
    repo.run("update-ref", backup, state.head)
    repo.run("reset", "--soft", "--quiet", state.expected)
    count = len(state.human_commits)
    title = first if count == 1 else f"{first} (+{count - 1} more human commit(s))"
    rationale = (
        "A human edited the agent while the daemon ran; recorded as a checkpoint with re-run evals.\n\n"
        f"Human commits (kept as {backup}):\n{subjects}"
    )
    return commit_human_change(
        sup, paths=paths, title=title[:72], kind="human", rationale=rationale, scores_after=scores
    )
