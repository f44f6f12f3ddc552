"""Round trips on the agent's real modules, and ruff stays clean on typical edits."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from core.edits import EditApplied, apply_edit
from core.records import Edit, EditKind, EditOp

PROJECT_MUTABLE = Path(__file__).resolve().parents[2] / "mutable"
RUFF = Path(sys.executable).parent / "ruff"

# the project's ruff settings (pyproject.toml), so first-party detection and isort match the gate
RUFF_CONFIG = """\
[tool.ruff]
line-length = 110
target-version = "py311"

[tool.ruff.lint]
select = ["E", "F", "W", "I", "B", "UP", "SIM", "RUF"]
ignore = ["RUF012"]
"""


def real_modules() -> list[Path]:
    return sorted(p for p in PROJECT_MUTABLE.rglob("*.py") if p.stat().st_size > 0)


def symbols(body: object, prefix: str = "") -> list[tuple[EditKind, str, cst.CSTNode]]:
    """Every function, method and class (recursively), with the kind and target that address it."""
    found: list[tuple[EditKind, str, cst.CSTNode]] = []
    assert isinstance(body, (list, tuple))
    for stmt in body:
        if isinstance(stmt, cst.FunctionDef):
            found.append((EditKind.METHOD if prefix else EditKind.FUNCTION, prefix + stmt.name.value, stmt))
        elif isinstance(stmt, cst.ClassDef):
            found.append((EditKind.CLASS, prefix + stmt.name.value, stmt))
            if isinstance(stmt.body, cst.IndentedBlock):
                found.extend(symbols(list(stmt.body.body), f"{prefix}{stmt.name.value}."))
    return found


@pytest.mark.skipif(not real_modules(), reason="mutable/ has no modules yet")
@pytest.mark.parametrize("path", real_modules(), ids=lambda p: p.name)
def test_replacing_every_symbol_with_itself_is_byte_identical(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    module = cst.parse_module(source)
    found = symbols(list(module.body))
    if not found:
        pytest.skip(f"{path.name} defines no function or class")
    for kind, target, node in found:
        code = textwrap.dedent(module.code_for_node(node.with_changes(leading_lines=())))
        rel = f"mutable/{path.relative_to(PROJECT_MUTABLE).as_posix()}"
        result = apply_edit(source, Edit(EditOp.REPLACE, kind, rel, target, code))
        assert isinstance(result, EditApplied), getattr(result, "reason", result)
        assert result.new_source == source, f"{rel}:{target} changed on a no-op replace"


@pytest.mark.skipif(not real_modules(), reason="mutable/ has no modules yet")
@pytest.mark.parametrize("path", real_modules(), ids=lambda p: p.name)
def test_removing_then_adding_the_last_function_is_byte_identical(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    module = cst.parse_module(source)
    last = module.body[-1] if module.body else None
    if not isinstance(last, cst.FunctionDef) or _blank_lines(last) != 2 or module.footer:
        pytest.skip("the module does not end with a plain top-level function")
    rel = f"mutable/{path.name}"
    removed = apply_edit(source, Edit(EditOp.REMOVE, EditKind.FUNCTION, rel, last.name.value))
    assert isinstance(removed, EditApplied)
    assert f"def {last.name.value}(" not in removed.new_source
    code = module.code_for_node(last.with_changes(leading_lines=()))
    added = apply_edit(removed.new_source, Edit(EditOp.ADD, EditKind.FUNCTION, rel, last.name.value, code))
    assert isinstance(added, EditApplied)
    assert added.new_source == source


def _blank_lines(node: cst.FunctionDef) -> int:
    return len(node.leading_lines) if all(line.comment is None for line in node.leading_lines) else -1


TYPICAL_EDITS = [
    Edit(
        EditOp.REPLACE,
        EditKind.FUNCTION,
        "mutable/e.py",
        "detect_language",
        '''\
def detect_language(path: str) -> str:
    """Guess the language of `path`.

    Looks at the suffix, then gives up.
    """
    return "python" if path.endswith(".py") else "unknown"
''',
    ),
    Edit(
        EditOp.ADD,
        EditKind.METHOD,
        "mutable/e.py",
        "Registry.describe",
        '''\
def describe(self) -> str:
    """Every name.

    One per line.
    """
    return "\\n".join(self.names)
''',
    ),
    Edit(
        EditOp.REPLACE,
        EditKind.METHOD,
        "mutable/e.py",
        "Registry.Entry.label",
        '''\
def label(self) -> str:
    """A label.

    Constant.
    """
    return "entry"
''',
    ),
    Edit(EditOp.ADD, EditKind.CLASS, "mutable/e.py", "Registry.Extra", 'class Extra:\n    """More."""\n'),
    Edit(
        EditOp.ADD,
        EditKind.FUNCTION,
        "mutable/e.py",
        "words",
        'def words(text: str) -> list[str]:\n    return re.split(r"\\s+", text)\n',
    ),
    Edit(EditOp.ADD, EditKind.IMPORT, "mutable/e.py", "os", "import os"),
    Edit(EditOp.ADD, EditKind.IMPORT, "mutable/e.py", "replace", "from dataclasses import replace"),
    Edit(EditOp.ADD, EditKind.IMPORT, "mutable/e.py", "Any", "from typing import Any"),
    Edit(EditOp.ADD, EditKind.IMPORT, "mutable/e.py", "lang", "from mutable import lang"),
    Edit(EditOp.ADD, EditKind.IMPORT, "mutable/e.py", "helpers", "from . import helpers"),
    Edit(EditOp.ADD, EditKind.ASSIGNMENT, "mutable/e.py", "TIMEOUT", "TIMEOUT: float = 2.5"),
    Edit(EditOp.REMOVE, EditKind.METHOD, "mutable/e.py", "Registry.lookup"),
    Edit(EditOp.REMOVE, EditKind.FUNCTION, "mutable/e.py", "detect_language"),
    Edit(EditOp.REMOVE, EditKind.IMPORT, "mutable/e.py", "tools"),
    Edit(EditOp.REMOVE, EditKind.ASSIGNMENT, "mutable/e.py", "LIMIT"),
    Edit(EditOp.REMOVE, EditKind.CLASS, "mutable/e.py", "Registry.Entry"),
]


def test_typical_edits_leave_ruff_check_and_format_clean(sample: str, tmp_path: Path) -> None:
    """Each result is checked as its own module; unused-import/undefined-name noise is ignored."""
    (tmp_path / "pyproject.toml").write_text(RUFF_CONFIG)
    package = tmp_path / "mutable"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "sample.py").write_text(sample)
    for number, e in enumerate(TYPICAL_EDITS):
        result = apply_edit(sample, e)
        assert isinstance(result, EditApplied), getattr(result, "reason", result)
        (package / f"e{number:02d}.py").write_text(result.new_source)
    check = subprocess.run(
        [str(RUFF), "check", "--no-cache", "--ignore", "F401,F821", "mutable"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = subprocess.run(
        [str(RUFF), "format", "--check", "--diff", "--no-cache", "mutable"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
