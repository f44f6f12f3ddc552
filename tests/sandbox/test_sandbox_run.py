"""The common case on every backend: pytest in a read-only worktree, plus each stop reason."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from core.sandbox import Limits, Sandbox, SandboxRequest, StopReason

PY = sys.executable


def run_py(sandbox: Sandbox, scratch: Path, code: str, **kwargs: object) -> object:
    return sandbox.run(SandboxRequest(argv=(PY, "-c", code), scratch=scratch, **kwargs))  # type: ignore[arg-type]


def test_pytest_in_a_read_only_worktree(sandbox: Sandbox, worktree: Path, scratch: Path) -> None:
    result = sandbox.run(
        SandboxRequest(
            argv=(PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"),
            scratch=scratch,
            cwd=worktree,
            read_only=(worktree,),
        )
    )
    assert result.ok, result.output
    assert "2 passed" in result.stdout
    assert result.stop_reason is StopReason.EXIT
    assert result.backend == sandbox.name
    assert result.cpu_seconds > 0.05
    assert result.peak_memory_bytes > 10 << 20
    assert not list(worktree.rglob("__pycache__")), "bytecode was written into the worktree"


def test_environment_home_and_tmpdir_point_into_scratch(sandbox: Sandbox, scratch: Path) -> None:
    code = (
        "import os, shutil, tempfile\n"
        "print(os.environ['HOME']); print(tempfile.gettempdir()); print(os.environ['GREETING'])\n"
        "print(shutil.which('python'))\n"
        "open(os.path.join(os.environ['HOME'], 'h.txt'), 'w').write('home')\n"
        "open(os.path.join(tempfile.gettempdir(), 't.txt'), 'w').write('tmp')\n"
    )
    result = sandbox.run(SandboxRequest(argv=(PY, "-c", code), scratch=scratch, env={"GREETING": "hello"}))
    assert result.ok, result.output
    home, tmp, greeting, python = result.stdout.split()
    assert Path(home).is_relative_to(scratch) and Path(tmp).is_relative_to(scratch)
    assert greeting == "hello"
    assert python == str(Path(PY).parent / "python"), "the venv's bin dir comes first on PATH"
    assert (Path(home) / "h.txt").read_text() == "home"


def test_files_in_stdin_and_scratch_out(sandbox: Sandbox, scratch: Path) -> None:
    code = "import sys; data = sys.stdin.read(); open('out.txt', 'w').write(open('in/a.txt').read() + data)"
    result = sandbox.run(
        SandboxRequest(argv=(PY, "-c", code), scratch=scratch, stdin=b" world", files={"in/a.txt": b"hello"})
    )
    assert result.ok, result.output
    assert (scratch / "out.txt").read_text() == "hello world"


def test_exit_status_and_stderr(sandbox: Sandbox, scratch: Path) -> None:
    result = sandbox.run(
        SandboxRequest(
            argv=(PY, "-c", "import sys; print('bad', file=sys.stderr); sys.exit(3)"), scratch=scratch
        )
    )
    assert (result.exit_code, result.stop_reason, result.stderr.strip()) == (3, StopReason.EXIT, "bad")
    assert not result.ok


def test_wall_timeout(sandbox: Sandbox, scratch: Path) -> None:
    limits = Limits(wall_seconds=1.0)
    result = sandbox.run(
        SandboxRequest(argv=(PY, "-c", "import time; time.sleep(60)"), scratch=scratch, limits=limits)
    )
    assert result.stop_reason is StopReason.TIMEOUT
    assert result.wall_seconds < 10


def test_cpu_limit(sandbox: Sandbox, scratch: Path) -> None:
    limits = Limits(cpu_seconds=1, wall_seconds=30.0)
    result = sandbox.run(SandboxRequest(argv=(PY, "-c", "while True: pass"), scratch=scratch, limits=limits))
    assert result.stop_reason is StopReason.CPU, result
    assert result.cpu_seconds >= 0.5  # rusage and the kernel's rlimit clock differ by a few ticks


def test_memory_limit(sandbox: Sandbox, scratch: Path) -> None:
    limits = Limits(memory_bytes=512 << 20)
    code = "blocks = []\nwhile True: blocks.append(bytearray(32 << 20))"
    result = sandbox.run(SandboxRequest(argv=(PY, "-c", code), scratch=scratch, limits=limits))
    assert result.stop_reason is StopReason.MEMORY, result
    assert "MemoryError" in result.stderr


def test_output_cap(sandbox: Sandbox, scratch: Path) -> None:
    limits = Limits(output_bytes=64 << 10)
    code = "import sys\nwhile True: sys.stdout.write('x' * 65536)"
    result = sandbox.run(SandboxRequest(argv=(PY, "-c", code), scratch=scratch, limits=limits))
    assert result.stop_reason is StopReason.OUTPUT_CAP
    assert result.truncated
    assert len(result.stdout) == 64 << 10


def test_killed_by_a_signal(sandbox: Sandbox, scratch: Path) -> None:
    result = sandbox.run(
        SandboxRequest(
            argv=(PY, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"), scratch=scratch
        )
    )
    assert result.stop_reason is StopReason.KILLED
    assert result.exit_code == -15


def test_file_size_limit(sandbox: Sandbox, scratch: Path) -> None:
    limits = Limits(file_size_bytes=1 << 20)
    code = "open('big', 'wb').write(b'x' * (4 << 20))"
    result = sandbox.run(SandboxRequest(argv=(PY, "-c", code), scratch=scratch, limits=limits))
    assert not result.ok
    assert (scratch / "big").stat().st_size <= 1 << 20


def test_a_secret_looking_request_variable_is_refused(sandbox: Sandbox, scratch: Path) -> None:
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        sandbox.run(SandboxRequest(argv=(PY, "-c", "pass"), scratch=scratch, env={"OPENAI_API_KEY": "sk-x"}))


def test_cwd_outside_the_visible_paths_is_a_bug(sandbox: Sandbox, scratch: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cwd"):
        sandbox.run(SandboxRequest(argv=(PY, "-c", "pass"), scratch=scratch, cwd=tmp_path))


def test_a_file_name_leaving_scratch_is_a_bug(sandbox: Sandbox, scratch: Path) -> None:
    with pytest.raises(ValueError, match="relative path inside scratch"):
        sandbox.run(SandboxRequest(argv=(PY, "-c", "pass"), scratch=scratch, files={"../x": b""}))


@pytest.mark.slow
def test_runtimes_that_reserve_large_address_ranges_start_under_the_memory_limit(
    sandbox: Sandbox, scratch: Path
) -> None:
    """Go reserves far more address space than it uses; the memory limit must still let it run."""
    program = b'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("go ok") }\n'
    result = sandbox.run(
        SandboxRequest(
            argv=("go", "run", "main.go"),
            scratch=scratch,
            files={"main.go": program},
            limits=Limits(memory_bytes=512 << 20, wall_seconds=120.0),
        )
    )
    assert result.ok, result.output
    assert result.stdout == "go ok\n"


def test_a_missing_read_only_path_is_a_bug(sandbox: Sandbox, scratch: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        sandbox.run(SandboxRequest(argv=(PY, "-c", "pass"), scratch=scratch, read_only=(tmp_path / "gone",)))


def test_a_private_scratch_dir_works(sandbox: Sandbox, scratch: Path) -> None:
    """tempfile.mkdtemp() makes 0700 dirs; the sandbox user must still get in and write."""
    scratch.chmod(0o700)
    result = sandbox.run(SandboxRequest(argv=(PY, "-c", "open('made', 'w').write('ok')"), scratch=scratch))
    assert result.ok, result.output
    assert (scratch / "made").read_text() == "ok"


def test_network_when_the_request_asks_for_it(sandbox: Sandbox, scratch: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        code = (
            f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5).close(); print('ok')"
        )
        result = sandbox.run(SandboxRequest(argv=(PY, "-c", code), scratch=scratch, network=True))
        assert result.ok, result.output
        listener.settimeout(5)
        conn, _ = listener.accept()
        conn.close()
