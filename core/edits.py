"""The edit engine: applies one symbol-level `Edit` to a module's source with libcst.

An edit replaces, adds or removes a function, method, class, assignment or import, addressed by
its qualified name. Only the edited statement's text changes: comments, blank lines, decorators
and every other statement stay byte-identical. Like a LibCST codemod, `apply_edit` never raises
for a bad edit; it returns `EditApplied` or `EditRejected` with a reason that names the module,
the symbol and what was wrong.
"""

from __future__ import annotations

import ast
import difflib
import keyword
import logging
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from core.boundary import disk_problem, path_problem
from core.edit_layout import (
    Body,
    add_import,
    import_names,
    import_of,
    import_signature,
    insert_definition,
    leading,
    reindent_docstrings,
    remove_import_name,
    remove_statement,
)
from core.records import Edit, EditKind, EditOp

__all__ = ["EditApplied", "EditRejected", "TreeEditResult", "apply_edit", "apply_edits_to_tree"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EditApplied:
    edit: Edit
    new_source: str


@dataclass(frozen=True)
class EditRejected:
    edit: Edit
    reason: str


@dataclass(frozen=True)
class TreeEditResult:
    #: workspace-relative paths whose content was written (sorted)
    changed: tuple[str, ...]
    #: the first rejection; when set nothing was written
    rejected: EditRejected | None


@dataclass(frozen=True)
class _Scope:
    """The statements a symbol lives among: the module's or a class body's."""

    qualifier: str  # "" for the module, "Outer.Inner." for a class body
    indent: str  # absolute indentation of the statements
    unit: str  # the module's indentation step
    in_class: bool


class _Rejected(Exception):
    """Internal: an edit cannot be applied; `apply_edit` turns it into `EditRejected`."""


# --- public API -------------------------------------------------------------------------------


def apply_edit(source: str, edit: Edit) -> EditApplied | EditRejected:
    """Apply `edit` to the module text `source`; never raises for a bad edit."""
    try:
        return EditApplied(edit=edit, new_source=_apply(source, edit))
    except _Rejected as exc:
        return EditRejected(edit=edit, reason=f"{edit.path}: {exc}")
    except RecursionError:
        return EditRejected(edit=edit, reason=f"{edit.path}: code is nested too deeply to edit")


def apply_edits_to_tree(root: Path, edits: Sequence[Edit]) -> TreeEditResult:
    """Apply `edits` in order to the modules under `root`; write only if every edit applied.

    A missing module is a rejection, except that an ADD may create a new module in an existing
    directory under `mutable/`.
    """
    sources: dict[str, str] = {}
    originals: dict[str, str | None] = {}
    for edit in edits:
        problem = path_problem(edit.path) or disk_problem(root, edit.path)
        if problem:
            return TreeEditResult((), EditRejected(edit, f"{edit.path}: {problem}"))
        if edit.path not in sources:
            loaded = _load(root, edit)
            if isinstance(loaded, EditRejected):
                return TreeEditResult((), loaded)
            originals[edit.path] = loaded
            sources[edit.path] = loaded or ""
        result = apply_edit(sources[edit.path], edit)
        if isinstance(result, EditRejected):
            return TreeEditResult((), result)
        sources[edit.path] = result.new_source
    changed = sorted(path for path, text in sources.items() if text != originals[path])
    for path in changed:
        (root / path).write_bytes(sources[path].encode("utf-8"))
    logger.debug("applied %d edit(s), wrote %s", len(edits), changed)
    return TreeEditResult(tuple(changed), None)


def _load(root: Path, edit: Edit) -> str | EditRejected | None:
    """The module's text, None for a module an ADD may create, or why the edit cannot apply."""
    target = root / edit.path
    if not target.exists():
        if edit.op is EditOp.ADD and target.parent.is_dir():
            return None
        where = "its directory does not exist" if edit.op is EditOp.ADD else "no such module"
        return EditRejected(edit, f"{edit.path}: {where}")
    try:
        return target.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return EditRejected(edit, f"{edit.path}: not a UTF-8 text file")


# --- the edit ---------------------------------------------------------------------------------


def _apply(source: str, edit: Edit) -> str:
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise _Rejected(f"the module does not parse (line {exc.raw_line}: {exc.message})") from None
    if not module.body:  # a new or empty module: its first statement ends with a newline
        module = module.with_changes(has_trailing_newline=True)
    parts = _split_target(edit)
    if edit.kind is EditKind.IMPORT:
        first_party = edit.path.split("/", 1)[0]
        body = _import_edit(list(module.body), edit, first_party)
        module = module.with_changes(body=body)
    else:
        parents, name = parts[:-1], parts[-1]
        if edit.kind is EditKind.FUNCTION and parents:
            raise _Rejected(f"function targets are module-level; use kind 'method' for '{edit.target}'")
        if edit.kind is EditKind.METHOD and not parents:
            raise _Rejected(f"a method target is 'Class.method', got '{edit.target}'")
        module = _in_scope(module, parents, lambda body, scope: _symbol_edit(body, scope, edit, name))
    text = module.code
    try:
        ast.parse(text)
    except (SyntaxError, ValueError) as exc:
        detail = f"{exc.msg} (line {exc.lineno})" if isinstance(exc, SyntaxError) else str(exc)
        raise _Rejected(
            f"the edited module is not valid Python {sys.version_info[0]}.{sys.version_info[1]}: {detail}"
        ) from None
    return text


def _split_target(edit: Edit) -> list[str]:
    parts = edit.target.split(".")
    if not all(part.isidentifier() and not keyword.iskeyword(part) for part in parts):
        raise _Rejected(f"target {edit.target!r} is not a (dotted) Python name")
    return parts


def _in_scope(
    module: cst.Module, parents: Sequence[str], action: Callable[[Body, _Scope], Body]
) -> cst.Module:
    """Run `action` on the statements of the class `parents` (the module when empty)."""
    unit = module.default_indent

    def descend(body: Body, scope: _Scope, depth: int) -> Body:
        if depth == len(parents):
            return action(body, scope)
        index = _find(body, scope, parents[depth], EditKind.CLASS)
        node = body[index]
        assert isinstance(node, cst.ClassDef)
        block = node.body
        if isinstance(block, cst.SimpleStatementSuite):  # `class A: pass` -> an indented block
            block = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=block.body)])
        assert isinstance(block, cst.IndentedBlock)
        inner = _Scope(
            qualifier=f"{scope.qualifier}{parents[depth]}.",
            indent=scope.indent + (block.indent if block.indent is not None else unit),
            unit=unit,
            in_class=True,
        )
        new_inner = descend(list(block.body), inner, depth + 1)
        body[index] = node.with_changes(body=block.with_changes(body=new_inner))
        return body

    return module.with_changes(body=descend(list(module.body), _Scope("", "", unit, False), 0))


def _symbol_edit(body: Body, scope: _Scope, edit: Edit, name: str) -> Body:
    kind = edit.kind
    if edit.op is EditOp.REMOVE:
        index = _find(body, scope, name, kind)
        _require_single_binding(body[index], scope, name)
        return remove_statement(body, index, scope.in_class)
    node, comments = _snippet(edit, name)
    node = reindent_docstrings(node, scope.indent, scope.unit)
    if edit.op is EditOp.REPLACE:
        index = _find(body, scope, name, kind)
        _require_single_binding(body[index], scope, name)
        body[index] = node.with_changes(leading_lines=leading(body[index]))
        return body
    existing = [k for stmt in body for n, k in _bindings(stmt, scope.in_class) if n == name]
    if existing:
        raise _Rejected(f"cannot add {kind} '{scope.qualifier}{name}': it already exists (as {existing[0]})")
    return insert_definition(body, node, comments, scope.in_class, kind)


# --- finding symbols --------------------------------------------------------------------------


def _bindings(stmt: cst.BaseStatement, in_class: bool) -> list[tuple[str, EditKind]]:
    """The names a statement binds at its own level, with the kind of edit that addresses them."""
    if isinstance(stmt, cst.FunctionDef):
        return [(stmt.name.value, EditKind.METHOD if in_class else EditKind.FUNCTION)]
    if isinstance(stmt, cst.ClassDef):
        return [(stmt.name.value, EditKind.CLASS)]
    if not isinstance(stmt, cst.SimpleStatementLine):
        return []
    found: list[tuple[str, EditKind]] = []
    for small in stmt.body:
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            found.extend((bound, EditKind.IMPORT) for bound in import_names(small))
        elif isinstance(small, cst.Assign):
            targets = [t.target for t in small.targets]
            found.extend((n, EditKind.ASSIGNMENT) for t in targets for n in _target_names(t))
        elif isinstance(small, cst.AnnAssign):
            found.extend((n, EditKind.ASSIGNMENT) for n in _target_names(small.target))
    return found


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for element in target.elements for n in _target_names(element.value)]
    return []


def _find(body: Body, scope: _Scope, name: str, kind: EditKind) -> int:
    """The index of the one statement defining `name` as `kind`, or a rejection saying why not."""
    qualified = f"{scope.qualifier}{name}"
    matches = [i for i, stmt in enumerate(body) if (name, kind) in _bindings(stmt, scope.in_class)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise _Rejected(f"{kind} '{qualified}' is defined {len(matches)} times; cannot tell which to edit")
    others = [k for stmt in body for n, k in _bindings(stmt, scope.in_class) if n == name]
    if others:
        raise _Rejected(f"'{qualified}' is {_article(others[0])} {others[0]}, not {_article(kind)} {kind}")
    candidates = [n for stmt in body for n, k in _bindings(stmt, scope.in_class) if k == kind]
    close = difflib.get_close_matches(name, candidates, n=1)
    hint = f" (did you mean '{scope.qualifier}{close[0]}'?)" if close else ""
    raise _Rejected(f"no {kind} '{qualified}'{hint}")


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _require_single_binding(stmt: cst.BaseStatement, scope: _Scope, name: str) -> None:
    names = [n for n, _ in _bindings(stmt, scope.in_class)]
    if len(names) > 1 or (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) > 1):
        others = ", ".join(n for n in names if n != name) or "other statements"
        raise _Rejected(f"'{scope.qualifier}{name}' shares its statement with {others}; edit it as text")


# --- the new code -----------------------------------------------------------------------------


def _snippet(edit: Edit, name: str) -> tuple[cst.BaseStatement, list[cst.EmptyLine]]:
    """Parse `edit.code` into one statement of the edit's kind defining `name` (+ its comments)."""
    what = f"{edit.kind} '{edit.target}'"
    code = textwrap.dedent(edit.code).strip("\n")
    if not code.strip():
        raise _Rejected(f"{edit.op} {what} needs code")
    try:
        parsed = _parse_code(code)
    except cst.ParserSyntaxError as exc:
        raise _Rejected(f"code for {what} does not parse (line {exc.raw_line}: {exc.message})") from None
    if len(parsed.body) != 1:
        raise _Rejected(f"code for {what} must be exactly one statement, got {len(parsed.body)}")
    node = parsed.body[0]
    defined = _defines(node, edit.kind)
    if defined is None:
        raise _Rejected(f"code for {what} is {_describe(node)}, not {_expected(edit.kind)}")
    if defined != [name]:
        shown = ", ".join(repr(n) for n in defined) or "nothing"
        raise _Rejected(f"code for {what} defines {shown}, expected exactly '{name}'")
    comments = [line for line in (*parsed.header, *leading(node)) if line.comment is not None]
    return node.with_changes(leading_lines=()), comments


def _parse_code(code: str) -> cst.Module:
    """Parse a dedented snippet; code still indented after dedent (a comment or a multi-line
    string at column 0 inside method code) is parsed as the body of a block instead."""
    try:
        return cst.parse_module(code + "\n")
    except cst.ParserSyntaxError:
        first = next(
            (line for line in code.splitlines() if line.strip() and not line.lstrip().startswith("#")), ""
        )
        if not first[:1].isspace():
            raise
    wrapped = cst.parse_module("if True:\n" + code + "\n")
    block = wrapped.body[0]
    assert isinstance(block, cst.If) and isinstance(block.body, cst.IndentedBlock)
    statements = [
        s for s in block.body.body if isinstance(s, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
    ]
    return cst.Module(body=statements)


def _defines(node: cst.BaseStatement, kind: EditKind) -> list[str] | None:
    """The names `node` defines if it is the right kind of statement for `kind`, else None."""
    if kind in (EditKind.FUNCTION, EditKind.METHOD):
        return [node.name.value] if isinstance(node, cst.FunctionDef) else None
    if kind is EditKind.CLASS:
        return [node.name.value] if isinstance(node, cst.ClassDef) else None
    if not isinstance(node, cst.SimpleStatementLine) or len(node.body) != 1:
        return None
    small = node.body[0]
    if kind is EditKind.IMPORT:
        return import_names(small) if isinstance(small, (cst.Import, cst.ImportFrom)) else None
    if isinstance(small, cst.Assign):
        return [n for t in small.targets for n in _target_names(t.target)]
    if isinstance(small, cst.AnnAssign):
        return _target_names(small.target)
    return None


def _expected(kind: EditKind) -> str:
    return {
        EditKind.FUNCTION: "a function definition",
        EditKind.METHOD: "a function definition",
        EditKind.CLASS: "a class definition",
        EditKind.ASSIGNMENT: "an assignment (NAME = ... or NAME: T = ...)",
        EditKind.IMPORT: "an import statement",
    }[kind]


def _describe(node: cst.BaseStatement) -> str:
    if isinstance(node, cst.FunctionDef):
        return "a function definition"
    if isinstance(node, cst.ClassDef):
        return "a class definition"
    if isinstance(node, cst.SimpleStatementLine):
        kinds = sorted({type(small).__name__ for small in node.body})
        return f"a simple statement ({', '.join(kinds)})"
    return f"a compound statement ({type(node).__name__})"


# --- imports ----------------------------------------------------------------------------------


def _import_edit(body: Body, edit: Edit, first_party: str) -> Body:
    """Add, remove or replace the module-level import that binds `edit.target`."""
    bound_at = [i for i, stmt in enumerate(body) if edit.target in _import_names_of(stmt)]
    if edit.op is EditOp.ADD:
        node, comments = _snippet(edit, edit.target)
        small = import_of(node)
        assert small is not None
        for i in bound_at:
            existing = import_of(body[i])
            assert existing is not None
            if import_signature(existing, edit.target) == import_signature(small, edit.target):
                return body  # already imported exactly so: nothing to do
        taken = [k for stmt in body for n, k in _bindings(stmt, False) if n == edit.target]
        if taken:
            raise _Rejected(f"cannot add import '{edit.target}': the name is already bound (as {taken[0]})")
        return add_import(body, node.with_changes(leading_lines=comments), first_party)
    if not bound_at:
        candidates = [n for stmt in body for n in _import_names_of(stmt)]
        close = difflib.get_close_matches(edit.target, candidates, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise _Rejected(f"no import binding '{edit.target}'{hint}")
    if len(bound_at) > 1:
        raise _Rejected(f"'{edit.target}' is imported {len(bound_at)} times; cannot tell which to edit")
    index = bound_at[0]
    if edit.op is EditOp.REMOVE:
        return remove_import_name(body, index, edit.target)
    node, _ = _snippet(edit, edit.target)
    if _import_names_of(body[index]) == [edit.target]:
        body[index] = node.with_changes(leading_lines=leading(body[index]))
        return body
    return add_import(remove_import_name(body, index, edit.target), node, first_party)


def _import_names_of(stmt: cst.BaseStatement) -> list[str]:
    small = import_of(stmt)
    return import_names(small) if small is not None else []
