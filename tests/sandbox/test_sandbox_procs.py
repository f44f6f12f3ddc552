"""`run_process`, which every sandbox launches through: usage from wait4, no stall on a child that
keeps the pipes open, no deadlock on large stdin, group kill at the output cap."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from core.procs import run_process

PY = sys.executable


def test_cpu_and_peak_memory_come_from_wait4(tmp_path: Path) -> None:
    code = "x = bytearray(300 << 20)\nfor i in range(0, len(x), 4096): x[i] = 1\nsum(range(3_000_000))"
    result = run_process([PY, "-c", code], cwd=tmp_path, timeout=60)
    assert result.ok, result.output
    assert result.peak_memory_bytes >= 300 << 20
    assert result.cpu_seconds > 0.05


def test_a_background_child_holding_the_pipes_does_not_keep_the_run_going(tmp_path: Path) -> None:
    started = time.monotonic()
    result = run_process(["sh", "-c", "sleep 60 & echo started"], cwd=tmp_path, timeout=30)
    assert result.ok and result.stdout == "started\n"
    assert not result.timed_out
    assert time.monotonic() - started < 5


def test_stdin_larger_than_a_pipe_buffer_to_a_child_that_never_reads(tmp_path: Path) -> None:
    result = run_process([PY, "-c", "print('done')"], cwd=tmp_path, timeout=30, stdin=b"x" * (4 << 20))
    assert result.stdout == "done\n" and not result.timed_out


def test_stdin_is_delivered(tmp_path: Path) -> None:
    data = b"0123456789" * 100_000
    result = run_process(
        [PY, "-c", "import sys; print(len(sys.stdin.buffer.read()))"], cwd=tmp_path, timeout=30, stdin=data
    )
    assert result.stdout.strip() == str(len(data))


def test_output_cap_kills_the_group(tmp_path: Path) -> None:
    result = run_process(["yes"], cwd=tmp_path, timeout=30, output_limit=1000)
    assert result.truncated and len(result.stdout) == 1000
    assert result.returncode == -9


def test_timeout_kills_the_group(tmp_path: Path) -> None:
    result = run_process(["sh", "-c", "sleep 60"], cwd=tmp_path, timeout=0.5)
    assert result.timed_out and result.returncode == -9
    assert result.seconds < 5
