"""Gate latency on a fresh `ratchet init` workspace: warm pipeline vs the naive cold way.

Warm: shared mypy cache, only the tests that import the changed module, the fast eval suites.
Cold (naive): an empty mypy cache every time, the whole agent test suite, every deterministic suite.
Also times discard-on-reject and commit+checkpoint. Prints figures and ratios.
Run: .venv/bin/python bench/gate_latency.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.candidate import commit_candidate, discard_candidate
from core.config import load_config
from core.cycle import Supervisor
from core.evalrun import declared_suites
from core.gates import DEFAULT_GATES, BoundaryGate, EvalGate, IntegrityGate, MypyGate, PytestGate, RuffGate
from core.init import init_workspace
from core.records import Decision, Edit, EditKind, EditOp, Proposal, Verdict


def one_function_change(root: Path, n: int) -> Proposal:
    """Replace `extract_code`'s docstring-bearing body with an equivalent one (a real, passing edit)."""
    source = (root / "mutable" / "extract.py").read_text()
    start = source.index("def extract_code(")
    end = source.find("\ndef ", start + 1)
    func = source[start:] if end == -1 else source[start : end + 1]
    lines = func.rstrip("\n").splitlines()
    body = "\n".join([lines[0], f"    # benchmark edit {n}", *lines[1:]]) + "\n"
    edit = Edit(EditOp.REPLACE, EditKind.FUNCTION, "mutable/extract.py", "extract_code", body)
    return Proposal(rationale=f"benchmark edit {n}", target="mutable/extract.py:extract_code", edits=(edit,))


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ratchet-bench-") as tmp:
        root = Path(tmp) / "ws"
        started = time.perf_counter()
        result = init_workspace(root)
        print(f"init: {time.perf_counter() - started:.2f} s (baseline {result.scores.summary()})")
        config = load_config(root)
        all_suites = tuple(s.name for s in declared_suites(root) if s.deterministic)
        cold_config = replace(config, evals=replace(config.evals, every_proposal=all_suites))
        warm_times: list[float] = []
        gate_times: dict[str, list[float]] = {}
        discard_times: list[float] = []
        commit_times: list[float] = []
        with Supervisor(result.workspace, config) as sup:
            # one warm-up run fills the mypy cache
            cand, val = sup.validate(one_function_change(root, 0))
            assert val.report.passed, val.report
            discard_candidate(sup.repo, cand, sup.journal)
            for i in range(1, args.runs + 1):
                t0 = time.perf_counter()
                cand, val = sup.validate(one_function_change(root, i))
                warm_times.append(time.perf_counter() - t0)
                assert val.report.passed, val.report.failed
                for r in val.report.results:
                    gate_times.setdefault(r.name, []).append(r.seconds)
                t0 = time.perf_counter()
                discard_candidate(sup.repo, cand, sup.journal)
                discard_times.append(time.perf_counter() - t0)
            for i in range(args.runs):
                cand, val = sup.validate(one_function_change(root, 100 + i))
                t0 = time.perf_counter()
                commit_candidate(
                    result.workspace,
                    sup.repo,
                    cand,
                    report=val.report,
                    scores_before=sup.baseline(),
                    scores_after=val.scores or sup.baseline(),
                    verdict=Verdict(Decision.ACCEPT, "bench", "bench"),
                    journal=sup.journal,
                    audit=sup.audit,
                )
                commit_times.append(time.perf_counter() - t0)
        cold_gates = (
            BoundaryGate(),
            RuffGate(),
            MypyGate(),
            PytestGate(select=False),
            EvalGate(select=False),
            IntegrityGate(),
        )
        cold_times: list[float] = []
        cold_gate_times: dict[str, list[float]] = {}
        with Supervisor(result.workspace, cold_config, gates=cold_gates) as sup:
            for i in range(max(3, args.runs // 2)):
                # naive: no mypy cache at all
                import shutil

                shutil.rmtree(result.workspace.cache_dir / "mypy", ignore_errors=True)
                t0 = time.perf_counter()
                cand, val = sup.validate(one_function_change(root, 200 + i))
                cold_times.append(time.perf_counter() - t0)
                assert val.report.passed, val.report.failed
                for r in val.report.results:
                    cold_gate_times.setdefault(r.name, []).append(r.seconds)
                discard_candidate(sup.repo, cand, sup.journal)
        print(f"sandbox: {sup.sandbox.name}; default gates: {', '.join(g.name for g in DEFAULT_GATES)}")
        print(f"per gate, median (warm of {args.runs} | naive cold):")
        for name, values in gate_times.items():
            print(f"  {name:<10} {median_ms(values):8.1f} ms | {median_ms(cold_gate_times[name]):8.1f} ms")
        warm = median_ms(warm_times)
        cold = median_ms(cold_times)
        print(
            f"full gate warm (worktree+apply+gates), median of {args.runs}: {warm:8.1f} ms (target <= 2000)"
        )
        print(
            f"naive cold (no mypy cache, all tests, all suites), median of {len(cold_times)}: {cold:8.1f} ms"
        )
        print(f"ratio cold / warm: {cold / warm:5.1f}x  (target >= 10x)")
        print(f"discard on reject, median: {median_ms(discard_times):8.1f} ms  (target <= 200)")
        print(f"commit + checkpoint, median: {median_ms(commit_times):8.1f} ms  (target <= 300)")


if __name__ == "__main__":
    main()
