"""Where statements go: libcst helpers that insert, remove and re-indent statements the way ruff lays
them out, so an edited module stays `ruff check` / `ruff format` clean.

Used by the edit engine (`core.edits`). Every function works on a list of statements (a module's
or a class body's) and leaves statements it does not place or remove byte-identical, except for
the blank lines between a placed or removed statement and its neighbour.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

import libcst as cst
from libcst.helpers import get_full_name_for_node

from core.records import EditKind

__all__ = [
    "Body",
    "add_import",
    "import_names",
    "import_of",
    "import_signature",
    "insert_definition",
    "is_docstring",
    "leading",
    "reindent_docstrings",
    "remove_import_name",
    "remove_statement",
]

logger = logging.getLogger(__name__)

_BLANK = cst.EmptyLine(indent=False)
#: the statements of a module or a class body, edited in place
Body = list[cst.BaseStatement]


def leading(stmt: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    assert isinstance(stmt, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
    return stmt.leading_lines


def _blank_count(stmt: cst.BaseStatement) -> int:
    count = 0
    for line in leading(stmt):
        if line.comment is not None:
            break
        count += 1
    return count


def _with_blanks(stmt: cst.BaseStatement, wanted: int) -> cst.BaseStatement:
    """`stmt` with at least `wanted` blank lines before its comments and itself."""
    missing = wanted - _blank_count(stmt)
    if missing <= 0:
        return stmt
    return stmt.with_changes(leading_lines=[*([_BLANK] * missing), *leading(stmt)])


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


def _is_assignment(stmt: cst.BaseStatement) -> bool:
    """A plain `NAME = ...` / `NAME: T = ...` line (a constant after which another needs no gap)."""
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], (cst.Assign, cst.AnnAssign))
    )


def is_docstring(stmt: cst.BaseStatement) -> bool:
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
        return False
    small = stmt.body[0]
    return isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString))


def insert_definition(
    body: Body, node: cst.BaseStatement, comments: list[cst.EmptyLine], in_class: bool, kind: EditKind
) -> Body:
    """Place a new definition: functions and classes at the end (before a main guard), methods
    after the last method, assignments after the leading docstring, imports and constants."""
    if in_class and len(body) == 1 and _is_placeholder(body[0]):
        return [node.with_changes(leading_lines=comments)]
    compound = not isinstance(node, cst.SimpleStatementLine)
    if kind is EditKind.ASSIGNMENT:
        index = next((i for i, s in enumerate(body) if not isinstance(s, cst.SimpleStatementLine)), len(body))
    elif kind is EditKind.METHOD:
        methods = [i for i, s in enumerate(body) if isinstance(s, cst.FunctionDef)]
        index = methods[-1] + 1 if methods else len(body)
    else:
        index = len(body) - 1 if body and not in_class and _is_main_guard(body[-1]) else len(body)
    gap = 1 if in_class else 2
    if index == 0:
        blanks = 0
    elif not compound and _is_assignment(body[index - 1]):
        blanks = 0  # a constant after a constant
    else:
        blanks = gap if compound else 1
    body.insert(index, node.with_changes(leading_lines=[*([_BLANK] * blanks), *comments]))
    successor_compound = index + 1 < len(body) and not isinstance(body[index + 1], cst.SimpleStatementLine)
    if index + 1 < len(body) and (compound or successor_compound):
        body[index + 1] = _with_blanks(body[index + 1], gap)
    return body


def remove_statement(body: Body, index: int, in_class: bool) -> Body:
    """Drop a statement with its comments; its successor keeps the gap (none at a block's start)."""
    removed = body.pop(index)
    if 0 < index < len(body):
        body[index] = _with_blanks(body[index], _blank_count(removed))
    if index == 0 and body:
        successor = body[0]
        kept = [line for line in leading(successor) if line.comment is not None]
        body[0] = successor.with_changes(leading_lines=kept)
    if not body and in_class:
        body.append(cst.SimpleStatementLine(body=[cst.Pass()]))
    return body


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
        if not owned or first is None or not is_docstring(first):
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


def reindent_docstrings(node: cst.BaseStatement, indent: str, unit: str) -> cst.BaseStatement:
    if not isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        return node
    result = node.visit(_DocstringIndenter(indent, unit))
    assert isinstance(result, cst.BaseStatement)
    return result


def import_names(small: cst.Import | cst.ImportFrom) -> list[str]:
    if isinstance(small, cst.ImportFrom) and isinstance(small.names, cst.ImportStar):
        return []
    assert not isinstance(small.names, cst.ImportStar)
    return [_bound_name(alias) for alias in small.names]


def _bound_name(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return get_full_name_for_node(alias.name) or ""


def import_of(stmt: cst.BaseStatement) -> cst.Import | cst.ImportFrom | None:
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        small = stmt.body[0]
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            return small
    return None


def _is_import(stmt: cst.BaseStatement) -> bool:
    return import_of(stmt) is not None


def import_signature(small: cst.Import | cst.ImportFrom, bound: str) -> tuple[str, ...]:
    """What an import binding means, to tell a repeated import from a conflicting one."""
    assert not isinstance(small.names, cst.ImportStar)
    alias = next(a for a in small.names if _bound_name(a) == bound)
    name = get_full_name_for_node(alias.name) or ""
    if isinstance(small, cst.Import):
        return ("import", name, bound)
    module = get_full_name_for_node(small.module) if small.module is not None else ""
    return ("from", "." * len(small.relative) + (module or ""), name, bound)


def remove_import_name(body: Body, index: int, bound: str) -> Body:
    """Remove one name from an import statement, or the whole statement if it was the only one."""
    stmt = body[index]
    small = import_of(stmt)
    assert isinstance(stmt, cst.SimpleStatementLine) and small is not None
    assert not isinstance(small.names, cst.ImportStar)
    names = list(small.names)
    keep = [alias for alias in names if _bound_name(alias) != bound]
    if not keep:
        return remove_statement(body, index, in_class=False)
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


def add_import(body: Body, node: cst.BaseStatement, first_party: str) -> Body:
    """Put a new import where ruff's isort would: merged into `from x import ...` of the same
    module, or in sorted position within the imports at the top of the module."""
    small = import_of(node)
    assert small is not None
    start = 1 if body and is_docstring(body[0]) else 0
    end = start
    while end < len(body) and _is_import(body[end]):
        end += 1
    if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
        for i in range(start, end):
            merged = _merge_from(import_of(body[i]), small)
            if merged is not None:
                stmt = body[i]
                assert isinstance(stmt, cst.SimpleStatementLine)
                body[i] = stmt.with_changes(body=[merged])
                return body
    key = _sort_key(small, first_party)
    index = next((i for i in range(start, end) if _sort_key(_import_any(body[i]), first_party) > key), end)
    section = key[0]
    prev_same = index > start and _section(_import_any(body[index - 1]), first_party) == section
    comments = [line for line in leading(node) if line.comment is not None]
    if index < end:
        after = body[index]
        blanks = list(leading(after)[: _blank_count(after)])
        rest = list(leading(after)[len(blanks) :])
        if prev_same:
            gap: list[cst.EmptyLine] = []
        elif _section(_import_any(after), first_party) == section:
            gap, body[index] = blanks, after.with_changes(leading_lines=rest)
        else:
            gap, body[index] = blanks, after.with_changes(leading_lines=[_BLANK, *rest])
    else:
        gap = [] if prev_same or index == 0 else [_BLANK]
    body.insert(index, node.with_changes(leading_lines=[*gap, *comments]))
    if index == end and index + 1 < len(body):  # the code after the imports keeps its distance
        after_imports = body[index + 1]
        body[index + 1] = _with_blanks(
            after_imports, 1 if isinstance(after_imports, cst.SimpleStatementLine) else 2
        )
    return body


def _import_any(stmt: cst.BaseStatement) -> cst.Import | cst.ImportFrom:
    small = import_of(stmt)
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
