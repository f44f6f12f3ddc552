"""The boundary gate: a proposal may only write regular `.py` files under `mutable/`.

Two checks, both pure functions of the files under a root (a candidate worktree):

* `check_edit_paths` runs *before* anything is written: every edit path is a normalised relative
  path under `mutable/` ending in `.py`, with no symlink on the way and no special file at the end.
* `check_changed_files` runs *after* the edits were applied, on every path git reports changed:
  each is a regular file under `mutable/` within the size limit, and no changed module imports a
  forbidden module or calls a forbidden function (`protected/policy.toml`). Imports are read from
  the syntax tree; calls are resolved through aliases and scopes with libcst's qualified names,
  only for modules where a forbidden name could be reachable at all (that analysis is slow).
"""

from __future__ import annotations

import ast
import logging
import stat
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider, QualifiedNameSource

from core.policy import BoundaryRules
from core.records import Edit, GateResult, Location

__all__ = [
    "MUTABLE_DIR",
    "check_changed_files",
    "check_edit_paths",
    "check_source",
    "disk_problem",
    "path_problem",
]

logger = logging.getLogger(__name__)

MUTABLE_DIR = "mutable"
GATE_NAME = "boundary"


@dataclass(frozen=True)
class _Import:
    """One imported module as written, resolved to an absolute dotted name."""

    module: str
    line: int


# --- paths -----------------------------------------------------------------------------------


def path_problem(path: str, *, require_py: bool = True) -> str | None:
    """What is wrong with `path` as a workspace-relative path a proposal may write, or None."""
    if not path:
        return "empty path"
    if "\\" in path or "\x00" in path:
        return "path contains a backslash or NUL byte"
    pure = PurePosixPath(path)
    if pure.is_absolute() or path[1:3] == ":/":
        return "absolute path; give it relative to the workspace root"
    if ".." in pure.parts:
        return "path contains '..'"
    if str(pure) != path or "." in path.split("/"):
        return f"path is not normalised (write it as {pure.as_posix()!r})"
    if pure.parts[0] != MUTABLE_DIR or len(pure.parts) < 2:
        return f"outside {MUTABLE_DIR}/: a proposal may only change files under {MUTABLE_DIR}/"
    if "__pycache__" in pure.parts or any(part.startswith(".") for part in pure.parts):
        return "hidden or cache path"
    if require_py and pure.suffix != ".py":
        return "not a Python module (.py)"
    return None


def disk_problem(root: Path, path: str) -> str | None:
    """What is wrong on disk with the (lexically valid) relative `path` under `root`, or None.

    No component may be a symlink; existing directories must be directories and an existing final
    component must be a regular file. A path that does not exist yet is fine.
    """
    current = root
    parts = PurePosixPath(path).parts
    for index, part in enumerate(parts):
        current = current / part
        shown = "/".join(parts[: index + 1])
        try:
            mode = current.lstat().st_mode
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return f"{'/'.join(parts[:index])} is not a directory"
        if stat.S_ISLNK(mode):
            return f"{shown} is a symlink"
        last = index == len(parts) - 1
        if not last and not stat.S_ISDIR(mode):
            return f"{shown} is not a directory"
        if last and not stat.S_ISREG(mode):
            return f"{shown} is not a regular file"
    return None


# --- policy on source -------------------------------------------------------------------------


def _package_of(path: str) -> list[str]:
    """The package a module file belongs to (`mutable/sub/x.py` -> ['mutable', 'sub'])."""
    return list(PurePosixPath(path).parent.parts)


def _resolve_relative(package: list[str], level: int, module: str) -> str:
    """`from ..x import y` inside `package` -> absolute dotted `x` (never above the top level)."""
    base = package[: max(len(package) - (level - 1), 0)] if level else []
    return ".".join([*base, *([module] if module else [])])


def _imports(tree: ast.Module, package: list[str]) -> list[_Import]:
    """Every module an import anywhere in the file brings in (`from a import b`: `a` and `a.b`)."""
    found: list[_Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(_Import(alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_relative(package, node.level, node.module or "")
            found.append(_Import(base, node.lineno))
            names = [alias.name for alias in node.names if alias.name != "*"]
            found.extend(_Import(f"{base}.{name}" if base else name, node.lineno) for name in names)
    return found


def _may_reference(tree: ast.Module, imports: Sequence[_Import], forbidden_calls: Sequence[str]) -> bool:
    """Whether any forbidden call could be reachable at all: a bare name used somewhere, or the
    module of a dotted one imported. Most modules are not, and skip the (slow) scope analysis."""
    roots = {item.module.split(".", 1)[0] for item in imports}
    if "builtins" in roots:
        return True
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return any(call.split(".", 1)[0] in roots if "." in call else call in names for call in forbidden_calls)


class _References(cst.CSTVisitor):
    """Collects the qualified names (resolved through imports and builtins) of every reference."""

    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider)

    def __init__(self, package: list[str]) -> None:
        super().__init__()
        self.package = package
        self.found: list[tuple[str, int]] = []

    def _reference(self, node: cst.Name | cst.Attribute) -> None:
        for qualified in self.get_metadata(QualifiedNameProvider, node, set()):
            if qualified.source in (QualifiedNameSource.BUILTIN, QualifiedNameSource.IMPORT):
                line = self.get_metadata(PositionProvider, node).start.line
                self.found.append((_call_name(qualified.name, self.package), line))

    def visit_Name(self, node: cst.Name) -> None:
        self._reference(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._reference(node)


def _matches_module(module: str, forbidden: str) -> bool:
    return module == forbidden or module.startswith(forbidden + ".")


def _call_name(qualified: str, package: list[str]) -> str:
    """A qualified name as the policy writes it: `builtins.eval` -> `eval`, `.x.f` resolved."""
    if qualified.startswith("."):
        stripped = qualified.lstrip(".")
        qualified = _resolve_relative(package, len(qualified) - len(stripped), stripped)
    return qualified.removeprefix("builtins.")


def check_source(path: str, source: str, rules: BoundaryRules) -> tuple[Location, ...]:
    """Every forbidden import or call in the module `source` (stored at relative `path`).

    Imports match by dotted prefix (`os` forbids `os.path`); relative imports are resolved against
    the module's package. Calls and references resolve aliases (`import os as o; o.system`,
    `from os import system`) and builtins; a local definition shadowing a builtin is not flagged.
    """
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        return (Location(path, exc.lineno or 0, f"does not parse: {exc.msg}"),)
    except ValueError as exc:  # e.g. NUL bytes
        return (Location(path, 0, f"does not parse: {exc}"),)
    package = _package_of(path)
    imports = _imports(tree, package)
    found: dict[tuple[int, str], Location] = {}
    for item in imports:
        for forbidden in rules.forbidden_imports:
            if item.module and _matches_module(item.module, forbidden):
                message = f"imports {item.module} (policy forbids {forbidden})"
                found.setdefault((item.line, forbidden), Location(path, item.line, message))
    if _may_reference(tree, imports, rules.forbidden_calls):
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError as exc:
            return (Location(path, exc.raw_line, f"does not parse: {exc.message}"),)
        references = _References(package)
        MetadataWrapper(module, unsafe_skip_copy=True).visit(references)
        forbidden_calls = set(rules.forbidden_calls)
        for name, line in references.found:
            if name in forbidden_calls:
                found.setdefault((line, name), Location(path, line, f"uses {name} (policy forbids it)"))
    return tuple(sorted(found.values(), key=lambda loc: (loc.line, loc.message)))


# --- the gate ---------------------------------------------------------------------------------


def _result(started: float, problems: Sequence[Location], ok: str) -> GateResult:
    unique = tuple(dict.fromkeys(problems))
    seconds = time.perf_counter() - started
    if not unique:
        return GateResult(name=GATE_NAME, passed=True, seconds=seconds, summary=ok)
    noun = "violation" if len(unique) == 1 else "violations"
    return GateResult(
        name=GATE_NAME,
        passed=False,
        seconds=seconds,
        summary=f"{len(unique)} boundary {noun}: {unique[0]}",
        output="\n".join(str(loc) for loc in unique),
        locations=unique,
    )


def check_edit_paths(root: Path, edits: Sequence[Edit], rules: BoundaryRules) -> GateResult:
    """Refuse a proposal whose edits aim anywhere but regular `.py` files under `mutable/`."""
    started = time.perf_counter()
    problems: list[Location] = []
    if not edits:
        problems.append(Location("", 0, "the proposal has no edits"))
    if len(edits) > rules.max_edits:
        problems.append(Location("", 0, f"{len(edits)} edits; the policy allows at most {rules.max_edits}"))
    for edit in edits:
        problem = path_problem(edit.path) or disk_problem(root, edit.path)
        if problem:
            problems.append(Location(edit.path, 0, problem))
    paths = len({edit.path for edit in edits})
    return _result(started, problems, f"{len(edits)} edit(s) to {paths} module(s) under {MUTABLE_DIR}/")


def _file_problems(root: Path, path: str, rules: BoundaryRules) -> list[Location]:
    problem = path_problem(path, require_py=False) or disk_problem(root, path)
    if problem:
        return [Location(path, 0, problem)]
    target = root / path
    if not target.exists():
        return []  # a deleted module under mutable/
    data = target.read_bytes()
    if len(data) > rules.max_file_bytes:
        message = f"{len(data)} bytes; the policy allows at most {rules.max_file_bytes}"
        return [Location(path, 0, message)]
    if not path.endswith(".py"):
        return []
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [Location(path, 0, f"not UTF-8 ({exc.reason} at byte {exc.start})")]
    return list(check_source(path, source, rules))


def check_changed_files(root: Path, changed: Sequence[str], rules: BoundaryRules) -> GateResult:
    """Check every path changed in the candidate tree (including deletions and new files)."""
    started = time.perf_counter()
    paths = list(dict.fromkeys(changed))
    problems: list[Location] = []
    if len(paths) > rules.max_files_changed:
        message = f"{len(paths)} files changed; the policy allows at most {rules.max_files_changed}"
        problems.append(Location("", 0, message))
    for path in paths:
        problems.extend(_file_problems(root, path, rules))
    return _result(started, problems, f"{len(paths)} changed file(s) within the boundary")
