from __future__ import annotations

import pytest

from mutable.repair import python_parses, repair_syntax


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("def f(x)\n    return x\n", "def f(x):\n    return x\n"),
        ('print "hi"\n', 'print("hi")\n'),
        ("xs = [1, 2\n", "xs = [1, 2]\n"),
        ("def f():\n\tif True:\n        return 1\n", "def f():\n    if True:\n        return 1\n"),
    ],
)
def test_python_slips(broken: str, fixed: str) -> None:
    repaired = repair_syntax(broken, "python")
    assert python_parses(repaired)
    assert repaired.strip() == fixed.strip()


def test_valid_python_is_untouched() -> None:
    code = "x = {'a': [1, (2, 3)]}\n"
    assert repair_syntax(code, "python") is code


def test_unfixable_python_comes_back_unchanged() -> None:
    code = "def (:\n"
    assert repair_syntax(code, "python") == code


def test_c_semicolon_and_brace() -> None:
    repaired = repair_syntax("int main(void) {\n    int x = 1\n    return x;\n", "c")
    assert repaired == "int main(void) {\n    int x = 1;\n    return x;\n}\n"


def test_other_languages_untouched() -> None:
    assert repair_syntax("main = print 1", "haskell") == "main = print 1"
