"""Every way an edit is refused: a clear reason naming the module and symbol, and no exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.edits import EditApplied, EditRejected, apply_edit
from core.records import Edit, EditKind, EditOp

PATH = "mutable/lang.py"
F, M, C, A, IMP = EditKind.FUNCTION, EditKind.METHOD, EditKind.CLASS, EditKind.ASSIGNMENT, EditKind.IMPORT
REPLACE, ADD, REMOVE = EditOp.REPLACE, EditOp.ADD, EditOp.REMOVE


def reason(source: str, op: EditOp, kind: EditKind, target: str, code: str = "") -> str:
    result = apply_edit(source, Edit(op=op, kind=kind, path=PATH, target=target, code=code))
    assert isinstance(result, EditRejected), f"expected a rejection, got {result}"
    assert result.reason.startswith(f"{PATH}: ")
    return result.reason.removeprefix(f"{PATH}: ")


@pytest.mark.parametrize(
    ("op", "kind", "target", "code", "expected"),
    [
        # missing symbols, with a close match when there is one
        (
            REPLACE,
            F,
            "detect_lang",
            "def detect_lang(): pass",
            "no function 'detect_lang' (did you mean 'detect_language'?)",
        ),
        (REMOVE, F, "zzz", "", "no function 'zzz'"),
        (
            REPLACE,
            M,
            "Registry.lookp",
            "def lookp(self): pass",
            "no method 'Registry.lookp' (did you mean 'Registry.lookup'?)",
        ),
        (ADD, M, "Registy.go", "def go(self): pass", "no class 'Registy' (did you mean 'Registry'?)"),
        (REMOVE, M, "Registry.Entri.label", "", "no class 'Registry.Entri' (did you mean 'Registry.Entry'?)"),
        (REMOVE, C, "Missing", "", "no class 'Missing'"),
        (REPLACE, A, "LIMT", "LIMT = 1", "no assignment 'LIMT' (did you mean 'LIMIT'?)"),
        (REMOVE, IMP, "tool", "", "no import binding 'tool' (did you mean 'tools'?)"),
        # the symbol exists but is something else
        (REPLACE, F, "Registry", "def Registry(): pass", "'Registry' is a class, not a function"),
        (REMOVE, C, "detect_language", "", "'detect_language' is a function, not a class"),
        (REPLACE, A, "fetch", "fetch = 1", "'fetch' is a function, not an assignment"),
        (REMOVE, M, "Registry.names", "", "'Registry.names' is an assignment, not a method"),
        (
            ADD,
            M,
            "detect_language.inner",
            "def inner(): pass",
            "'detect_language' is a function, not a class",
        ),
        # code that does not parse
        (REPLACE, F, "fetch", "def fetch(:\n    pass", "code for function 'fetch' does not parse"),
        (ADD, IMP, "os", "import", "code for import 'os' does not parse"),
        # code of the wrong kind
        (
            REPLACE,
            F,
            "fetch",
            "class fetch:\n    pass",
            "code for function 'fetch' is a class definition, not a function definition",
        ),
        (
            REPLACE,
            C,
            "Registry",
            "def Registry(): pass",
            "code for class 'Registry' is a function definition, not a class definition",
        ),
        (
            REPLACE,
            A,
            "LIMIT",
            "def LIMIT(): pass",
            "code for assignment 'LIMIT' is a function definition, not an assignment",
        ),
        (
            REPLACE,
            A,
            "LIMIT",
            "LIMIT += 1",
            "code for assignment 'LIMIT' is a simple statement (AugAssign), not an assignment",
        ),
        (
            ADD,
            IMP,
            "os",
            "os = 1",
            "code for import 'os' is a simple statement (Assign), not an import statement",
        ),
        (
            ADD,
            F,
            "g",
            "if True:\n    def g(): pass",
            "code for function 'g' is a compound statement (If), not a function definition",
        ),
        (
            ADD,
            F,
            "g",
            "def g(): pass\ndef h(): pass",
            "code for function 'g' must be exactly one statement, got 2",
        ),
        (REPLACE, F, "fetch", "", "replace function 'fetch' needs code"),
        # code defining another name
        (
            REPLACE,
            F,
            "fetch",
            "def fetch2(): pass",
            "code for function 'fetch' defines 'fetch2', expected exactly 'fetch'",
        ),
        (REPLACE, M, "Registry.lookup", "def look(self): pass", "defines 'look', expected exactly 'lookup'"),
        (ADD, IMP, "os", "import os, sys", "code for import 'os' defines 'os', 'sys', expected exactly 'os'"),
        (
            ADD,
            IMP,
            "path",
            "from os import *",
            "code for import 'path' defines nothing, expected exactly 'path'",
        ),
        (REPLACE, A, "LIMIT", "LIMIT = NAMES = 1", "defines 'LIMIT', 'NAMES', expected exactly 'LIMIT'"),
        # adding what exists
        (
            ADD,
            F,
            "fetch",
            "def fetch(): pass",
            "cannot add function 'fetch': it already exists (as function)",
        ),
        (
            ADD,
            F,
            "LIMIT",
            "def LIMIT(): pass",
            "cannot add function 'LIMIT': it already exists (as assignment)",
        ),
        (
            ADD,
            M,
            "Registry.lookup",
            "def lookup(self): pass",
            "cannot add method 'Registry.lookup': it already exists",
        ),
        (
            ADD,
            C,
            "Registry.Entry",
            "class Entry: pass",
            "cannot add class 'Registry.Entry': it already exists (as class)",
        ),
        (ADD, A, "NAMES", "NAMES = ()", "cannot add assignment 'NAMES': it already exists (as assignment)"),
        (
            ADD,
            IMP,
            "re",
            "import regex as re",
            "cannot add import 're': the name is already bound (as import)",
        ),
        (
            ADD,
            IMP,
            "fetch",
            "from x import fetch",
            "cannot add import 'fetch': the name is already bound (as function)",
        ),
        # targets the engine cannot address
        (
            REPLACE,
            F,
            "Registry.lookup",
            "def lookup(self): pass",
            "function targets are module-level; use kind 'method'",
        ),
        (REPLACE, M, "lookup", "def lookup(self): pass", "a method target is 'Class.method', got 'lookup'"),
        (REPLACE, F, "not a name", "def f(): pass", "target 'not a name' is not a (dotted) Python name"),
        (REPLACE, F, "class", "def f(): pass", "target 'class' is not a (dotted) Python name"),
        (REPLACE, F, "", "def f(): pass", "target '' is not a (dotted) Python name"),
    ],
)
def test_rejection_reasons(
    sample: str, op: EditOp, kind: EditKind, target: str, code: str, expected: str
) -> None:
    assert expected in reason(sample, op, kind, target, code)


def test_ambiguous_and_shared_statements_are_refused() -> None:
    twice = "def f() -> int:\n    return 1\n\n\ndef f() -> int:\n    return 2\n"
    assert (
        reason(twice, REPLACE, F, "f", "def f(): pass")
        == "function 'f' is defined 2 times; cannot tell which to edit"
    )
    shared = "a, b = 1, 2\n"
    assert reason(shared, REPLACE, A, "a", "a = 3") == "'a' shares its statement with b; edit it as text"
    imported_twice = "import re\nimport re\n"
    assert "imported 2 times" in reason(imported_twice, REMOVE, IMP, "re")


def test_module_that_does_not_parse_is_refused() -> None:
    assert reason("def broken(:\n", REPLACE, F, "broken", "def broken(): pass").startswith(
        "the module does not parse (line 1"
    )


def test_result_must_be_valid_python_for_this_interpreter() -> None:
    # libcst parses 3.12 type parameters; the workspace runs 3.11, so the result would not import
    text = reason("def f(x):\n    return x\n", REPLACE, F, "f", "def f[T](x: T) -> T:\n    return x\n")
    assert text.startswith("the edited module is not valid Python 3.11")


def test_rejection_keeps_the_edit(sample: str) -> None:
    e = Edit(op=REMOVE, kind=F, path=PATH, target="nope")
    result = apply_edit(sample, e)
    assert isinstance(result, EditRejected)
    assert result.edit is e


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    op=st.sampled_from(list(EditOp)),
    kind=st.sampled_from(list(EditKind)),
    target=st.one_of(
        st.sampled_from(["fetch", "Registry.lookup", "re", "LIMIT", "Registry", "x.y.z"]),
        st.text(max_size=12),
    ),
    code=st.one_of(
        st.text(max_size=60),
        st.sampled_from(
            ["def fetch(): pass", "    def lookup(self):\n  return 1", "import re", "class Registry: ..."]
        ),
    ),
)
def test_apply_edit_never_raises(sample: str, op: EditOp, kind: EditKind, target: str, code: str) -> None:
    result = apply_edit(sample, Edit(op=op, kind=kind, path=PATH, target=target, code=code))
    assert isinstance(result, (EditApplied, EditRejected))
    if isinstance(result, EditRejected):
        assert result.reason.startswith(PATH)
