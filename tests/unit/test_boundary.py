"""The boundary gate on real files under tmp_path: paths before writing, contents after."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from core.boundary import check_changed_files, check_edit_paths, check_source
from core.policy import BoundaryRules
from core.records import Edit, EditKind, EditOp, GateResult

RULES = BoundaryRules()
CLEAN = '''\
"""A clean agent module."""

from __future__ import annotations

import os.path
import re
from dataclasses import dataclass

from mutable import tools

from . import lang


@dataclass(frozen=True)
class Reader:
    root: str

    def open(self, name: str) -> str:  # a method called open is fine
        return os.path.join(self.root, name)


def words(text: str, open: bool = False) -> list[str]:
    if open:
        return []
    return re.split(r"\\s+", lang.strip(tools.clean(text)))
'''


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for name in ("mutable", "protected", "tests", "evals", "core", "checkpoints"):
        (tmp_path / name).mkdir()
    (tmp_path / "mutable" / "lang.py").write_text("X = 1\n")
    (tmp_path / "mutable" / "clean.py").write_text(CLEAN)
    (tmp_path / "protected" / "policy.toml").write_text("")
    return tmp_path


def edit_to(path: str) -> Edit:
    return Edit(EditOp.REPLACE, EditKind.ASSIGNMENT, path, "X", "X = 2\n")


def messages(result: GateResult) -> list[str]:
    return [f"{loc.path}:{loc.line}: {loc.message}" for loc in result.locations]


# --- before writing -----------------------------------------------------------------------------


def test_edit_paths_under_mutable_pass(root: Path) -> None:
    result = check_edit_paths(root, [edit_to("mutable/lang.py"), edit_to("mutable/new.py")], RULES)
    assert result.passed, result.output
    assert result.name == "boundary"
    assert result.locations == ()
    assert result.seconds >= 0
    assert result.summary == "2 edit(s) to 2 module(s) under mutable/"


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("protected/policy.toml", "outside mutable/"),
        ("protected/constitution.py", "outside mutable/"),
        ("tests/test_agent.py", "outside mutable/"),
        ("evals/run.py", "outside mutable/"),
        ("core/cycle.py", "outside mutable/"),
        ("checkpoints/0001.py", "outside mutable/"),
        ("setup.py", "outside mutable/"),
        ("mutable", "outside mutable/"),
        ("../x.py", "'..'"),
        ("mutable/../core/cycle.py", "'..'"),
        ("mutable/sub/../../core/x.py", "'..'"),
        ("/etc/passwd", "absolute path"),
        ("/tmp/mutable/x.py", "absolute path"),
        ("C:/mutable/x.py", "absolute path"),
        ("mutable\\x.py", "backslash"),
        ("mutable/./lang.py", "not normalised"),
        ("mutable//lang.py", "not normalised"),
        ("./mutable/lang.py", "not normalised"),
        ("mutable/lang.py/", "not normalised"),
        ("mutable/notes.txt", "not a Python module"),
        ("mutable/.hidden.py", "hidden"),
        ("mutable/__pycache__/lang.py", "cache"),
        ("", "empty path"),
    ],
)
def test_edit_paths_outside_the_boundary_are_refused(root: Path, path: str, problem: str) -> None:
    result = check_edit_paths(root, [edit_to("mutable/lang.py"), edit_to(path)], RULES)
    assert not result.passed
    assert len(result.locations) == 1
    assert result.locations[0].path == path
    assert problem in result.locations[0].message
    assert problem in result.output and problem in result.summary


def test_symlinked_module_pointing_outside_is_refused(
    root: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "victim.py"
    outside.write_text("X = 1\n")
    os.symlink(outside, root / "mutable" / "link.py")
    result = check_edit_paths(root, [edit_to("mutable/link.py")], RULES)
    assert messages(result) == ["mutable/link.py:0: mutable/link.py is a symlink"]


def test_symlinked_directory_inside_mutable_is_refused(root: Path) -> None:
    os.symlink(root / "protected", root / "mutable" / "sub")
    result = check_edit_paths(root, [edit_to("mutable/sub/policy.py")], RULES)
    assert messages(result) == ["mutable/sub/policy.py:0: mutable/sub is a symlink"]


def test_mutable_itself_as_a_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / "core").mkdir()
    os.symlink(tmp_path / "core", tmp_path / "mutable")
    result = check_edit_paths(tmp_path, [edit_to("mutable/x.py")], RULES)
    assert messages(result) == ["mutable/x.py:0: mutable is a symlink"]


def test_directory_or_fifo_target_is_refused(root: Path) -> None:
    (root / "mutable" / "pkg.py").mkdir()
    os.mkfifo(root / "mutable" / "pipe.py")
    (root / "mutable" / "file").write_text("")
    result = check_edit_paths(
        root, [edit_to("mutable/pkg.py"), edit_to("mutable/pipe.py"), edit_to("mutable/file/x.py")], RULES
    )
    assert messages(result) == [
        "mutable/pkg.py:0: mutable/pkg.py is not a regular file",
        "mutable/pipe.py:0: mutable/pipe.py is not a regular file",
        "mutable/file/x.py:0: mutable/file is not a directory",
    ]


def test_too_many_edits_and_no_edits_are_refused(root: Path) -> None:
    rules = BoundaryRules(max_edits=2)
    result = check_edit_paths(root, [edit_to("mutable/lang.py")] * 3, rules)
    assert messages(result) == [":0: 3 edits; the policy allows at most 2"]
    assert check_edit_paths(root, [edit_to("mutable/lang.py")] * 2, rules).passed
    assert messages(check_edit_paths(root, [], rules)) == [":0: the proposal has no edits"]


def test_the_same_bad_path_is_reported_once(root: Path) -> None:
    result = check_edit_paths(root, [edit_to("core/x.py"), edit_to("core/x.py")], RULES)
    assert len(result.locations) == 1
    assert result.summary.startswith("1 boundary violation: core/x.py:0: outside mutable/")


# --- after applying -----------------------------------------------------------------------------


def test_clean_changed_files_pass(root: Path) -> None:
    result = check_changed_files(root, ["mutable/clean.py", "mutable/lang.py"], RULES)
    assert result.passed, result.output
    assert result.name == "boundary"
    assert result.summary == "2 changed file(s) within the boundary"


def test_deleted_module_under_mutable_passes(root: Path) -> None:
    assert check_changed_files(root, ["mutable/gone.py"], RULES).passed


@pytest.mark.parametrize(
    "path",
    [
        "protected/policy.toml",
        "tests/test_x.py",
        "evals/suite.py",
        "checkpoints/0002.json",
        "core/x.py",
        "evil.py",
        ".gitignore",
    ],
)
def test_changes_outside_mutable_fail_even_when_deleted(root: Path, path: str) -> None:
    result = check_changed_files(root, ["mutable/lang.py", path], RULES)
    assert not result.passed
    assert [loc.path for loc in result.locations] == [path]


def test_changed_symlink_fails(root: Path) -> None:
    os.symlink(root / "protected" / "policy.toml", root / "mutable" / "policy.py")
    result = check_changed_files(root, ["mutable/policy.py"], RULES)
    assert messages(result) == ["mutable/policy.py:0: mutable/policy.py is a symlink"]


def test_oversize_file_fails(root: Path) -> None:
    (root / "mutable" / "big.py").write_text("X = 1\n" + "# padding\n" * 100)
    rules = BoundaryRules(max_file_bytes=500)
    result = check_changed_files(root, ["mutable/big.py", "mutable/lang.py"], rules)
    assert messages(result) == ["mutable/big.py:0: 1006 bytes; the policy allows at most 500"]


def test_too_many_changed_files_fails(root: Path) -> None:
    rules = BoundaryRules(max_files_changed=1)
    result = check_changed_files(root, ["mutable/lang.py", "mutable/clean.py"], rules)
    assert messages(result) == [":0: 2 files changed; the policy allows at most 1"]


def test_non_python_file_under_mutable_is_size_checked_only(root: Path) -> None:
    (root / "mutable" / "prompt.txt").write_text("import subprocess\n")
    assert check_changed_files(root, ["mutable/prompt.txt"], RULES).passed


def test_unparsable_or_non_utf8_module_fails(root: Path) -> None:
    (root / "mutable" / "broken.py").write_text("X = 1\ndef f(:\n")
    (root / "mutable" / "latin.py").write_bytes(b"X = '\xe9'\n")
    result = check_changed_files(root, ["mutable/broken.py", "mutable/latin.py"], RULES)
    assert [loc.path for loc in result.locations] == ["mutable/broken.py", "mutable/latin.py"]
    assert result.locations[0].line == 2 and "does not parse" in result.locations[0].message
    assert "not UTF-8" in result.locations[1].message


# --- forbidden constructs -----------------------------------------------------------------------


def scan(source: str, path: str = "mutable/agent.py", rules: BoundaryRules = RULES) -> list[str]:
    return [f"{loc.line}: {loc.message}" for loc in check_source(path, textwrap.dedent(source), rules)]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import subprocess\n", "1: imports subprocess (policy forbids subprocess)"),
        ("import os, socket\n", "1: imports socket (policy forbids socket)"),
        ("import ctypes.util as cu\n", "1: imports ctypes.util (policy forbids ctypes)"),
        ("from subprocess import run\n", "1: imports subprocess (policy forbids subprocess)"),
        ("from http.client import HTTPConnection\n", "1: imports http.client (policy forbids http)"),
        ("from urllib import request\n", "1: imports urllib (policy forbids urllib)"),
        ("from core import records\n", "1: imports core (policy forbids core)"),
        ("from core.records import Edit\n", "1: imports core.records (policy forbids core)"),
        ("X = 1\n\n\ndef f():\n    import importlib\n", "5: imports importlib (policy forbids importlib)"),
        (
            "try:\n    import shutil\nexcept ImportError:\n    pass\n",
            "2: imports shutil (policy forbids shutil)",
        ),
        # relative imports resolve against the module's package: mutable/agent.py is in `mutable`
        ("from .. import core\n", "1: imports core (policy forbids core)"),
        ("from ..core.records import Edit\n", "1: imports core.records (policy forbids core)"),
    ],
)
def test_forbidden_imports(source: str, expected: str) -> None:
    assert scan(source)[0] == expected


def test_relative_imports_within_mutable_and_lookalike_names_are_allowed() -> None:
    source = (
        "from . import lang\nfrom .tools import run\nfrom mutable import core\n"
        "import socketserver_like\nimport osmosis\n"
    )
    assert scan(source) == []
    deeper = "from ... import core\n"  # from mutable/sub/x.py: `...` climbs above `mutable`
    assert scan(deeper, path="mutable/sub/x.py") == ["1: imports core (policy forbids core)"]
    assert scan("from .. import core\n", path="mutable/sub/x.py") == []  # that is mutable.core


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("eval('1')\n", ["1: uses eval (policy forbids it)"]),
        ("X = 1\nexec('X = 2')\n", ["2: uses exec (policy forbids it)"]),
        ("f = __import__('sub' + 'process')\n", ["1: uses __import__ (policy forbids it)"]),
        ("with open('x') as fh:\n    pass\n", ["1: uses open (policy forbids it)"]),
        ("import os\nos.system('ls')\n", ["2: uses os.system (policy forbids it)"]),
        ("import os as o\no.system('ls')\n", ["2: uses os.system (policy forbids it)"]),
        ("import os.path\nos.remove('x')\n", ["2: uses os.remove (policy forbids it)"]),
        ("from os import system\nsystem('ls')\n", ["2: uses os.system (policy forbids it)"]),
        (
            "from os import system as run\n\n\ndef f():\n    run('ls')\n",
            ["5: uses os.system (policy forbids it)"],
        ),
        ("import builtins\nbuiltins.exec('1')\n", ["2: uses exec (policy forbids it)"]),
        ("runner = eval\nrunner('1')\n", ["1: uses eval (policy forbids it)"]),
        ("import os\nkill = os.kill\n", ["2: uses os.kill (policy forbids it)"]),
        (
            "setattr(object(), 'x', 1)\nglobals()\n",
            ["1: uses setattr (policy forbids it)", "2: uses globals (policy forbids it)"],
        ),
    ],
)
def test_forbidden_calls_including_aliases(source: str, expected: list[str]) -> None:
    assert scan(source) == expected


def test_local_names_that_shadow_builtins_are_not_calls_to_them() -> None:
    source = """\
    def open(path: str) -> str:
        return path


    class Reader:
        def eval(self) -> int:
            return 1

        def run(self, exec: int) -> int:
            return exec + self.eval()


    x = open("a")
    """
    assert scan(source) == []


def test_builtins_aliases_and_scopes_are_resolved() -> None:
    assert scan("from builtins import eval as run\nrun('1')\n") == ["2: uses eval (policy forbids it)"]
    source = """\
    def safe(open: bool) -> bool:
        return open


    def unsafe() -> str:
        return open("x").read()
    """
    assert scan(source) == ["6: uses open (policy forbids it)"]


def test_attribute_names_alone_are_not_calls() -> None:
    source = "import re\n\n\ndef f(door: object) -> object:\n    re.compile('x')\n    return door.open()\n"
    assert scan(source) == []


def test_every_violation_is_reported_with_its_line(root: Path) -> None:
    (root / "mutable" / "bad.py").write_text(
        "import subprocess\nimport os as o\n\n\ndef f() -> None:\n    o.system('ls')\n    eval('1')\n"
    )
    result = check_changed_files(root, ["mutable/clean.py", "mutable/bad.py"], RULES)
    assert not result.passed
    assert messages(result) == [
        "mutable/bad.py:1: imports subprocess (policy forbids subprocess)",
        "mutable/bad.py:6: uses os.system (policy forbids it)",
        "mutable/bad.py:7: uses eval (policy forbids it)",
    ]
    assert result.output.splitlines() == messages(result)
    assert result.summary.startswith("3 boundary violations: mutable/bad.py:1:")


def test_policy_lists_are_what_is_checked() -> None:
    rules = BoundaryRules(forbidden_imports=("re",), forbidden_calls=("print", "re.compile"))
    assert scan("import re\nre.compile('x')\nprint(1)\neval('1')\n", rules=rules) == [
        "1: imports re (policy forbids re)",
        "2: uses re.compile (policy forbids it)",
        "3: uses print (policy forbids it)",
    ]
