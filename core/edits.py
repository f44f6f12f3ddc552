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
from libcst.helpers import get_full_name_for_node

from core.boundary import disk_problem, path_problem
from core.records import Edit, EditKind, EditOp

__all__ = ["EditApplied", "EditRejected", "TreeEditResult", "apply_edit", "apply_edits_to_tree"]

logger = logging.getLogger(__name__)

_BLANK = cst.EmptyLine(indent=False)
_Body = list[cst.BaseStatement]


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
    module: cst.Module, parents: Sequence[str], action: Callable[[_Body, _Scope], _Body]
) -> cst.Module:
    """Run `action` on the statements of the class `parents` (the module when empty)."""
    unit = module.default_indent

    def descend(body: _Body, scope: _Scope, depth: int) -> _Body:
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


def _symbol_edit(body: _Body, scope: _Scope, edit: Edit, name: str) -> _Body:
    kind = edit.kind
    if edit.op is EditOp.REMOVE:
        index = _find(body, scope, name, kind)
        _require_single_binding(body[index], scope, name)
        return _remove_at(body, index, scope)
    node, comments = _snippet(edit, name)
    node = _reindent_docstrings(node, scope.indent, scope.unit)
    if edit.op is EditOp.REPLACE:
        index = _find(body, scope, name, kind)
        _require_single_binding(body[index], scope, name)
        body[index] = node.with_changes(leading_lines=_leading(body[index]))
        return body
    existing = [k for stmt in body for n, k in _bindings(stmt, scope.in_class) if n == name]
    if existing:
        raise _Rejected(f"cannot add {kind} '{scope.qualifier}{name}': it already exists (as {existing[0]})")
    return _insert(body, node, comments, scope, kind)


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
            found.extend((bound, EditKind.IMPORT) for bound in _import_names(small))
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


def _find(body: _Body, scope: _Scope, name: str, kind: EditKind) -> int:
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
        parsed = cst.parse_module(code + "\n")
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
    comments = [line for line in (*parsed.header, *_leading(node)) if line.comment is not None]
    return node.with_changes(leading_lines=()), comments


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
        return _import_names(small) if isinstance(small, (cst.Import, cst.ImportFrom)) else None
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


class _DocstringIndenter(cst.CSTTransformer):
    """Re-indents multi-line docstrings to where their definition now sits (as ruff format would)."""

    def __init__(self, base: str, unit: str) -> None:
        super().__init__()
        self._unit = unit
        self._blocks: list[tuple[str, bool]] = [(base, False)]  # (absolute indent, owned by def/class)
        self._owner_next = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._owner_next = isinstance(node.body, cst.IndentedBlock)  # the next block visited is its body
        return True

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._owner_next = isinstance(node.body, cst.IndentedBlock)
        return True

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        step = node.indent if node.indent is not None else self._unit
        self._blocks.append((self._blocks[-1][0] + step, self._owner_next))
        self._owner_next = False
        return True

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        indent, owned = self._blocks.pop()
        first = updated_node.body[0] if updated_node.body else None
        if not owned or first is None or not _is_docstring(first):
            return updated_node
        assert isinstance(first, cst.SimpleStatementLine)
        expr = first.body[0]
        assert isinstance(expr, cst.Expr)
        if not isinstance(expr.value, cst.SimpleString):
            return updated_node
        fixed = _fix_docstring(expr.value.value, indent)
        if fixed == expr.value.value:
            return updated_node
        new_first = first.with_changes(body=[expr.with_changes(value=expr.value.with_changes(value=fixed))])
        return updated_node.with_changes(body=[new_first, *updated_node.body[1:]])


def _fix_docstring(value: str, indent: str) -> str:
    """Shift a docstring's continuation lines so their common indentation is `indent`."""
    lines = value.split("\n")
    if len(lines) < 2 or "\t" in value or value.lstrip("rRuUbB")[:3] not in ('"""', "'''"):
        return value
    rest = lines[1:]
    margins = [len(line) - len(line.lstrip(" ")) for line in rest if line.strip()]
    if not margins or min(margins) == len(indent):
        return value
    margin = min(margins)
    shifted = [indent + line[margin:] if line.strip() else "" for line in rest]
    if not rest[-1].strip():
        shifted[-1] = indent
    return "\n".join([lines[0], *shifted])


def _reindent_docstrings(node: cst.BaseStatement, indent: str, unit: str) -> cst.BaseStatement:
    if not isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        return node
    result = node.visit(_DocstringIndenter(indent, unit))
    assert isinstance(result, cst.BaseStatement)
    return result


# --- placing and removing statements ---------------------------------------------------------


def _leading(stmt: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    assert isinstance(stmt, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
    return stmt.leading_lines


def _blank_count(stmt: cst.BaseStatement) -> int:
    count = 0
    for line in _leading(stmt):
        if line.comment is not None:
            break
        count += 1
    return count


def _with_blanks(stmt: cst.BaseStatement, wanted: int) -> cst.BaseStatement:
    """`stmt` with at least `wanted` blank lines before its comments and itself."""
    missing = wanted - _blank_count(stmt)
    if missing <= 0:
        return stmt
    return stmt.with_changes(leading_lines=[*([_BLANK] * missing), *_leading(stmt)])


def _is_placeholder(stmt: cst.BaseStatement) -> bool:
    """A class body's lone `pass` or `...`."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
        return False
    small = stmt.body[0]
    return isinstance(small, cst.Pass) or (
        isinstance(small, cst.Expr) and isinstance(small.value, cst.Ellipsis)
    )


def _is_main_guard(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.If) and "__name__" in cst.Module(body=[]).code_for_node(stmt.test)


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
        return False
    small = stmt.body[0]
    return isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString))


def _insert(
    body: _Body, node: cst.BaseStatement, comments: list[cst.EmptyLine], scope: _Scope, kind: EditKind
) -> _Body:
    """Place a new definition: defs/classes at the end (methods after the last method),
    assignments after the leading simple statements (docstring, imports, constants)."""
    if scope.in_class and len(body) == 1 and _is_placeholder(body[0]):
        return [node.with_changes(leading_lines=comments)]
    compound = not isinstance(node, cst.SimpleStatementLine)
    if kind is EditKind.ASSIGNMENT:
        index = next((i for i, s in enumerate(body) if not isinstance(s, cst.SimpleStatementLine)), len(body))
    elif kind is EditKind.METHOD:
        methods = [i for i, s in enumerate(body) if isinstance(s, cst.FunctionDef)]
        index = methods[-1] + 1 if methods else len(body)
    else:
        index = len(body) - 1 if body and not scope.in_class and _is_main_guard(body[-1]) else len(body)
    gap = 1 if scope.in_class else 2
    if index == 0:
        blanks = 0
    elif not compound and _bindings(body[index - 1], scope.in_class) and not _is_import(body[index - 1]):
        blanks = 0  # a constant after a constant
    else:
        blanks = gap if compound else 1
    body.insert(index, node.with_changes(leading_lines=[*([_BLANK] * blanks), *comments]))
    successor_compound = index + 1 < len(body) and not isinstance(body[index + 1], cst.SimpleStatementLine)
    if index + 1 < len(body) and (compound or successor_compound):
        body[index + 1] = _with_blanks(body[index + 1], gap)
    return body


def _remove_at(body: _Body, index: int, scope: _Scope) -> _Body:
    """Drop a statement with its comments; its successor keeps the gap (none at a block's start)."""
    removed = body.pop(index)
    if 0 < index < len(body):
        body[index] = _with_blanks(body[index], _blank_count(removed))
    if index == 0 and body:
        successor = body[0]
        kept = [line for line in _leading(successor) if line.comment is not None]
        body[0] = successor.with_changes(leading_lines=kept)
    if not body and scope.in_class:
        body.append(cst.SimpleStatementLine(body=[cst.Pass()]))
    return body


# --- imports ----------------------------------------------------------------------------------


def _import_names(small: cst.Import | cst.ImportFrom) -> list[str]:
    if isinstance(small, cst.ImportFrom) and isinstance(small.names, cst.ImportStar):
        return []
    assert not isinstance(small.names, cst.ImportStar)
    return [_bound_name(alias) for alias in small.names]


def _bound_name(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return get_full_name_for_node(alias.name) or ""


def _import_of(stmt: cst.BaseStatement) -> cst.Import | cst.ImportFrom | None:
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        small = stmt.body[0]
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            return small
    return None


def _is_import(stmt: cst.BaseStatement) -> bool:
    return _import_of(stmt) is not None


def _signature(small: cst.Import | cst.ImportFrom, bound: str) -> tuple[str, ...]:
    """What an import binding means, to tell a repeated import from a conflicting one."""
    assert not isinstance(small.names, cst.ImportStar)
    alias = next(a for a in small.names if _bound_name(a) == bound)
    name = get_full_name_for_node(alias.name) or ""
    if isinstance(small, cst.Import):
        return ("import", name, bound)
    module = get_full_name_for_node(small.module) if small.module is not None else ""
    return ("from", "." * len(small.relative) + (module or ""), name, bound)


def _import_edit(body: _Body, edit: Edit, first_party: str) -> _Body:
    """Add, remove or replace the module-level import that binds `edit.target`."""
    scope = _Scope("", "", "", False)
    bound_at = [i for i, stmt in enumerate(body) if edit.target in _import_names_of(stmt)]
    if edit.op is EditOp.ADD:
        node, comments = _snippet(edit, edit.target)
        small = _import_of(node)
        assert small is not None
        for i in bound_at:
            existing = _import_of(body[i])
            assert existing is not None
            if _signature(existing, edit.target) == _signature(small, edit.target):
                return body  # already imported exactly so: nothing to do
        taken = [k for stmt in body for n, k in _bindings(stmt, False) if n == edit.target]
        if taken:
            raise _Rejected(f"cannot add import '{edit.target}': the name is already bound (as {taken[0]})")
        return _add_import(body, node.with_changes(leading_lines=comments), first_party)
    if not bound_at:
        candidates = [n for stmt in body for n in _import_names_of(stmt)]
        close = difflib.get_close_matches(edit.target, candidates, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise _Rejected(f"no import binding '{edit.target}'{hint}")
    if len(bound_at) > 1:
        raise _Rejected(f"'{edit.target}' is imported {len(bound_at)} times; cannot tell which to edit")
    index = bound_at[0]
    if edit.op is EditOp.REMOVE:
        return _remove_binding(body, index, edit.target, scope)
    node, _ = _snippet(edit, edit.target)
    if _import_names_of(body[index]) == [edit.target]:
        body[index] = node.with_changes(leading_lines=_leading(body[index]))
        return body
    return _add_import(_remove_binding(body, index, edit.target, scope), node, first_party)


def _import_names_of(stmt: cst.BaseStatement) -> list[str]:
    small = _import_of(stmt)
    return _import_names(small) if small is not None else []


def _remove_binding(body: _Body, index: int, bound: str, scope: _Scope) -> _Body:
    """Remove one name from an import statement, or the whole statement if it was the only one."""
    stmt = body[index]
    small = _import_of(stmt)
    assert isinstance(stmt, cst.SimpleStatementLine) and small is not None
    assert not isinstance(small.names, cst.ImportStar)
    names = list(small.names)
    keep = [alias for alias in names if _bound_name(alias) != bound]
    if not keep:
        return _remove_at(body, index, scope)
    if _bound_name(names[-1]) == bound:  # the last name goes: its successor-less comma style stays
        keep[-1] = keep[-1].with_changes(comma=names[-1].comma)
    body[index] = stmt.with_changes(body=[small.with_changes(names=keep)])
    return body


def _section(small: cst.Import | cst.ImportFrom, first_party: str) -> int:
    """isort's sections: future, standard library, third party, first party, local (relative)."""
    if isinstance(small, cst.ImportFrom) and small.relative:
        return 4
    top = _import_module(small).split(".", 1)[0]
    if top == "__future__":
        return 0
    if top in sys.stdlib_module_names:
        return 1
    return 3 if top == first_party else 2


def _import_module(small: cst.Import | cst.ImportFrom) -> str:
    if isinstance(small, cst.Import):
        return get_full_name_for_node(small.names[0].name) or ""
    return get_full_name_for_node(small.module) or "" if small.module is not None else ""


def _sort_key(small: cst.Import | cst.ImportFrom, first_party: str) -> tuple[int, int, int, str]:
    """Where ruff's isort puts an import: by section, `import x` before `from x`, then by module."""
    is_from = isinstance(small, cst.ImportFrom)
    level = len(small.relative) if isinstance(small, cst.ImportFrom) else 0
    return (_section(small, first_party), int(is_from), -level, _import_module(small).lower())


def _member_key(alias: cst.ImportAlias) -> tuple[int, str]:
    """isort's order-by-type for names in `from x import ...`: CONSTANTS, Classes, functions."""
    name = get_full_name_for_node(alias.name) or ""
    rank = 0 if len(name) > 1 and name.isupper() else 1 if name[:1].isupper() else 2
    return (rank, name.lower())


def _add_import(body: _Body, node: cst.BaseStatement, first_party: str) -> _Body:
    """Put a new import where ruff's isort would: merged into `from x import ...` of the same
    module, or in sorted position within the imports at the top of the module."""
    small = _import_of(node)
    assert small is not None
    start = 1 if body and _is_docstring(body[0]) else 0
    end = start
    while end < len(body) and _is_import(body[end]):
        end += 1
    if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
        for i in range(start, end):
            merged = _merge_from(_import_of(body[i]), small)
            if merged is not None:
                stmt = body[i]
                assert isinstance(stmt, cst.SimpleStatementLine)
                body[i] = stmt.with_changes(body=[merged])
                return body
    key = _sort_key(small, first_party)
    index = next((i for i in range(start, end) if _sort_key(_import_any(body[i]), first_party) > key), end)
    section = key[0]
    prev_same = index > start and _section(_import_any(body[index - 1]), first_party) == section
    own_comments = [line for line in _leading(node) if line.comment is not None]
    if index < end:
        after = body[index]
        blanks = list(_leading(after)[: _blank_count(after)])
        rest = list(_leading(after)[len(blanks) :])
        if prev_same:
            leading: list[cst.EmptyLine] = []
        elif _section(_import_any(after), first_party) == section:
            leading, body[index] = blanks, after.with_changes(leading_lines=rest)
        else:
            leading, body[index] = blanks, after.with_changes(leading_lines=[_BLANK, *rest])
    else:
        leading = [] if prev_same or index == 0 else [_BLANK]
    body.insert(index, node.with_changes(leading_lines=[*leading, *own_comments]))
    if index == end and index + 1 < len(body):  # the code after the imports keeps its distance
        after_imports = body[index + 1]
        body[index + 1] = _with_blanks(
            after_imports, 1 if isinstance(after_imports, cst.SimpleStatementLine) else 2
        )
    return body


def _import_any(stmt: cst.BaseStatement) -> cst.Import | cst.ImportFrom:
    small = _import_of(stmt)
    assert small is not None
    return small


def _merge_from(existing: cst.Import | cst.ImportFrom | None, new: cst.ImportFrom) -> cst.ImportFrom | None:
    """`from m import a` + `from m import b` -> `from m import a, b` (sorted), when isort would."""
    if not isinstance(existing, cst.ImportFrom) or isinstance(existing.names, cst.ImportStar):
        return None
    assert not isinstance(new.names, cst.ImportStar)
    same_module = _import_module(existing) == _import_module(new) and len(existing.relative) == len(
        new.relative
    )
    if not same_module or any(a.asname is not None for a in (*existing.names, *new.names)):
        return None
    names = list(existing.names)
    alias = new.names[0]
    index = next((i for i, a in enumerate(names) if _member_key(a) > _member_key(alias)), len(names))
    first_comma = names[0].comma
    sep = (
        first_comma
        if len(names) > 1 and isinstance(first_comma, cst.Comma)
        else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    )
    if index == len(names):
        alias = alias.with_changes(comma=names[-1].comma)
        names[-1] = names[-1].with_changes(comma=sep)
    else:
        alias = alias.with_changes(comma=sep)
    names.insert(index, alias)
    return existing.with_changes(names=names)
