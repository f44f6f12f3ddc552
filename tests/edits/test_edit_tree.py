"""`apply_edits_to_tree`: edits applied to real files in order, all or nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.edits import apply_edits_to_tree
from core.records import Edit, EditKind, EditOp

LANG = 'def detect(path: str) -> str:\n    return "python"\n\n\ndef other() -> int:\n    return 1\n'
TOOLS = "class Tools:\n    def run(self) -> int:\n        return 0\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "mutable").mkdir()
    (tmp_path / "mutable" / "lang.py").write_text(LANG)
    (tmp_path / "mutable" / "tools.py").write_text(TOOLS)
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "x.py").write_text("X = 1\n")
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_several_edits_over_two_files_are_applied_in_order(root: Path) -> None:
    edits = [
        Edit(
            EditOp.REPLACE,
            EditKind.FUNCTION,
            "mutable/lang.py",
            "detect",
            'def detect(path: str) -> str:\n    return "rust"\n',
        ),
        Edit(
            EditOp.ADD,
            EditKind.METHOD,
            "mutable/tools.py",
            "Tools.stop",
            "def stop(self) -> None:\n    return None\n",
        ),
        Edit(EditOp.REMOVE, EditKind.FUNCTION, "mutable/lang.py", "other"),
        Edit(
            EditOp.REPLACE,
            EditKind.FUNCTION,
            "mutable/lang.py",
            "detect",
            'def detect(path: str) -> str:\n    return "go"\n',
        ),
    ]
    result = apply_edits_to_tree(root, edits)
    assert result.rejected is None
    assert result.changed == ("mutable/lang.py", "mutable/tools.py")
    assert (root / "mutable/lang.py").read_text() == 'def detect(path: str) -> str:\n    return "go"\n'
    assert (
        root / "mutable/tools.py"
    ).read_text() == TOOLS + "\n    def stop(self) -> None:\n        return None\n"
    assert (root / "core/x.py").read_text() == "X = 1\n"


def test_one_rejection_writes_nothing(root: Path) -> None:
    before = snapshot(root)
    edits = [
        Edit(EditOp.REMOVE, EditKind.FUNCTION, "mutable/lang.py", "other"),
        Edit(
            EditOp.ADD, EditKind.METHOD, "mutable/tools.py", "Tools.go", "def go(self) -> None:\n    pass\n"
        ),
        Edit(
            EditOp.REPLACE,
            EditKind.FUNCTION,
            "mutable/lang.py",
            "detekt",
            "def detekt() -> None:\n    pass\n",
        ),
    ]
    result = apply_edits_to_tree(root, edits)
    assert result.changed == ()
    assert result.rejected is not None
    assert result.rejected.edit == edits[2]
    assert result.rejected.reason == "mutable/lang.py: no function 'detekt' (did you mean 'detect'?)"
    assert snapshot(root) == before


def test_a_later_edit_sees_an_earlier_one(root: Path) -> None:
    edits = [
        Edit(EditOp.REMOVE, EditKind.FUNCTION, "mutable/lang.py", "other"),
        Edit(EditOp.REMOVE, EditKind.FUNCTION, "mutable/lang.py", "other"),
    ]
    result = apply_edits_to_tree(root, edits)
    assert result.rejected is not None and "no function 'other'" in result.rejected.reason
    assert (root / "mutable/lang.py").read_text() == LANG


def test_a_no_op_edit_writes_nothing(root: Path) -> None:
    (root / "mutable/imp.py").write_text("import re\n\nX = re.compile('x')\n")
    mtime = (root / "mutable/imp.py").stat().st_mtime_ns
    result = apply_edits_to_tree(
        root, [Edit(EditOp.ADD, EditKind.IMPORT, "mutable/imp.py", "re", "import re")]
    )
    assert result == type(result)(changed=(), rejected=None)
    assert (root / "mutable/imp.py").stat().st_mtime_ns == mtime


def test_add_creates_a_new_module_under_mutable(root: Path) -> None:
    edits = [
        Edit(EditOp.ADD, EditKind.IMPORT, "mutable/new.py", "re", "import re\n"),
        Edit(
            EditOp.ADD,
            EditKind.FUNCTION,
            "mutable/new.py",
            "words",
            "def words(s: str) -> list[str]:\n    return re.split(r'\\s+', s)\n",
        ),
    ]
    result = apply_edits_to_tree(root, edits)
    assert result.rejected is None and result.changed == ("mutable/new.py",)
    assert (
        root / "mutable/new.py"
    ).read_text() == "import re\n\n\ndef words(s: str) -> list[str]:\n    return re.split(r'\\s+', s)\n"


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (
            Edit(EditOp.REPLACE, EditKind.FUNCTION, "mutable/gone.py", "f", "def f(): pass"),
            "mutable/gone.py: no such module",
        ),
        (Edit(EditOp.REMOVE, EditKind.FUNCTION, "mutable/gone.py", "f"), "mutable/gone.py: no such module"),
        (
            Edit(EditOp.ADD, EditKind.FUNCTION, "mutable/pkg/new.py", "f", "def f(): pass"),
            "its directory does not exist",
        ),
        (Edit(EditOp.ADD, EditKind.METHOD, "mutable/new.py", "A.f", "def f(self): pass"), "no class 'A'"),
        (Edit(EditOp.ADD, EditKind.FUNCTION, "core/new.py", "f", "def f(): pass"), "outside mutable/"),
        (Edit(EditOp.REPLACE, EditKind.ASSIGNMENT, "core/x.py", "X", "X = 2"), "outside mutable/"),
        (Edit(EditOp.ADD, EditKind.FUNCTION, "mutable/../core/x.py", "f", "def f(): pass"), "'..'"),
        (Edit(EditOp.ADD, EditKind.FUNCTION, "/tmp/x.py", "f", "def f(): pass"), "absolute path"),
    ],
)
def test_bad_targets_are_rejected_without_writing(root: Path, edit: Edit, reason: str) -> None:
    before = snapshot(root)
    result = apply_edits_to_tree(root, [edit])
    assert result.rejected is not None and reason in result.rejected.reason
    assert result.changed == ()
    assert snapshot(root) == before


def test_symlinked_module_is_refused(root: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("outside") / "victim.py"
    outside.write_text("def f() -> int:\n    return 1\n")
    os.symlink(outside, root / "mutable" / "link.py")
    edit = Edit(EditOp.REPLACE, EditKind.FUNCTION, "mutable/link.py", "f", "def f() -> int:\n    return 2\n")
    result = apply_edits_to_tree(root, [edit])
    assert result.rejected is not None and "symlink" in result.rejected.reason
    assert outside.read_text() == "def f() -> int:\n    return 1\n"


def test_non_utf8_module_is_refused(root: Path) -> None:
    (root / "mutable/latin.py").write_bytes(b"X = '\xe9'\n")
    result = apply_edits_to_tree(root, [Edit(EditOp.REMOVE, EditKind.ASSIGNMENT, "mutable/latin.py", "X")])
    assert result.rejected is not None and result.rejected.reason == "mutable/latin.py: not a UTF-8 text file"
