"""Turn an LLM's reply into structured edits, or into a reason why it cannot be used.

The reply format is set by `core.proposers.prompts`: a `WHY:` line, an `EDIT <op> <kind>
<path>:<target>` header and one fenced python block holding the complete new definition. Small
models drift from it, so parsing is lenient where intent is clear (missing header, missing
fence around bare code, the whole class or module sent back around the one changed symbol) and
strict where it is not (prose only, several different versions, another symbol, invalid Python,
no change).
`parse_reply` never raises: every reply becomes `ParsedEdit` or `ParseFailure(reason)`.
"""

from __future__ import annotations

import ast
import copy
import logging
import re
import textwrap
from dataclasses import dataclass

from core.records import Edit, EditKind, EditOp

__all__ = ["EditRequest", "ParseFailure", "ParsedEdit", "find_symbol", "parse_reply"]

logger = logging.getLogger(__name__)

_FENCE = re.compile(r"^[ \t]*(```+|~~~+)[ \t]*([\w+.-]*)[^\n]*$", re.MULTILINE)
_HEADER = re.compile(
    r"EDIT\s*:?\s*(replace|add|remove)\s+(function|method|class|assignment|import)\s+"
    r"`?([\w./-]+\.py)`?\s*:\s*`?([\w.]+)`?",
    re.IGNORECASE,
)
_WHY = re.compile(r"^[\s*#>_-]*(?:WHY|RATIONALE|REASON)\s*[:\-]\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_PYTHON_TAGS = ("", "python", "py", "python3", "py3")
_MAX_RATIONALE = 300

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class EditRequest:
    """What the proposer asked for: replace `target` (of `kind`) in the module at `path`."""

    path: str
    target: str
    kind: EditKind
    module_source: str


@dataclass(frozen=True)
class ParsedEdit:
    rationale: str
    #: the edit of the requested symbol first, then helper additions (imports, functions, constants)
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class ParseFailure:
    reason: str
    #: the code the reply carried, when it had one (for fingerprinting repeated failures)
    code: str = ""


# --- locating code ---------------------------------------------------------------------------


def _code_blocks(reply: str) -> list[tuple[str, str]]:
    """(language tag, body) of every fenced block; an unclosed last fence runs to the end."""
    blocks: list[tuple[str, str]] = []
    matches = list(_FENCE.finditer(reply))
    i = 0
    while i < len(matches):
        opening = matches[i]
        fence = opening.group(1)
        closing = next(
            (m for m in matches[i + 1 :] if m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence)), None
        )
        end = closing.start() if closing else len(reply)
        blocks.append((opening.group(2).lower(), reply[opening.end() + 1 : end]))
        if closing is None:
            break
        i = matches.index(closing) + 1
    return [(tag, body) for tag, body in blocks if body.strip()]


def _bare_code(reply: str) -> str:
    """The reply minus header/WHY lines, if what is left is Python with a definition in it."""
    lines = [ln for ln in reply.splitlines() if not _HEADER.search(ln) and not _WHY.match(ln)]
    text = textwrap.dedent("\n".join(lines)).strip("\n")
    tree = _parse(text)
    if isinstance(tree, ast.Module) and any(
        isinstance(n, (*_DEFS, ast.Assign, ast.AnnAssign)) for n in tree.body
    ):
        return text
    return ""


def _defines_something(code: str) -> bool:
    tree = _parse(textwrap.dedent(code))
    return isinstance(tree, ast.Module) and any(_name_of(n) for n in tree.body)


def _parse(code: str) -> ast.Module | str:
    """The module, or why it does not parse."""
    try:
        return ast.parse(code)
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return f"{exc.msg}{where}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return str(exc) or type(exc).__name__


def _rationale(reply: str, blocks_removed: str) -> str:
    match = _WHY.search(reply)
    if match:
        return match.group(1).strip()[:_MAX_RATIONALE]
    for line in blocks_removed.splitlines():
        text = line.strip(" \t*#>`-")
        if text and not _HEADER.search(line) and not _FENCE.match(line):
            return text[:_MAX_RATIONALE]
    return ""


# --- symbols ---------------------------------------------------------------------------------


def _segment(code_lines: list[str], node: ast.stmt) -> str:
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    end = node.end_lineno or node.lineno
    return textwrap.dedent("\n".join(code_lines[start - 1 : end])).strip("\n") + "\n"


def _assigned_name(node: ast.stmt) -> str | None:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return None


def _name_of(node: ast.stmt) -> str | None:
    if isinstance(node, _DEFS):
        return node.name
    return _assigned_name(node)


def find_symbol(tree: ast.Module, qualified: str) -> ast.stmt | None:
    """The definition of `qualified` (`f`, `Cls.method`, `Outer.Inner`) in `tree`, if any."""
    body: list[ast.stmt] = tree.body
    found: ast.stmt | None = None
    for part in qualified.split("."):
        found = next((n for n in body if _name_of(n) == part), None)
        if found is None:
            return None
        body = found.body if isinstance(found, ast.ClassDef) else []
    return found


def _kind_matches(node: ast.stmt, kind: EditKind) -> bool:
    if kind in (EditKind.FUNCTION, EditKind.METHOD):
        return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    if kind is EditKind.CLASS:
        return isinstance(node, ast.ClassDef)
    if kind is EditKind.ASSIGNMENT:
        return _assigned_name(node) is not None
    return isinstance(node, (ast.Import, ast.ImportFrom))


def _describe(node: ast.stmt) -> str:
    if isinstance(node, ast.ClassDef):
        return "a class"
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return "a function"
    if _assigned_name(node):
        return "an assignment"
    return f"a {type(node).__name__} statement"


def _without_docstrings(node: ast.AST) -> ast.AST:
    """A copy of `node` with every docstring removed (a docstring-only edit changes nothing)."""
    clone = copy.deepcopy(node)
    for inner in ast.walk(clone):
        body = getattr(inner, "body", None)
        if (
            isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module))
            and isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            inner.body = body[1:] or [ast.Pass()]
    return clone


def _same(a: ast.AST, b: ast.AST) -> bool:
    """Whether two definitions do the same thing: formatting, comments and docstrings aside."""
    try:
        return ast.dump(_without_docstrings(a)) == ast.dump(_without_docstrings(b))
    except RecursionError:
        return False


def _used_names(tree: ast.Module) -> set[str]:
    """Names the non-import statements of `tree` read."""
    return {
        n.id
        for stmt in tree.body
        if not isinstance(stmt, (ast.Import, ast.ImportFrom))
        for n in ast.walk(stmt)
        if isinstance(n, ast.Name)
    }


def _import_edits(
    node: ast.Import | ast.ImportFrom, module: ast.Module, path: str, used: set[str]
) -> list[Edit]:
    """ADD edits for the names `node` binds that the new code uses and the module lacks."""
    existing = {
        (alias.asname or alias.name)
        for stmt in module.body
        if isinstance(stmt, (ast.Import, ast.ImportFrom))
        for alias in stmt.names
    }
    existing |= {name for stmt in module.body if (name := _name_of(stmt))}  # `from this_module import X`
    edits: list[Edit] = []
    if isinstance(node, ast.ImportFrom) and node.module == "__future__":
        return edits
    for alias in node.names:
        bound = alias.asname or alias.name
        if alias.name == "*" or bound in existing or bound.split(".")[0] not in used:
            continue
        name = alias.name + (f" as {alias.asname}" if alias.asname else "")
        if isinstance(node, ast.ImportFrom):
            code = f"from {'.' * node.level}{node.module or ''} import {name}\n"
        else:
            code = f"import {name}\n"
        edits.append(Edit(EditOp.ADD, EditKind.IMPORT, path, bound, code))
    return edits


# --- the parser --------------------------------------------------------------------------------


def _defines(code: str, name: str) -> str | None:
    """The normalized dump of `code` when it parses and defines `name` at its top (or in a
    top-level class), else None."""
    tree = _parse(textwrap.dedent(code))
    if not isinstance(tree, ast.Module):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and _name_of(node) == name:
            return ast.dump(_without_docstrings(tree))
    return None


def _pick_code(reply: str, name: str) -> str | ParseFailure:
    """The one python block to use. Several blocks are fine when exactly one version of `name`
    is among them (small models repeat a block, or echo the prompt's example before it)."""
    blocks = _code_blocks(reply)
    python = [body for tag, body in blocks if tag in _PYTHON_TAGS]
    if len(python) > 1:
        versions: dict[str, str] = {}
        for body in python:
            dump = _defines(body, name)
            if dump is not None:
                versions.setdefault(dump, body)
        if len(versions) == 1:
            return next(iter(versions.values()))
        if not versions:
            defining = [body for body in python if _defines_something(body)]
            python = defining if len(defining) == 1 else python
    if len(python) > 1:
        return ParseFailure(
            f"the reply has {len(python)} different code blocks; send exactly one ```python block"
        )
    if python:
        return python[0]
    if blocks:
        return ParseFailure(f"the code block is tagged {blocks[0][0]!r}, not python")
    bare = _bare_code(reply)
    if bare:
        return bare
    return ParseFailure("the reply has no ```python code block (prose only)")


def _check_header(reply: str, request: EditRequest) -> ParseFailure | None:
    headers = {
        (op.lower(), path.strip("/"), target) for op, _kind, path, target in _HEADER.findall(reply[:20000])
    }
    if len(headers) > 1:  # one naming the requested symbol among echoes of the example is clear
        name = request.target.split(".")[-1]
        named = {h for h in headers if h[2].split(".")[-1] == name}
        if len(named) != 1:
            return ParseFailure("the reply has several EDIT lines; change one symbol per reply")
        headers = named
    if not headers:
        return None
    op, path, target = headers.pop()
    if path != request.path and not request.path.endswith("/" + path):
        return ParseFailure(f"wrong module: the EDIT line names {path}, the request was {request.path}")
    if target.split(".")[-1] != request.target.split(".")[-1]:
        return ParseFailure(
            f"wrong symbol: the EDIT line names {target!r}, the request was {request.target!r}"
        )
    if op != EditOp.REPLACE:
        return ParseFailure(f"the EDIT line says {op!r}; the request was to replace {request.target!r}")
    return None


def _primary_node(tree: ast.Module, request: EditRequest) -> ast.stmt | ParseFailure:
    name = request.target.split(".")[-1]
    node = next((n for n in tree.body if _name_of(n) == name), None)
    if node is None and "." in request.target:
        node = find_symbol(tree, request.target)  # the whole class was sent back
    if node is None:
        defined = [n for n in (_name_of(s) for s in tree.body) if n]
        if defined:
            return ParseFailure(
                f"wrong symbol: the code defines {', '.join(map(repr, defined[:5]))}, not {name!r}"
            )
        return ParseFailure(f"the code block has no definition of {name!r}")
    if not _kind_matches(node, request.kind):
        return ParseFailure(
            f"wrong node kind: {name!r} should be a {request.kind}, the code has {_describe(node)}"
        )
    return node


def parse_reply(reply: str, request: EditRequest) -> ParsedEdit | ParseFailure:
    """The edits a reply asks for, validated against the current module, or why they are unusable."""
    if not reply.strip():
        return ParseFailure("the reply is empty")
    failure = _check_header(reply, request)
    if failure:
        return failure
    picked = _pick_code(reply, request.target.split(".")[-1])
    if isinstance(picked, ParseFailure):
        return picked
    code = textwrap.dedent(picked).strip("\n")
    tree = _parse(code)
    if isinstance(tree, str):
        return ParseFailure(f"the code is not valid Python: {tree}", code=code)
    module = _parse(request.module_source)
    if isinstance(module, str):
        return ParseFailure(f"{request.path} itself does not parse: {module}", code=code)
    primary = _primary_node(tree, request)
    if isinstance(primary, ParseFailure):
        return ParseFailure(primary.reason, code=code)
    lines = code.splitlines()
    used = _used_names(tree)
    original = find_symbol(module, request.target)
    op = EditOp.REPLACE if original is not None else EditOp.ADD
    changed = original is None or not _same(original, primary)
    edits = (
        [Edit(op, request.kind, request.path, request.target, _segment(lines, primary))] if changed else []
    )
    for node in tree.body:
        if node is primary or (isinstance(node, ast.ClassDef) and any(n is primary for n in ast.walk(node))):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            edits += _import_edits(node, module, request.path, used)
            continue
        name = _name_of(node)
        if name is None:
            continue  # example calls, `if __name__ == "__main__":` and the like are not part of the edit
        existing = find_symbol(module, name)
        kind = EditKind.CLASS if isinstance(node, ast.ClassDef) else EditKind.FUNCTION
        if _assigned_name(node):
            kind = EditKind.ASSIGNMENT
        if existing is None:
            if name in used:  # a new helper the code calls; an unused one is an echo, not a change
                edits.append(Edit(EditOp.ADD, kind, request.path, name, _segment(lines, node)))
        elif not _same(existing, node):
            if not _kind_matches(existing, kind):
                return ParseFailure(f"the code redefines {name!r} as {_describe(node)}", code=code)
            edits.append(Edit(EditOp.REPLACE, kind, request.path, name, _segment(lines, node)))
            changed = True
    if not changed or not any(e.kind is not EditKind.IMPORT for e in edits):
        return ParseFailure(
            f"the code of {request.target!r} is unchanged from the current definition", code=code
        )
    outside = reply
    for _tag, body in _code_blocks(reply):
        outside = outside.replace(body, "")
    return ParsedEdit(rationale=_rationale(reply, outside), edits=tuple(edits))
