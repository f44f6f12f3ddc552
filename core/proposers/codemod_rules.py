"""The codemod rules: deterministic libcst rewrites of one module, each a real improvement.

Each rule is a function `(path, source, other_sources) -> Iterator[CodemodResult]` yielding
symbol-level edits (see `core.proposers.codemod` for the list and the proposer that uses them).
A rule that cannot prove its rewrite safe yields nothing for that spot.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from core.records import Edit, EditKind, EditOp

__all__ = [
    "TRANSFORMS",
    "CodemodResult",
    "Transform",
    "dead_branches",
    "memoize_recursive",
    "modern_comprehensions",
    "set_membership",
    "unused_imports",
]

logger = logging.getLogger(__name__)

_HASHABLE = re.compile(r"^(?:int|str|bool|float|bytes|complex|None|tuple|frozenset|[\[\]|, .]|\.\.\.)+$")
_PURE_BUILTINS = frozenset(
    {
        "abs",
        "all",
        "any",
        "bool",
        "bytes",
        "chr",
        "divmod",
        "enumerate",
        "float",
        "frozenset",
        "int",
        "isinstance",
        "len",
        "max",
        "min",
        "ord",
        "pow",
        "range",
        "reversed",
        "round",
        "sorted",
        "str",
        "sum",
        "tuple",
        "zip",
    }
)
_MIN_LITERAL = 3


@dataclass(frozen=True)
class CodemodResult:
    name: str
    rationale: str
    edits: tuple[Edit, ...]


Transform = Callable[[str, str, Mapping[str, str]], Iterator[CodemodResult]]


# --- shared helpers ----------------------------------------------------------------------------


def _code(module: cst.Module, node: cst.CSTNode) -> str:
    if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.SimpleStatementLine)):
        node = node.with_changes(leading_lines=())
    return module.code_for_node(node).strip("\n") + "\n"


def _functions(module: cst.Module) -> Iterator[tuple[str, EditKind, cst.FunctionDef]]:
    """Every module-level function and method (`Class.method`, one level of nesting) in order."""
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef):
            yield stmt.name.value, EditKind.FUNCTION, stmt
        elif isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            for inner in stmt.body.body:
                if isinstance(inner, cst.FunctionDef):
                    yield f"{stmt.name.value}.{inner.name.value}", EditKind.METHOD, inner


def _rewrite_functions(
    path: str, source: str, transformer: Callable[[], cst.CSTTransformer], name: str, why: str
) -> Iterator[CodemodResult]:
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return
    for qualified, kind, func in _functions(module):
        new = func.visit(transformer())
        if not isinstance(new, cst.FunctionDef) or new.deep_equals(func):
            continue
        code = _code(module, new)
        try:
            ast.parse(code)
        except SyntaxError:
            continue
        yield CodemodResult(
            name,
            why.format(target=qualified, path=path),
            (Edit(EditOp.REPLACE, kind, path, qualified, code),),
        )


def _is_constant(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.SimpleString, cst.Integer, cst.Float)) or (
        isinstance(node, cst.UnaryOperation) and isinstance(node.expression, (cst.Integer, cst.Float))
    )


def _constant_elements(node: cst.BaseExpression) -> list[cst.BaseElement] | None:
    """The elements of a list/tuple literal of >= 3 distinct constants of one type, else None."""
    if not isinstance(node, (cst.List, cst.Tuple)) or len(node.elements) < _MIN_LITERAL:
        return None
    values = [e.value for e in node.elements]
    if not all(isinstance(e, cst.Element) for e in node.elements) or not all(_is_constant(v) for v in values):
        return None
    if len({type(v) for v in values}) != 1:
        return None
    try:
        literal = [ast.literal_eval(cst.Module([]).code_for_node(v)) for v in values]
    except (ValueError, SyntaxError):
        return None
    if len(set(literal)) != len(literal):
        return None
    return list(node.elements)


def _as_set(elements: list[cst.BaseElement]) -> cst.Set:
    last = elements[-1]
    if isinstance(last, cst.Element) and last.comma is not cst.MaybeSentinel.DEFAULT:
        elements = [*elements[:-1], last.with_changes(comma=cst.MaybeSentinel.DEFAULT)]
    return cst.Set(elements=elements)


# --- memoize -----------------------------------------------------------------------------------


def _is_pure_recursive(func: ast.FunctionDef) -> bool:
    args = func.args
    if func.decorator_list or args.vararg or args.kwarg:
        return False
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if not params or not all(p.annotation and _HASHABLE.match(ast.unparse(p.annotation)) for p in params):
        return False
    self_calls = 0
    returns_value = False
    for node in ast.walk(func):
        if isinstance(node, (ast.Global, ast.Nonlocal, ast.Yield, ast.YieldFrom, ast.Await, ast.Lambda)):
            return False
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not func:
            return False
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            if any(not isinstance(t, ast.Name) for t in targets):
                return False
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                return False
            if node.func.id == func.name:
                self_calls += 1
            elif node.func.id not in _PURE_BUILTINS:
                return False
        if isinstance(node, ast.Return) and node.value is not None:
            returns_value = True
    return self_calls >= 2 and returns_value


def memoize_recursive(path: str, source: str, others: Mapping[str, str]) -> Iterator[CodemodResult]:
    """`@functools.cache` on a pure function that calls itself at least twice (exponential -> linear)."""
    try:
        tree = ast.parse(source)
        module = cst.parse_module(source)
    except (SyntaxError, cst.ParserSyntaxError):
        return
    pure = {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and _is_pure_recursive(n)}
    imports = {
        (alias.asname or alias.name, getattr(n, "module", None))
        for n in tree.body
        if isinstance(n, (ast.Import, ast.ImportFrom))
        for alias in n.names
    }
    for stmt in module.body:
        if not isinstance(stmt, cst.FunctionDef) or stmt.name.value not in pure:
            continue
        edits: list[Edit] = []
        if ("cache", "functools") in imports:
            decorator = "cache"
        else:
            decorator = "functools.cache"
            if ("functools", None) not in imports:
                edits.append(Edit(EditOp.ADD, EditKind.IMPORT, path, "functools", "import functools\n"))
        new = stmt.with_changes(decorators=[cst.Decorator(decorator=cst.parse_expression(decorator))])
        edits.append(Edit(EditOp.REPLACE, EditKind.FUNCTION, path, stmt.name.value, _code(module, new)))
        name = stmt.name.value
        yield CodemodResult(
            "memoize",
            f"Memoize {name} in {path}: it is pure and calls itself more than once, so repeated "
            f"sub-calls are recomputed; functools.cache makes them a lookup.",
            tuple(edits),
        )


# --- membership --------------------------------------------------------------------------------


class _InlineMembership(cst.CSTTransformer):
    def leave_ComparisonTarget(
        self, original_node: cst.ComparisonTarget, updated_node: cst.ComparisonTarget
    ) -> cst.ComparisonTarget:
        if not isinstance(updated_node.operator, (cst.In, cst.NotIn)):
            return updated_node
        elements = _constant_elements(updated_node.comparator)
        if elements is None:
            return updated_node
        return updated_node.with_changes(comparator=_as_set(elements))


def _membership_only_names(tree: ast.Module) -> dict[str, int]:
    """Name -> number of loads, and whether every load is the right side of `in`/`not in`."""
    in_uses: dict[str, int] = {}
    other: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, ast.Name):
                    in_uses[right.id] = in_uses.get(right.id, 0) + 1
    loads: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            loads[node.id] = loads.get(node.id, 0) + 1
    for name, count in loads.items():
        if in_uses.get(name, 0) != count:
            other.add(name)
    return {name: n for name, n in in_uses.items() if name not in other}


def _exported(tree: ast.Module) -> set[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return set()
            return {str(v) for v in value}
    return set()


def _mentioned_elsewhere(name: str, others: Mapping[str, str]) -> bool:
    word = re.compile(rf"\b{re.escape(name)}\b")
    return any(word.search(text) for text in others.values())


def set_membership(path: str, source: str, others: Mapping[str, str]) -> Iterator[CodemodResult]:
    """Membership tests against list/tuple literals of constants become set lookups."""
    try:
        tree = ast.parse(source)
        module = cst.parse_module(source)
    except (SyntaxError, cst.ParserSyntaxError):
        return
    only_in = _membership_only_names(tree)
    exported = _exported(tree)
    for stmt in module.body:
        if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
            continue
        assign = stmt.body[0]
        if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1):
            continue
        target = assign.targets[0].target
        if not isinstance(target, cst.Name) or target.value not in only_in or target.value in exported:
            continue
        elements = _constant_elements(assign.value)
        if elements is None or _mentioned_elsewhere(target.value, others):
            continue
        call = cst.Call(func=cst.Name("frozenset"), args=[cst.Arg(_as_set(elements))])
        new = stmt.with_changes(body=[assign.with_changes(value=call)])
        name = target.value
        yield CodemodResult(
            "membership",
            f"Make {name} in {path} a frozenset: it is only used for `in` tests, which are O(n) on a "
            f"{'list' if isinstance(assign.value, cst.List) else 'tuple'} and O(1) on a set.",
            (Edit(EditOp.REPLACE, EditKind.ASSIGNMENT, path, name, _code(module, new)),),
        )
    yield from _rewrite_functions(
        path,
        source,
        _InlineMembership,
        "membership",
        "Test membership against set literals in {target} ({path}): a set lookup is O(1), a list or "
        "tuple scan O(n).",
    )


# --- dead branches -----------------------------------------------------------------------------


def _truth(test: cst.BaseExpression) -> bool | None:
    if isinstance(test, cst.Name) and test.value in ("True", "False"):
        return test.value == "True"
    if isinstance(test, cst.Integer):
        return test.evaluated_value != 0
    return None


def _statements(block: cst.BaseSuite) -> list[cst.BaseStatement]:
    if isinstance(block, cst.IndentedBlock):
        return list(block.body)
    return (
        [cst.SimpleStatementLine(body=list(block.body))]
        if isinstance(block, cst.SimpleStatementSuite)
        else []
    )


class _DeadBranches(cst.CSTTransformer):
    def leave_If(
        self, original_node: cst.If, updated_node: cst.If
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        truth = _truth(updated_node.test)
        if truth is None:
            return updated_node
        if truth:
            return cst.FlattenSentinel(_statements(updated_node.body))
        orelse = updated_node.orelse
        if orelse is None:
            return cst.RemoveFromParent()
        if isinstance(orelse, cst.If):
            return orelse.with_changes(leading_lines=updated_node.leading_lines)
        return cst.FlattenSentinel(_statements(orelse.body))

    def leave_While(
        self, original_node: cst.While, updated_node: cst.While
    ) -> cst.BaseStatement | cst.RemovalSentinel:
        if _truth(updated_node.test) is False and updated_node.orelse is None:
            return cst.RemoveFromParent()
        return updated_node

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if not updated_node.body:
            return updated_node.with_changes(body=[cst.SimpleStatementLine(body=[cst.Pass()])])
        return updated_node


def dead_branches(path: str, source: str, others: Mapping[str, str]) -> Iterator[CodemodResult]:
    """Branches on a constant condition inside functions: keep the live side, drop the dead one."""
    yield from _rewrite_functions(
        path,
        source,
        _DeadBranches,
        "dead-branch",
        "Remove dead branches in {target} ({path}): a constant condition makes one side unreachable.",
    )


# --- comprehensions ----------------------------------------------------------------------------


class _Comprehensions(cst.CSTTransformer):
    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = updated_node.func
        if not isinstance(func, cst.Name) or func.value not in ("list", "set", "dict"):
            return updated_node
        if len(updated_node.args) != 1 or updated_node.args[0].keyword or updated_node.args[0].star:
            return updated_node
        arg = updated_node.args[0].value
        if isinstance(arg, cst.GeneratorExp) or (isinstance(arg, cst.ListComp) and func.value != "list"):
            elt, for_in = arg.elt, arg.for_in
        elif isinstance(arg, cst.List) and func.value == "set" and arg.elements:
            return cst.Set(elements=arg.elements)
        else:
            return updated_node
        if func.value == "list":
            return cst.ListComp(elt=elt, for_in=for_in)
        if func.value == "set":
            return cst.SetComp(elt=elt, for_in=for_in)
        if (
            isinstance(elt, cst.Tuple)
            and len(elt.elements) == 2
            and all(isinstance(e, cst.Element) for e in elt.elements)
        ):
            return cst.DictComp(key=elt.elements[0].value, value=elt.elements[1].value, for_in=for_in)
        return updated_node


def _shadowed(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return True
    names = {"list", "set", "dict"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id in names:
            return True
        if (
            isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.arg))
            and getattr(node, "name", getattr(node, "arg", "")) in names
        ):
            return True
        if isinstance(node, ast.alias) and (node.asname or node.name) in names:
            return True
    return False


def modern_comprehensions(path: str, source: str, others: Mapping[str, str]) -> Iterator[CodemodResult]:
    """`list(genexp)` -> list comprehension, `dict((k, v) for ...)` -> dict comprehension, ..."""
    if _shadowed(source):
        return
    yield from _rewrite_functions(
        path,
        source,
        _Comprehensions,
        "comprehension",
        "Use comprehensions in {target} ({path}) instead of list()/set()/dict() around a generator: "
        "clearer and faster (no generator frame, no extra call).",
    )


# --- unused imports ----------------------------------------------------------------------------


def unused_imports(path: str, source: str, others: Mapping[str, str]) -> Iterator[CodemodResult]:
    """Module-level imports whose bound name nothing in the module (nor `__all__`) uses."""
    if Path(path).name == "__init__.py":
        return
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    used |= _exported(tree)
    strings = " ".join(
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )
    for node in tree.body:
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        for alias in node.names:
            bound = alias.asname or alias.name
            root = bound.split(".")[0]
            if alias.name == "*" or root in used or re.search(rf"\b{re.escape(root)}\b", strings):
                continue
            if _mentioned_elsewhere(bound, others):
                continue  # possibly re-exported to another module
            yield CodemodResult(
                "unused-import",
                f"Remove the unused import of {bound} from {path}: nothing in the module uses it.",
                (Edit(EditOp.REMOVE, EditKind.IMPORT, path, bound),),
            )


TRANSFORMS: tuple[tuple[str, Transform], ...] = (
    ("memoize", memoize_recursive),
    ("membership", set_membership),
    ("dead-branch", dead_branches),
    ("comprehension", modern_comprehensions),
    ("unused-import", unused_imports),
)
