"""Which of the agent's tests a change can affect: tests importing a changed module, transitively."""

from __future__ import annotations

import ast
import logging
from collections.abc import Sequence
from pathlib import Path

__all__ = ["module_imports", "select_tests"]

logger = logging.getLogger(__name__)


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
    except (SyntaxError, UnicodeDecodeError):
        return set()
    package = module.rsplit(".", 1)[0] if "." in module else ""
    if path.name == "__init__.py":
        package = module
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: max(0, len(package.split(".")) - node.level + 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def select_tests(root: Path, changed: Sequence[str]) -> tuple[str, ...]:
    """Test files under tests/agent affected by `changed`; empty means "run everything".

    A change outside `mutable/` or to a module no test reaches selects nothing (so the caller
    runs the full suite, never zero tests).
    """
    changed_modules = set()
    for rel in changed:
        if not rel.startswith("mutable/") or not rel.endswith(".py"):
            return ()
        changed_modules.add(_module_name(root, root / rel))
    graph: dict[str, set[str]] = {}
    for path in sorted((root / "mutable").rglob("*.py")):
        name = _module_name(root, path)
        graph[name] = {m for m in module_imports(path, name) if m.startswith("mutable")}

    def reaches(imports: set[str], seen: set[str]) -> bool:
        expanded = set(imports)
        for mod in imports:  # importing a.b.c runs a/__init__ and a/b/__init__ too
            parts = mod.split(".")
            expanded.update(".".join(parts[:i]) for i in range(1, len(parts)))
        for mod in sorted(expanded):
            if mod in changed_modules or any(mod.startswith(c + ".") for c in changed_modules):
                return True
            if mod in graph and mod not in seen:
                seen.add(mod)
                if reaches(graph[mod], seen):
                    return True
        return False

    selected = []
    tests_dir = root / "tests" / "agent"
    for path in sorted(tests_dir.rglob("test_*.py")):
        imports = {m for m in module_imports(path, _module_name(root, path)) if m.startswith("mutable")}
        if reaches(imports, set()):
            selected.append(path.relative_to(root).as_posix())
    return tuple(selected)
