"""How much a sandbox adds per launch: `python -c pass` and a 200-test pytest run, bare and under
every sandbox backend this machine has, in the same run. Prints the median of N runs, the
overhead in milliseconds and the ratio. Target: bwrap adds at most 100 ms per launch.

    python bench/sandbox_overhead.py [--runs N] [--check]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.procs import run_process, scrub_env
from core.sandbox import Sandbox, SandboxRequest, available_backends
from core.sandbox.bwrap import BwrapSandbox
from core.sandbox.docker_engine import DockerSandbox
from core.sandbox.rlimits import RlimitsSandbox

PY = sys.executable
BWRAP_TARGET_MS = 100.0
LAUNCH = "python -c pass"
PYTEST_ARGS = ("-m", "pytest", "-q", "-p", "no:cacheprovider", "test_many.py")


def _write_tests(root: Path, count: int = 200) -> None:
    body = "\n\n".join(f"def test_{i}():\n    assert {i} + 1 == {i + 1}" for i in range(count))
    (root / "test_many.py").write_text(body + "\n")


#: the environment every variant runs with (the sandboxes set it too): no bytecode writes, so a
#: bare run does not get a warm __pycache__ that a read-only sandboxed tree cannot have
BARE_ENV = {**scrub_env(), "PYTHONDONTWRITEBYTECODE": "1"}


def _timed(run: Callable[[], bool]) -> float:
    started = time.perf_counter()
    if not run():
        raise SystemExit("a benchmark run failed; fix the sandbox before timing it")
    return time.perf_counter() - started


def _bare(argv: tuple[str, ...], cwd: Path) -> Callable[[], bool]:
    return lambda: run_process(argv, cwd=cwd, timeout=120, env=BARE_ENV).ok


def _boxed(sandbox: Sandbox, argv: tuple[str, ...], cwd: Path, scratch: Path) -> Callable[[], bool]:
    request = SandboxRequest(argv=argv, scratch=scratch, cwd=cwd, read_only=(cwd,))
    return lambda: sandbox.run(request).ok


def _make(name: str) -> Sandbox:
    if name == "docker":
        return DockerSandbox()
    if name == "bwrap":
        return BwrapSandbox()
    return RlimitsSandbox()


def measure(
    command: tuple[str, ...], project: Path, sandboxes: dict[str, Sandbox], runs: int
) -> dict[str, float]:
    """Median seconds per variant; the variants take turns each round so load drift hits all alike."""
    variants = {"bare": _bare(command, project)}
    for name, sandbox in sandboxes.items():
        variants[name] = _boxed(sandbox, command, project, project.parent / f"scratch-{name}")
    times: dict[str, list[float]] = {name: [] for name in variants}
    for run in variants.values():  # one warm-up each: page cache, imports
        _timed(run)
    for _ in range(runs):
        for name, run in variants.items():
            times[name].append(_timed(run))
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement (median is reported)")
    parser.add_argument("--check", action="store_true", help="exit 1 if bwrap misses its target")
    args = parser.parse_args(argv)
    backends = available_backends()
    absent = [name for name in ("docker", "bwrap") if name not in backends]
    print(f"backends here: {', '.join(backends)}" + (f" (not here: {', '.join(absent)})" if absent else ""))
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs")
    launch_bwrap = 0.0
    with tempfile.TemporaryDirectory(prefix="ratchet-bench-") as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        _write_tests(project)
        workloads = {LAUNCH: (PY, "-c", "pass"), "pytest, 200 tests": (PY, *PYTEST_ARGS)}
        sandboxes = {name: _make(name) for name in backends}
        print(f"{'workload':<20} {'backend':<8} {'median ms':>10} {'overhead ms':>12} {'ratio':>6}")
        for label, command in workloads.items():
            runs = args.runs if label == LAUNCH else max(3, args.runs // 2)
            medians = measure(command, project, sandboxes, runs)
            bare = medians.pop("bare")
            print(f"{label:<20} {'bare':<8} {bare * 1000:>10.1f} {'':>12} {'':>6}")
            for name, boxed in medians.items():
                overhead = (boxed - bare) * 1000
                print(f"{label:<20} {name:<8} {boxed * 1000:>10.1f} {overhead:>+12.1f} {boxed / bare:>6.2f}")
                if name == "bwrap" and label == LAUNCH:
                    launch_bwrap = overhead
    if "bwrap" in backends:
        verdict = "meets" if launch_bwrap <= BWRAP_TARGET_MS else "MISSES"
        print(
            f"bwrap adds {launch_bwrap:.1f} ms per launch ({verdict} the {BWRAP_TARGET_MS:.0f} ms target); "
            "the pytest rows show what that is worth on a real run (noisy on a loaded machine)"
        )
        if args.check and launch_bwrap > BWRAP_TARGET_MS:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
