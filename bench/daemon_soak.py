"""The daemon over many cycles on a fresh `ratchet init` workspace (the seed agent).

1. throughput: scripted proposals (good, ruff/mypy failures, hostile, needs-approval) through the
   real gate pipeline; prints proposals validated per hour (target >= 600/h).
2. memory: RSS of the daemon process at cycle 10 vs cycle N (default 500; target within 10%), with
   a fast pipeline (the real boundary and integrity gates around a stand-in for ruff..evals, whose
   processes would not count toward this process's RSS anyway), with every attempt recorded in
   chromadb memory and without (the daemon's own bookkeeping alone).
3. embedded model (`--embedded N`, 0 to skip): N cycles with the embedded local model as proposer;
   prints proposals/h and acceptance.

Run: .venv/bin/python bench/daemon_soak.py [--real 30] [--rss-cycles 500] [--embedded 6]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from core.config import load_config
from core.daemon import Daemon, DaemonResult
from core.events import CycleFinished, Event
from core.gates import BoundaryGate, GateContext, GateOutcome, IntegrityGate
from core.init import init_workspace
from core.proposers.scripted import ScriptedProposer
from core.records import Edit, EditKind, EditOp, GateResult, Proposal
from core.workspace import Workspace

MODULE = "mutable/extract.py"
TARGET = "extract_code"
FAIL_MARK = "# bench: fail"


def _function(root: Path) -> str:
    source = (root / MODULE).read_text()
    start = source.index(f"def {TARGET}(")
    end = source.find("\ndef ", start + 1)
    return (source[start:] if end == -1 else source[start : end + 1]).rstrip("\n") + "\n"


def _with_line(func: str, line: str) -> str:
    head, *rest = func.rstrip("\n").splitlines()
    return "\n".join([head, f"    {line}", *rest]) + "\n"


def _proposal(title: str, edit: Edit) -> Proposal:
    return Proposal(rationale=f"{title}.", target=f"{edit.path}:{edit.target}", edits=(edit,), title=title)


def _replace(code: str) -> Edit:
    return Edit(EditOp.REPLACE, EditKind.FUNCTION, MODULE, TARGET, code)


def mixed_proposals(root: Path, count: int) -> Iterator[Proposal]:
    """Per 10: 4 passing, 2 ruff failures, 1 mypy failure, 2 hostile, 1 needing approval."""
    func = _function(root)
    table = "".join(f"        {i},\n" for i in range(130))
    for n in range(count):
        kind = n % 10
        if kind in (0, 3, 6, 9):
            yield _proposal(f"comment {n}", _replace(_with_line(func, f"# benchmark edit {n}")))
        elif kind in (1, 4):
            yield _proposal(f"unused {n}", _replace(_with_line(func, f"unused_{n} = {n}  {FAIL_MARK}")))
        elif kind == 7:
            yield _proposal(f"mistyped {n}", _replace(_with_line(func, f"wrong: int = 'x{n}'  {FAIL_MARK}")))
        elif kind == 2:
            edit = Edit(EditOp.ADD, EditKind.IMPORT, MODULE, "subprocess", "import subprocess\n")
            yield _proposal(f"forbidden import {n}", edit)
        elif kind == 5:
            yield _proposal(
                f"outside {n}", Edit(EditOp.REPLACE, EditKind.FUNCTION, "core/x.py", "f", "def f(): ...\n")
            )
        else:
            code = f"def lookup_table_{n}() -> list[int]:\n    return [\n{table}    ]\n"
            yield _proposal(
                f"large {n}", Edit(EditOp.ADD, EditKind.FUNCTION, MODULE, f"lookup_table_{n}", code)
            )


class StandInGate:
    """Stands in for ruff/mypy/pytest/evals in the memory run: fails what the real ones would."""

    name = "checks"

    def run(self, ctx: GateContext) -> GateOutcome:
        failed = any(FAIL_MARK in e.code for e in ctx.edits)
        return GateOutcome(GateResult(self.name, not failed, 0.0, "would fail" if failed else "ok"))


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def fresh(parent: Path, name: str) -> Workspace:
    root = parent / name
    init_workspace(root)
    return Workspace(root)


def throughput(parent: Path, count: int) -> None:
    ws = fresh(parent, "throughput")
    config = load_config(ws.root, overrides={"gates.max_retries": 0})
    proposals = list(mixed_proposals(ws.root, count))
    started = time.perf_counter()
    result = Daemon(ws, config, ScriptedProposer(proposals)).run()
    seconds = time.perf_counter() - started
    _report("real gates, scripted", result, seconds)


def memory(parent: Path, cycles: int, recording: bool) -> None:
    ws = fresh(parent, f"memory-{'on' if recording else 'off'}")
    overrides = {"gates.max_retries": 0, "daemon.max_consecutive_failures": 0, "memory.enabled": recording}
    config = load_config(ws.root, overrides=overrides)
    samples: dict[int, int] = {}
    done = [0]

    def sample(event: Event) -> None:
        if isinstance(event, CycleFinished):
            done[0] += 1
            if done[0] in (10, cycles):
                samples[done[0]] = rss_kb()

    gates = (BoundaryGate(), StandInGate(), IntegrityGate())
    started = time.perf_counter()
    result = Daemon(
        ws, config, ScriptedProposer(list(mixed_proposals(ws.root, cycles))), gates=gates, echo=sample
    ).run()
    seconds = time.perf_counter() - started
    _report(f"fast pipeline, scripted, memory recording {'on' if recording else 'off'}", result, seconds)
    first, last = samples.get(10, 0), samples.get(cycles, 0)
    growth = (last - first) / first * 100 if first else float("nan")
    verdict = "ok" if abs(growth) <= 10 else "ABOVE TARGET"
    print(
        f"  RSS at cycle 10: {first / 1024:.1f} MB; at cycle {cycles}: {last / 1024:.1f} MB; "
        f"growth {growth:+.1f}% ({verdict}, target within 10%)"
    )


def embedded(parent: Path, cycles: int) -> None:
    from core.proposers.factory import make_proposer

    ws = fresh(parent, "embedded")
    config = load_config(
        ws.root,
        overrides={
            "proposer.kind": "embedded",
            "daemon.max_cycles": cycles,
            "daemon.max_consecutive_failures": 0,
        },
    )
    started = time.perf_counter()
    with ExitStack() as stack:
        proposer = make_proposer(ws, config, stack=stack)
        result = Daemon(ws, config, proposer).run()
    seconds = time.perf_counter() - started
    _report("real gates, embedded model", result, seconds)


def _report(label: str, result: DaemonResult, seconds: float) -> None:
    s = result.state
    rate = s.attempts / seconds * 3600 if seconds else 0.0
    acceptance = s.accepted / s.attempts * 100 if s.attempts else 0.0
    print(f"{label}: {s.attempts} proposals in {seconds:.1f}s -> {rate:,.0f} proposals/h")
    print(
        f"  accepted {s.accepted}, rejected {s.rejected}, queued {s.queued}, skipped {s.skipped}; "
        f"acceptance {acceptance:.0f}%"
    )
    print(f"  stop: {result.reason} (exit {int(result.exit_code)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--real", type=int, default=30, help="proposals through the real gates (0: skip)")
    parser.add_argument("--rss-cycles", type=int, default=500, help="cycles of the memory run (0: skip)")
    parser.add_argument(
        "--recording",
        choices=("on", "off", "both"),
        default="both",
        help="memory runs with attempts recorded in chromadb, without, or both",
    )
    parser.add_argument("--embedded", type=int, default=6, help="cycles with the embedded model (0: skip)")
    parser.add_argument("--workdir", type=Path, help="keep the workspaces here (default: a temp dir)")
    args = parser.parse_args()
    with ExitStack() as stack:
        if args.workdir:
            args.workdir.mkdir(parents=True, exist_ok=True)
            parent = args.workdir
        else:
            parent = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ratchet-daemon-bench-")))
        if args.real:
            throughput(parent, args.real)
        for recording in (True, False):
            if args.rss_cycles and args.recording in ("both", "on" if recording else "off"):
                memory(parent, args.rss_cycles, recording)
        if args.embedded:
            embedded(parent, args.embedded)


if __name__ == "__main__":
    main()
