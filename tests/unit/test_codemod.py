"""Codemods: before/after on real code, what must not be touched, and the proposer's order."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from core.edits import EditApplied, apply_edit, apply_edits_to_tree
from core.memory import AttemptRecord, code_fingerprint, open_memory
from core.proposers.base import NoProposal, Observation
from core.proposers.codemod import (
    CodemodProposer,
    CodemodResult,
    dead_branches,
    memoize_recursive,
    modern_comprehensions,
    set_membership,
    unused_imports,
)
from core.records import EditKind, EditOp, Proposal, Scores
from core.workspace import Workspace

Transform = Callable[[str, str, Mapping[str, str]], Iterator[CodemodResult]]
ROOT = Path(__file__).resolve().parents[2]


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def run(transform: Transform, before: str, others: Mapping[str, str] | None = None) -> list[str]:
    """The module after each result of `transform` (each applied on its own to `before`)."""
    afters = []
    for result in transform("mutable/m.py", before, others or {}):
        source = before
        for edit in result.edits:
            applied = apply_edit(source, edit)
            assert isinstance(applied, EditApplied), applied
            source = applied.new_source
        afters.append(source)
    return afters


# --- memoize -----------------------------------------------------------------------------------

FIB = src(
    '''
    """Numbers."""

    from __future__ import annotations


    def fib(n: int) -> int:
        """Fibonacci."""
        if n < 2:
            return n
        return fib(n - 1) + fib(n - 2)
    '''
)


def test_memoize_pure_recursive_function() -> None:
    (after,) = run(memoize_recursive, FIB)
    assert after == src(
        '''
        """Numbers."""

        from __future__ import annotations

        import functools


        @functools.cache
        def fib(n: int) -> int:
            """Fibonacci."""
            if n < 2:
                return n
            return fib(n - 1) + fib(n - 2)
        '''
    )
    namespace: dict[str, object] = {}
    exec(compile(after, "m.py", "exec"), namespace)
    fib = namespace["fib"]
    assert fib(80) == 23416728348467685  # type: ignore[operator]  # instant only when memoized


def test_memoize_reuses_an_existing_import() -> None:
    before = FIB.replace(
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nfrom functools import cache\n",
    )
    before += "\n\nX = cache\n"
    (after,) = run(memoize_recursive, before)
    assert "@cache\ndef fib" in after and "import functools" not in after


@pytest.mark.parametrize(
    "body",
    [
        # a side effect
        "def f(n: int) -> int:\n    print(n)\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",
        "def f(n: int) -> int:\n    return n if n < 2 else f(n - 1) * 2\n",  # one self-call: no gain
        "def f(xs: list[int]) -> int:\n    return 0 if not xs else f(xs[1:]) + f(xs[2:])\n",  # unhashable
        "def f(n):\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",  # untyped argument
        "@staticmethod\ndef f(n: int) -> int:\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",  # decorated
        "def f(n: int, *rest: int) -> int:\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",
        "def f(n: int) -> int:\n    global C\n    C = 1\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",
        "def f(n: int, d: dict[int, int]) -> int:\n    d[n] = 1\n    return f(n - 1, d) + f(n - 2, d)\n",
        "def f(n: int) -> int:\n    return n if n < 2 else f(n - 1) + f(n - 2) + len(str(n).split())\n",
        "def f(n: int) -> None:\n    if n > 0:\n        f(n - 1)\n        f(n - 2)\n",  # no value
    ],
)
def test_memoize_leaves_impure_or_unsuitable_functions(body: str) -> None:
    assert run(memoize_recursive, body) == []


# --- membership --------------------------------------------------------------------------------


def test_inline_membership_literals_become_sets() -> None:
    before = src(
        """
        def is_keyword(word: str) -> bool:
            # reserved words
            if word in ["fn", "let", "mut"]:
                return True
            return word not in ("a", "b", "c", "d")


        def other(word: str) -> bool:
            return word in ["x", "y"]
        """
    )
    (after,) = run(set_membership, before)
    assert after == src(
        """
        def is_keyword(word: str) -> bool:
            # reserved words
            if word in {"fn", "let", "mut"}:
                return True
            return word not in {"a", "b", "c", "d"}


        def other(word: str) -> bool:
            return word in ["x", "y"]
        """
    )


def test_constant_used_only_for_membership_becomes_frozenset() -> None:
    before = src(
        """
        VOWELS = ["a", "e", "i", "o", "u"]
        ORDER = ("low", "mid", "high")


        def count_vowels(text: str) -> int:
            return sum(1 for ch in text if ch in VOWELS)


        def rank(level: str) -> int:
            return ORDER.index(level) if level in ORDER else -1
        """
    )
    (after,) = run(set_membership, before)
    assert after == before.replace(
        'VOWELS = ["a", "e", "i", "o", "u"]', 'VOWELS = frozenset({"a", "e", "i", "o", "u"})'
    )


@pytest.mark.parametrize(
    ("before", "others"),
    [
        (
            'NAMES = ["a", "b", "c"]\n\ndef f(x: str) -> bool:\n    return x in NAMES\n',
            {"mutable/o.py": "from mutable.m import NAMES\n"},
        ),
        (
            '__all__ = ["NAMES"]\nNAMES = ["a", "b", "c"]\n\ndef f(x: str) -> bool:\n    return x in NAMES\n',
            {},
        ),
        ('NAMES: list[str] = ["a", "b", "c"]\n\ndef f(x: str) -> bool:\n    return x in NAMES\n', {}),
        ("def f(x: object) -> bool:\n    return x in [1, 'a', 2.0]\n", {}),  # mixed types
        ("def f(x: int) -> bool:\n    return x in [1, 2, 1]\n", {}),  # duplicates
        ("def f(x: str, y: str) -> bool:\n    return x in [y, 'a', 'b']\n", {}),  # not constants
        ("def f(x: str) -> bool:\n    return x == ['a', 'b', 'c']\n", {}),
    ],
)
def test_membership_leaves_what_it_cannot_prove(before: str, others: dict[str, str]) -> None:
    assert run(set_membership, before, others) == []


# --- dead branches -----------------------------------------------------------------------------


def test_dead_branches_are_resolved() -> None:
    before = src(
        '''
        def squares(n: int) -> list[int]:
            """Squares below n."""
            if False:
                print("debug")
            if 0:
                n = 0
            elif n > 10:
                n = 10
            if True:
                result = [i * i for i in range(n)]
            else:
                result = []
            while False:
                pass
            return result
        '''
    )
    (after,) = run(dead_branches, before)
    assert after == src(
        '''
        def squares(n: int) -> list[int]:
            """Squares below n."""
            if n > 10:
                n = 10
            result = [i * i for i in range(n)]
            return result
        '''
    )


def test_dead_branch_only_statement_leaves_pass() -> None:
    before = "class A:\n    def m(self) -> None:\n        if False:\n            print(1)\n"
    (after,) = run(dead_branches, before)
    assert after == "class A:\n    def m(self) -> None:\n        pass\n"
    assert run(dead_branches, "def f(x: bool) -> int:\n    if x:\n        return 1\n    return 0\n") == []


# --- comprehensions ----------------------------------------------------------------------------


def test_calls_around_generators_become_comprehensions() -> None:
    before = src(
        """
        def tables(words: list[str]) -> tuple[list[int], set[str], dict[str, int], set[int]]:
            lengths = list(len(w) for w in words)
            firsts = set(w[0] for w in words if w)
            index = dict((w, i) for i, w in enumerate(words))
            small = set([1, 2, 3])
            return lengths, firsts, index, small
        """
    )
    (after,) = run(modern_comprehensions, before)
    assert after == src(
        """
        def tables(words: list[str]) -> tuple[list[int], set[str], dict[str, int], set[int]]:
            lengths = [len(w) for w in words]
            firsts = {w[0] for w in words if w}
            index = {w: i for i, w in enumerate(words)}
            small = {1, 2, 3}
            return lengths, firsts, index, small
        """
    )


def test_comprehension_skips_shadowed_builtins_and_other_calls() -> None:
    assert run(modern_comprehensions, "def f(list: int) -> object:\n    return set(x for x in [1])\n") == []
    assert (
        run(modern_comprehensions, "def f(xs: list[int]) -> list[int]:\n    return sorted(x for x in xs)\n")
        == []
    )


# --- unused imports ----------------------------------------------------------------------------


def test_unused_imports_are_removed_one_at_a_time() -> None:
    before = src(
        '''
        """M."""

        from __future__ import annotations

        import os
        import re
        from collections import OrderedDict, deque
        from typing import TYPE_CHECKING

        __all__ = ["find", "deque"]


        def find(s: str) -> bool:
            return re.match("a", s) is not None
        '''
    )
    afters = run(unused_imports, before)
    assert len(afters) == 3  # os, OrderedDict, TYPE_CHECKING
    assert afters[0] == before.replace("import os\n", "")
    assert afters[1] == before.replace(
        "from collections import OrderedDict, deque", "from collections import deque"
    )
    assert run(unused_imports, "import os\n", {}) != []
    assert list(unused_imports("mutable/__init__.py", "import os\n", {})) == []
    assert run(unused_imports, "import os\n", {"mutable/o.py": "from mutable.m import os\n"}) == []


# --- the proposer ------------------------------------------------------------------------------


def make_workspace(tmp_path: Path, files: Mapping[str, str]) -> Workspace:
    root = tmp_path / "ws"
    (root / "mutable").mkdir(parents=True)
    (root / "protected").mkdir()
    for name, text in files.items():
        (root / "mutable" / name).write_text(text)
    return Workspace(root)


CLEAN = "def add(a: int, b: int) -> int:\n    return a + b\n"
MEMBERSHIP = "def vowel(c: str) -> bool:\n    return c in ['a', 'e', 'i', 'o', 'u']\n"


def test_proposer_order_target_first_and_no_repeats(tmp_path: Path) -> None:
    ws = make_workspace(
        tmp_path, {"a.py": "import os\n" + CLEAN, "b.py": FIB + "\n\n" + MEMBERSHIP, "c.py": CLEAN}
    )
    proposer = CodemodProposer()
    observation = Observation(scores=Scores())
    results = []
    for _ in range(5):
        result = proposer.propose(observation, ws)
        if isinstance(result, NoProposal):
            break
        results.append(result)
    assert [(p.title, p.target) for p in results] == [
        ("codemod unused-import: mutable/a.py:os", "mutable/a.py:os"),
        ("codemod memoize: mutable/b.py:fib", "mutable/b.py:fib"),
        ("codemod membership: mutable/b.py:vowel", "mutable/b.py:vowel"),
    ]
    assert all(p.proposer == "codemod" and p.model == "" and p.usage.calls == 0 for p in results)
    assert result == NoProposal("no codemod applies", exhausted=True)

    targeted = CodemodProposer().propose(Observation(scores=Scores(), target="mutable/b.py:vowel"), ws)
    assert isinstance(targeted, Proposal) and targeted.target == "mutable/b.py:fib"


def test_proposer_skips_what_memory_says_failed(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {"b.py": FIB + "\n\n" + MEMBERSHIP})
    first = CodemodProposer().propose(Observation(scores=Scores()), ws)
    assert isinstance(first, Proposal)
    memory = open_memory(ws)
    memory.record_attempt(
        AttemptRecord(
            target=first.target,
            rationale=first.rationale,
            diff="",
            outcome="rejected",
            gate="pytest",
            proposer="codemod",
            fingerprint=code_fingerprint(first.edits),
        )
    )
    second = CodemodProposer(memory).propose(Observation(scores=Scores()), ws)
    assert isinstance(second, Proposal) and second.target == "mutable/b.py:vowel"


def test_proposer_on_clean_code_is_exhausted(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {"a.py": CLEAN, "broken.py": "def (:\n"})
    assert CodemodProposer().propose(Observation(scores=Scores()), ws) == NoProposal(
        "no codemod applies", exhausted=True
    )


SAMPLE = src(
    '''
    """A module with one instance of every codemod."""

    from __future__ import annotations

    import os

    SEPARATORS = [",", ";", "|"]


    def fib(n: int) -> int:
        if n < 2:
            return n
        return fib(n - 1) + fib(n - 2)


    def split_all(text: str) -> list[str]:
        parts = list(p for p in text.split() if p)
        if False:
            parts = []
        return [p for p in parts if p not in SEPARATORS and p not in ["-", "+", "*"]]
    '''
)


@pytest.mark.slow
def test_every_codemod_result_passes_ruff_and_mypy_strict(tmp_path: Path) -> None:
    """The changes are real improvements that keep the gates green (real ruff and mypy)."""
    ws = make_workspace(tmp_path, {"__init__.py": "", "sample.py": SAMPLE})
    proposer = CodemodProposer()
    names = []
    for _ in range(10):  # like the loop: each proposal applies on top of the previous one
        result = proposer.propose(Observation(scores=Scores()), ws)
        if isinstance(result, NoProposal):
            break
        names.append(result.title.split(":")[0])
        applied = apply_edits_to_tree(ws.root, result.edits)
        assert applied.rejected is None and applied.changed == ("mutable/sample.py",)
    assert names == [
        "codemod memoize",
        "codemod membership",  # the SEPARATORS constant
        "codemod membership",  # the inline list literal
        "codemod dead-branch",
        "codemod comprehension",
        "codemod unused-import",
    ]
    final = (ws.mutable / "sample.py").read_text()
    assert "@functools.cache" in final and "import os" not in final and "if False" not in final
    bin_dir = Path(sys.executable).parent
    for argv in (
        [
            str(bin_dir / "ruff"),
            "check",
            "--isolated",
            "--line-length",
            "110",
            "--select",
            "E,F,W,I,B,UP,SIM",
            "mutable",
        ],
        [str(bin_dir / "mypy"), "--strict", "--no-incremental", "mutable"],
    ):
        proc = subprocess.run(argv, cwd=ws.root, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    namespace: dict[str, object] = {}
    exec(compile(final, "sample.py", "exec"), namespace)
    assert namespace["split_all"]("a , b | c - d") == ["a", "b", "c", "d"]  # type: ignore[operator]
    assert namespace["fib"](60) == 1548008755920  # type: ignore[operator]


def test_edit_ops_are_symbol_level() -> None:
    (result,) = list(memoize_recursive("mutable/m.py", FIB, {}))
    assert [(e.op, e.kind, e.target) for e in result.edits] == [
        (EditOp.ADD, EditKind.IMPORT, "functools"),
        (EditOp.REPLACE, EditKind.FUNCTION, "fib"),
    ]
