"""Property: for any valid edit, statements the edit does not address stay byte-identical."""

from __future__ import annotations

import ast

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.edits import EditApplied, apply_edit
from core.records import Edit, EditKind, EditOp

PATH = "mutable/sample.py"

MODULE = '''\
"""A module for property tests."""

from __future__ import annotations

import re
from dataclasses import dataclass

CONST_A = 1
CONST_B: str = "b"  # a comment


# leading comment of f0
def f0(x: int) -> int:
    """Doc of f0.

    Two lines.
    """
    return x + 1


@staticmethod
def f1() -> None:
    pass  # nothing


@dataclass
class K:
    """A class."""

    field: int = 0

    def m0(self) -> int:
        return self.field

    # about m1
    async def m1(self, y: str) -> str:
        return y

    class Inner:
        def n0(self) -> bool:
            return True


async def g(url: str) -> bytes:
    return re.sub("a", "b", url).encode()
'''

TOP_DEFS = ["f0", "f1", "g"]
METHODS = ["K.m0", "K.m1", "K.Inner.n0"]
NAMES = st.sampled_from(["a", "b", "c", "value", "item"])


@st.composite
def function_code(draw: st.DrawFn, name: str, method: bool) -> str:
    params = draw(st.lists(NAMES, unique=True, max_size=3))
    if method:
        params = ["self", *params]
    lines = []
    if draw(st.booleans()):
        lines.append(f"# {draw(st.sampled_from(['why', 'note', 'todo']))}")
    if draw(st.booleans()):
        lines.append("@functools.cache")
    prefix = "async def" if draw(st.booleans()) else "def"
    lines.append(f"{prefix} {name}({', '.join(params)}) -> int:")
    if draw(st.booleans()):
        lines += ['    """Summary.', "", "    Details.", '    """']
    if draw(st.booleans()):
        lines += ["    if True:", f"        return {draw(st.integers(0, 99))}"]
    lines.append(f"    return {draw(st.integers(0, 99))}")
    return "\n".join(lines) + "\n"


@st.composite
def edits(draw: st.DrawFn) -> Edit:
    choice = draw(st.sampled_from(["function", "method", "class", "assignment", "import"]))
    op = draw(st.sampled_from([EditOp.REPLACE, EditOp.ADD, EditOp.REMOVE]))
    if choice in ("function", "method"):
        method = choice == "method"
        kind = EditKind.METHOD if method else EditKind.FUNCTION
        if op is EditOp.ADD:
            parent = draw(st.sampled_from(["K.", "K.Inner."])) if method else ""
            target = parent + draw(st.sampled_from(["new_one", "helper", "extra"]))
        else:
            target = draw(st.sampled_from(METHODS if method else TOP_DEFS))
        code = "" if op is EditOp.REMOVE else draw(function_code(target.rsplit(".", 1)[-1], method))
        return Edit(op, kind, PATH, target, code)
    if choice == "class":
        target = (
            draw(st.sampled_from(["K", "K.Inner"]))
            if op is not EditOp.ADD
            else draw(st.sampled_from(["Extra", "K.Extra", "K.Inner.Deep"]))
        )
        name = target.rsplit(".", 1)[-1]
        code = f'class {name}:\n    """Doc."""\n\n    n: int = {draw(st.integers(0, 9))}\n'
        return Edit(op, EditKind.CLASS, PATH, target, "" if op is EditOp.REMOVE else code)
    if choice == "assignment":
        target = (
            draw(st.sampled_from(["CONST_A", "CONST_B", "K.field"]))
            if op is not EditOp.ADD
            else draw(st.sampled_from(["CONST_C", "K.other"]))
        )
        name = target.rsplit(".", 1)[-1]
        code = f"{name}: int = {draw(st.integers(0, 9))}\n"
        return Edit(op, EditKind.ASSIGNMENT, PATH, target, "" if op is EditOp.REMOVE else code)
    if op is EditOp.REMOVE:
        return Edit(op, EditKind.IMPORT, PATH, draw(st.sampled_from(["re", "dataclass"])))
    code = draw(
        st.sampled_from(["import os", "import functools", "from dataclasses import field", "import yaml"])
    )
    return Edit(EditOp.ADD, EditKind.IMPORT, PATH, code.split()[-1], code)


def members(module: cst.Module, scope: list[str]) -> dict[str, str]:
    """Rendered text of each named statement in a module or class body, with its leading comments.

    Blank lines before a statement are left out: removing or adding a neighbour may adjust the gap.
    """
    body: list[cst.BaseStatement] = list(module.body)
    for name in scope:
        node = next(s for s in body if isinstance(s, cst.ClassDef) and s.name.value == name)
        assert isinstance(node.body, cst.IndentedBlock)
        body = list(node.body.body)
    found: dict[str, str] = {}
    for stmt in body:
        if isinstance(stmt, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            comments = [line for line in stmt.leading_lines if line.comment is not None]
            stmt = stmt.with_changes(leading_lines=comments)
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            found[stmt.name.value] = module.code_for_node(stmt)
        elif isinstance(stmt, cst.SimpleStatementLine) and isinstance(
            stmt.body[0], (cst.Assign, cst.AnnAssign)
        ):
            small = stmt.body[0]
            target = small.targets[0].target if isinstance(small, cst.Assign) else small.target
            assert isinstance(target, cst.Name)
            found[target.value] = module.code_for_node(stmt)
    return found


@pytest.mark.slow
@settings(max_examples=180, deadline=None)
@given(edits())
def test_untouched_statements_stay_byte_identical(e: Edit) -> None:
    result = apply_edit(MODULE, e)
    assert isinstance(result, EditApplied), result
    ast.parse(result.new_source)
    before, after = cst.parse_module(MODULE), cst.parse_module(result.new_source)
    path = e.target.split(".") if e.kind is not EditKind.IMPORT else []
    # every scope from the module down to the edited one: siblings of the edited path are untouched
    for depth in range(len(path)):
        scope, edited = path[:depth], path[depth]
        old, new = members(before, scope), members(after, scope)
        for name, text in old.items():
            if name != edited:
                assert new.get(name) == text, f"{name} changed by {e.describe()}"
        if e.op is EditOp.REMOVE and depth == len(path) - 1:
            assert edited not in new
        elif depth == len(path) - 1:
            assert edited in new
    if e.kind is EditKind.IMPORT:
        old_top, new_top = members(before, []), members(after, [])
        assert old_top == new_top
        lines_before = [line for line in MODULE.splitlines() if not line.startswith(("import", "from"))]
        lines_after = [
            line for line in result.new_source.splitlines() if not line.startswith(("import", "from"))
        ]
        assert [line for line in lines_after if line] == [line for line in lines_before if line]
