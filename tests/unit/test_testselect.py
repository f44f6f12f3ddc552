"""Test selection follows imports transitively and never selects zero tests silently."""

from __future__ import annotations

from pathlib import Path

from core.testselect import select_tests


def make(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_transitive_selection(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "mutable/__init__.py": "",
            "mutable/a.py": "X = 1\n",
            "mutable/b.py": "from mutable.a import X\n",
            "mutable/c.py": "from . import b\n",
            "mutable/d.py": "Y = 2\n",
            "tests/agent/test_b.py": "from mutable.b import X\n",
            "tests/agent/test_c.py": "import mutable.c\n",
            "tests/agent/test_d.py": "from mutable import d\n",
        },
    )
    assert select_tests(tmp_path, ["mutable/a.py"]) == ("tests/agent/test_b.py", "tests/agent/test_c.py")
    assert select_tests(tmp_path, ["mutable/d.py"]) == ("tests/agent/test_d.py",)
    # a change outside mutable/ (or an unknown file) means "run everything"
    assert select_tests(tmp_path, ["evals/x.py"]) == ()


def test_package_init_change_selects_every_importer(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "mutable/__init__.py": "",
            "mutable/a.py": "",
            "tests/agent/test_a.py": "from mutable.a import *\n",
        },
    )
    assert select_tests(tmp_path, ["mutable/__init__.py"]) == ("tests/agent/test_a.py",)
