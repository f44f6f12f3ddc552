"""The codemod proposer: deterministic libcst rewrites that are real improvements when they apply.

No LLM. Each transform looks at one module and returns replace/add/remove-symbol edits:
- `memoize`: a pure, recursive function of hashable arguments gets `@functools.cache`;
- `membership`: `x in [a, b, c]` of constants becomes `x in {a, b, c}`, and a module constant
  list/tuple used only for membership tests becomes a `frozenset`;
- `dead-branch`: `if False:` / `if True:` / `while False:` inside functions are resolved;
- `comprehension`: `list(x for ...)`, `set(x for ...)`, `dict((k, v) for ...)`, `set([..])`
  become comprehensions/literals (rules ruff does not fix under our config);
- `unused-import`: a module-level import nothing in the module (or `__all__`) uses is removed.
The proposer scans `mutable/` (the observation's target module first), tries the transforms in
that fixed order, and never proposes the same change twice (nor one memory says has failed).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from core.edits import EditRejected, apply_edit
from core.memory import Memory, code_fingerprint
from core.proposers.base import NoProposal, Observation
from core.proposers.codemod_rules import (
    TRANSFORMS,
    CodemodResult,
    dead_branches,
    memoize_recursive,
    modern_comprehensions,
    set_membership,
    unused_imports,
)
from core.records import Edit, Proposal
from core.workspace import Workspace

__all__ = [
    "TRANSFORMS",
    "CodemodProposer",
    "CodemodResult",
    "dead_branches",
    "memoize_recursive",
    "modern_comprehensions",
    "set_membership",
    "unused_imports",
]

logger = logging.getLogger(__name__)


# --- the proposer ------------------------------------------------------------------------------


def _applies(source: str, edits: tuple[Edit, ...]) -> bool:
    for edit in edits:
        result = apply_edit(source, edit)
        if isinstance(result, EditRejected):
            logger.info("codemod edit %s does not apply: %s", edit.describe(), result.reason)
            return False
        source = result.new_source
    return True


class CodemodProposer:
    """Deterministic proposals from `TRANSFORMS`; each distinct change is proposed at most once."""

    name = "codemod"

    def __init__(self, memory: Memory | None = None) -> None:
        self._memory = memory
        self._proposed: set[str] = set()

    def candidates(self, workspace: Workspace, first: str = "") -> Iterator[CodemodResult]:
        """Every applicable transform in deterministic order (`first` module first)."""
        files = sorted(f for f in workspace.mutable.glob("*.py") if f.is_file() and not f.is_symlink())
        sources = {f.relative_to(workspace.root).as_posix(): f.read_text(encoding="utf-8") for f in files}
        order = sorted(sources, key=lambda p: (p != first, p))
        for path in order:
            others = {p: s for p, s in sources.items() if p != path}
            for _name, transform in TRANSFORMS:
                for result in transform(path, sources[path], others):
                    if _applies(sources[path], result.edits):
                        yield result

    def propose(self, observation: Observation, workspace: Workspace) -> Proposal | NoProposal:
        first = observation.target.partition(":")[0]
        for result in self.candidates(workspace, first):
            fingerprint = code_fingerprint(result.edits)
            if fingerprint in self._proposed:
                continue
            if self._memory is not None and self._memory.has_failed([fingerprint]):
                continue
            self._proposed.add(fingerprint)
            edit = result.edits[-1]
            return Proposal(
                rationale=result.rationale,
                target=f"{edit.path}:{edit.target}",
                edits=result.edits,
                proposer=self.name,
                title=f"codemod {result.name}: {edit.path}:{edit.target}"[:72],
            )
        return NoProposal("no codemod applies", exhausted=True)
