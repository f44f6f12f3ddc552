"""What a change can affect: the test files and eval suites that import a changed module.

Imports are followed transitively through `mutable/` and `evals/`. The boundary policy forbids
dynamic imports (`importlib`, `__import__`) in `mutable/`, so the static graph is complete there.
A change outside `mutable/` selects nothing, which callers read as "run everything".
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ImportGraph", "module_imports", "select_suites", "select_tests"]

logger = logging.getLogger(__name__)

_PACKAGES = ("mutable", "evals")


def _module_name(root: Path, path: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def module_imports(path: Path, module: str) -> set[str]:
    """Every module `path` imports (absolute names, relative imports resolved)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, OSError):
        return set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                anchor = parts[: max(0, len(parts) - node.level + 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    # importing a.b.c runs a/__init__ and a/b/__init__ too
    for name in list(found):
        parts = name.split(".")
        found.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return {m for m in found if m.split(".")[0] in _PACKAGES}


@dataclass
class ImportGraph:
    """Module → modules it imports, over the tree's own packages."""

    root: Path
    edges: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, root: Path) -> ImportGraph:
        graph = cls(root)
        for package in _PACKAGES:
            for path in sorted((root / package).rglob("*.py")):
                name = _module_name(root, path)
                graph.edges[name] = module_imports(path, name)
        return graph

    def reaches(self, start: set[str], targets: set[str]) -> bool:
        """Whether importing `start` (transitively) imports any of `targets`."""
        seen: set[str] = set()
        stack = list(start)
        while stack:
            mod = stack.pop()
            if mod in targets or any(mod.startswith(t + ".") for t in targets):
                return True
            if mod in seen:
                continue
            seen.add(mod)
            stack.extend(self.edges.get(mod, ()))
        return False


def _changed_modules(root: Path, changed: Sequence[str]) -> set[str] | None:
    modules = set()
    for rel in changed:
        if not rel.startswith("mutable/") or not rel.endswith(".py"):
            return None
        modules.add(_module_name(root, root / rel))
    return modules


def select_tests(root: Path, changed: Sequence[str]) -> tuple[str, ...]:
    """Test files under tests/agent affected by `changed`; empty means "run everything"."""
    modules = _changed_modules(root, changed)
    if not modules:
        return ()
    graph = ImportGraph.build(root)
    selected = []
    for path in sorted((root / "tests" / "agent").rglob("test_*.py")):
        if graph.reaches(module_imports(path, _module_name(root, path)), modules):
            selected.append(path.relative_to(root).as_posix())
    return tuple(selected)


def select_suites(root: Path, suites: Sequence[str], changed: Sequence[str]) -> tuple[str, ...] | None:
    """The suites (module `evals/<name with _>.py`) whose imports reach a changed module.

    None means the change cannot be attributed (run every suite).
    """
    modules = _changed_modules(root, changed)
    if modules is None:
        return None
    graph = ImportGraph.build(root)
    selected = []
    for name in suites:
        module = "evals." + name.replace("-", "_")
        if module not in graph.edges or graph.reaches({module}, modules):
            selected.append(name)
    return tuple(selected)
