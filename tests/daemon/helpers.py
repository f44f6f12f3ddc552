"""Proposals, a fake gate and leak probes shared by the daemon tests."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from core.gates import BoundaryGate, GateContext, GateOutcome, IntegrityGate
from core.records import Edit, EditKind, EditOp, GateResult, Proposal

CALC = "mutable/calc.py"
FAIL_MARK = "# fake-gate: fail"


def _fn(
    target: str, code: str, path: str = CALC, op: EditOp = EditOp.REPLACE, kind: EditKind = EditKind.FUNCTION
) -> Edit:
    return Edit(op, kind, path, target, code)


def proposal(title: str, *edits: Edit) -> Proposal:
    return Proposal(
        rationale=f"{title}.", target=f"{edits[0].path}:{edits[0].target}", edits=edits, title=title
    )


def good(n: int) -> Proposal:
    """A real, passing change (different every time so it is never empty)."""
    code = f"def add(a: int, b: int) -> int:\n    # revision {n}\n    return a + b\n"
    return proposal(f"good {n}", _fn("add", code))


def bad(n: int, *, real: bool = False) -> Proposal:
    """Fails the fake gate (marker) or, with `real`, mypy."""
    if real:
        code = "def add(a: int, b: int) -> int:\n    return str(a + b)\n"
    else:
        code = f"def add(a: int, b: int) -> int:\n    {FAIL_MARK} {n}\n    return a + b\n"
    return proposal(f"bad {n}", _fn("add", code))


HOSTILE = (
    (
        "write protected/",
        _fn("x", "x = 1\n", path="protected/policy.toml", kind=EditKind.ASSIGNMENT, op=EditOp.ADD),
    ),
    (
        "escape with ..",
        _fn("add", "def add(a: int, b: int) -> int:\n    return a\n", path="mutable/../core/cycle.py"),
    ),
    ("forbidden import", _fn("subprocess", "import subprocess\n", kind=EditKind.IMPORT, op=EditOp.ADD)),
    (
        "forbidden call",
        _fn("is_even", 'def is_even(n: int) -> bool:\n    open("/etc/passwd")\n    return n % 2 == 0\n'),
    ),
    (
        "write core/",
        _fn("agent_branch_of", "def agent_branch_of() -> None:\n    pass\n", path="core/cycle.py"),
    ),
)


def hostile(n: int) -> Proposal:
    title, edit = HOSTILE[n % len(HOSTILE)]
    return proposal(f"hostile {n}: {title}", edit)


def needs_approval(n: int) -> Proposal:
    """Passes every gate but its diff is larger than policy's max_diff_lines (120)."""
    body = "".join(f"        {i + n},\n" for i in range(130))
    code = f"def table() -> list[int]:\n    return [\n{body}    ]\n"
    return proposal(f"large {n}", _fn("table", code, op=EditOp.ADD))


@dataclass(frozen=True)
class MarkerGate:
    """Stands in for ruff/mypy/pytest/evals in bookkeeping tests: fails edits carrying FAIL_MARK."""

    name: str = "checks"
    delay: float = 0.0

    def run(self, ctx: GateContext) -> GateOutcome:
        if self.delay:
            time.sleep(self.delay)
        failed = any(FAIL_MARK in e.code for e in ctx.edits)
        return GateOutcome(GateResult(self.name, not failed, 0.0, "marker found" if failed else "ok"))


#: a fast pipeline: the real boundary and integrity gates around the fake one
FAST_GATES = (BoundaryGate(), MarkerGate(), IntegrityGate())


def write_script(path: Path, proposals: list[Proposal]) -> Path:
    from core.records import to_dict

    items = []
    for p in proposals:
        raw = to_dict(p)
        items.append(
            {k: raw[k] for k in ("title", "rationale", "target")}
            | {"edits": [{k: e[k] for k in ("op", "kind", "path", "target", "code")} for e in raw["edits"]]}
        )
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout.strip()


def assert_no_candidate_left(root: Path) -> None:
    """No trace of any candidate: one worktree, no candidate branch, no journal, empty .agent/worktrees."""
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    worktrees = [
        ln for ln in git(root, "worktree", "list", "--porcelain").splitlines() if ln.startswith("worktree ")
    ]
    assert len(worktrees) == 1, worktrees
    assert git(root, "branch", "--list", "ratchet/candidate/*") == ""
    assert not (root / ".agent" / "journal.json").exists()
    assert not any((root / ".agent" / "worktrees").iterdir())


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def children(pid: int | None = None) -> list[int]:
    """Live (non-zombie) processes whose parent is `pid` (default: this process)."""
    pid = os.getpid() if pid is None else pid
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def state(root: Path) -> dict[str, object]:
    try:
        return json.loads((root / ".agent" / "state.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def log_events(root: Path) -> list[dict[str, object]]:
    path = root / ".agent" / "ratchet.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
