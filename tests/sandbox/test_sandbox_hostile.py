"""The hostile-code suite: each case must be contained, with the right stop reason, leaving nothing
behind (no process, no file outside scratch) — on every backend this machine has.

The rlimits backend documents what it cannot stop (`RLIMITS_CANNOT_STOP`); for it, each case
asserts exactly that: the listed cases escape, every other case is contained.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core.sandbox import RLIMITS_CANNOT_STOP, Limits, Sandbox, SandboxRequest, SandboxResult, StopReason

PY = sys.executable
FAKE_KEY_PREFIX = "sk-ratchet-fake-"


@dataclass
class Scene:
    """What a hostile program gets to aim at, all on the host, outside scratch."""

    marker: str
    scratch: Path
    worktree: Path
    outside: Path
    home_probe: Path
    tmp_probe: Path
    home_secret: Path
    port: int
    listener: socket.socket
    cleanup: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class Case:
    name: str
    code: str
    stop: StopReason
    limits: Limits = field(default_factory=lambda: Limits(wall_seconds=20.0, cpu_seconds=20))
    #: host-side evidence of an escape beyond the generic checks; empty list: contained
    check: Callable[[Scene, SandboxResult], list[str]] = lambda scene, result: []


def _report(result: SandboxResult) -> dict[str, object]:
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    return dict(json.loads(lines[-1])) if lines else {}


def _file_exists(path_of: Callable[[Scene], Path]) -> Callable[[Scene, SandboxResult], list[str]]:
    def check(scene: Scene, result: SandboxResult) -> list[str]:
        path = path_of(scene)
        return [f"{path} was created"] if path.exists() else []

    return check


def _bomb_capped(scene: Scene, result: SandboxResult) -> list[str]:
    forked = int(str(_report(result).get("forked", 10**6)))
    return [] if forked < 64 else [f"the fork bomb made {forked} processes"]


def _shm_bounded(scene: Scene, result: SandboxResult) -> list[str]:
    escaped = [f"{path} was created" for path in Path("/dev/shm").glob(f"{scene.marker}*")]
    written = int(str(_report(result).get("written_mb", 10**6)))
    if written > 512 // 8:
        escaped.append(f"wrote {written} MB to /dev/shm")
    return escaped


def _no_new_userns(scene: Scene, result: SandboxResult) -> list[str]:
    report = _report(result)
    return [] if report.get("created") is False else [f"created a user namespace: {report}"]


def _nothing_read(scene: Scene, result: SandboxResult) -> list[str]:
    secret = f"secret-{scene.marker}"
    return [f"read a secret: {result.stdout[:200]!r}"] if secret in result.stdout else []


def _no_connection(scene: Scene, result: SandboxResult) -> list[str]:
    scene.listener.setblocking(False)
    try:
        conn, _ = scene.listener.accept()
    except BlockingIOError:
        accepted = False
    else:
        conn.close()
        accepted = True
    said = _report(result).get("connected")
    return ["connected to the host listener"] if accepted or said else []


def _only_fresh_loopback(scene: Scene, result: SandboxResult) -> list[str]:
    report = _report(result)
    if report.get("names") != ["lo"] or report.get("lo_bytes") != 0:
        return [f"sees host interfaces: {report}"]
    return []


def _key_hidden(scene: Scene, result: SandboxResult) -> list[str]:
    return [f"found the API key: {result.stdout[:200]!r}"] if FAKE_KEY_PREFIX in result.stdout else []


_WRITE = """
import json, sys
errors = []
for path in sys.argv[2:]:
    try:
        with open(path, "w") as fh:
            fh.write("pwned")
    except OSError as exc:
        errors.append(str(exc))
print(json.dumps({"errors": errors}))
"""

CASES = [
    Case("infinite_loop", "while True: pass", StopReason.CPU, Limits(wall_seconds=20.0, cpu_seconds=2)),
    Case(
        "fork_bomb",
        """
import json, os, time
forked = 0
while forked < 300:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(120)
        os._exit(0)
    forked += 1
print(json.dumps({"forked": forked}), flush=True)
time.sleep(120)
""",
        StopReason.TIMEOUT,
        Limits(wall_seconds=4.0, processes=32),
        _bomb_capped,
    ),
    Case(
        "memory_bomb",
        "blocks = []\nwhile True: blocks.append(bytearray(16 << 20))",
        StopReason.MEMORY,
        Limits(memory_bytes=512 << 20),
    ),
    Case(
        "shared_memory_bomb",
        """
import mmap
maps = []
while len(maps) < 64:
    block = mmap.mmap(-1, 64 << 20, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
    for offset in range(0, 64 << 20, 4096):
        block[offset] = 1
    maps.append(block)
print("mapped", len(maps) * 64, "MB")
""",
        StopReason.MEMORY,
        Limits(memory_bytes=256 << 20),
    ),
    Case(
        "shm_fill",
        """
import json, sys
prefix, written = sys.argv[2], 0
chunk = b"x" * (16 << 20)
try:
    while written < (320 << 20):
        with open(f"{prefix}-{written >> 24}", "wb") as fh:
            fh.write(chunk)
        written += len(chunk)
except OSError as exc:
    print(json.dumps({"written_mb": written >> 20, "error": str(exc)}))
else:
    print(json.dumps({"written_mb": written >> 20}))
""",
        StopReason.EXIT,
        Limits(memory_bytes=512 << 20),
        _shm_bounded,
    ),
    Case(
        "output_flood",
        "import sys\nchunk = b'x' * (1 << 20)\nfor _ in range(1024): sys.stdout.buffer.write(chunk)",
        StopReason.OUTPUT_CAP,
        Limits(output_bytes=1 << 20),
    ),
    Case("write_workspace", _WRITE, StopReason.EXIT),
    Case("write_protected", _WRITE, StopReason.EXIT),
    Case("write_home", _WRITE, StopReason.EXIT, check=_file_exists(lambda s: s.home_probe)),
    Case("write_tmp", _WRITE, StopReason.EXIT, check=_file_exists(lambda s: s.tmp_probe)),
    Case(
        "read_unbound",
        """
import json, os, sys
seen = {}
for path in sys.argv[2:]:
    try:
        seen[path] = open(path).read()
    except OSError as exc:
        seen[path] = "error: " + str(exc)
try:
    seen["/root"] = os.listdir("/root")
except OSError as exc:
    seen["/root"] = "error: " + str(exc)
print(json.dumps(seen))
""",
        StopReason.EXIT,
        check=_nothing_read,
    ),
    Case(
        "tcp_connect",
        """
import json, socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=3).close()
    print(json.dumps({"connected": True}))
except OSError as exc:
    print(json.dumps({"connected": False, "error": str(exc)}))
""",
        StopReason.EXIT,
        check=_no_connection,
    ),
    Case(
        "network_interfaces",
        """
import json, socket
names = sorted(name for _, name in socket.if_nameindex())
lo_bytes = None
for line in open("/proc/net/dev").read().splitlines()[2:]:
    name, _, counters = line.partition(":")
    if name.strip() == "lo":
        numbers = counters.split()
        lo_bytes = int(numbers[0]) + int(numbers[8])
print(json.dumps({"names": names, "lo_bytes": lo_bytes}))
""",
        StopReason.EXIT,
        check=_only_fresh_loopback,
    ),
    Case(
        "daemon",
        """
import os, signal, time
if os.fork() == 0:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.close(1); os.close(2)
    time.sleep(120)
    os._exit(0)
print("parent leaves")
""",
        StopReason.EXIT,
    ),
    Case(
        "setsid_double_fork",
        """
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.close(1); os.close(2)
        time.sleep(120)
    os._exit(0)
time.sleep(0.5)
print("parent leaves")
""",
        StopReason.EXIT,
    ),
    Case(
        "symlink_escape",
        """
import json, os, sys
target, scratch = sys.argv[2:4]
os.chdir(scratch)
os.symlink(target, "escape")
try:
    with open("escape", "w") as fh:
        fh.write("pwned")
    print(json.dumps({"wrote": True}))
except OSError as exc:
    print(json.dumps({"wrote": False, "error": str(exc)}))
""",
        StopReason.EXIT,
        check=_file_exists(lambda s: s.outside / "escaped.txt"),
    ),
    Case(
        "nested_userns",
        """
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
created = libc.unshare(0x10000000) == 0
print(json.dumps({"created": created, "error": os.strerror(ctypes.get_errno())}))
""",
        StopReason.EXIT,
        check=_no_new_userns,
    ),
    Case(
        "env_secret",
        """
import json, os
found = [f"env:{k}={v}" for k, v in os.environ.items() if v.startswith("sk-ratchet-fake-")]
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            data = open(f"/proc/{pid}/environ", "rb").read()
        except OSError:
            continue
        if b"sk-ratchet-fake-" in data:
            found.append(f"/proc/{pid}/environ: " + data.decode(errors="replace"))
print(json.dumps({"found": found}))
""",
        StopReason.EXIT,
        check=_key_hidden,
    ),
]
CASE_NAMES = tuple(case.name for case in CASES)


def _args(case: Case, scene: Scene) -> tuple[str, ...]:
    targets = {
        "write_workspace": (scene.worktree / "tests" / "test_ok.py", scene.worktree / "new_file.py"),
        "write_protected": (scene.worktree / "protected" / "policy.toml", scene.worktree / "protected" / "x"),
        "write_home": (scene.home_probe,),
        "write_tmp": (scene.tmp_probe,),
        "read_unbound": (scene.outside / "secret.txt", scene.home_secret),
        "tcp_connect": (str(scene.port),),
        "symlink_escape": (scene.outside / "escaped.txt", scene.scratch),
        "shm_fill": (Path("/dev/shm") / scene.marker,),
    }
    return tuple(str(t) for t in targets.get(case.name, ()))


def _marked_processes(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _survivors(marker: str, wait: float = 3.0) -> list[int]:
    deadline = time.monotonic() + wait
    while (alive := _marked_processes(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def _fingerprint(root: Path, skip: Path) -> dict[str, str]:
    prints = {}
    for path in sorted(root.rglob("*")):
        if path == skip or path.is_relative_to(skip):
            continue
        if path.is_symlink() or not path.is_file():
            prints[str(path)] = "dir" if path.is_dir() else "other"
        else:
            prints[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints


@pytest.fixture
def scene(worktree: Path, scratch: Path, tmp_path: Path) -> Iterator[Scene]:
    marker = f"ratchet-hostile-{uuid.uuid4().hex}"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"secret-{marker}")
    home = Path.home()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    made = Scene(
        marker=marker,
        scratch=scratch,
        worktree=worktree,
        outside=outside,
        home_probe=home / f".{marker}-probe",
        tmp_probe=Path("/tmp") / f"{marker}-probe",
        home_secret=home / f".{marker}-secret",
        port=listener.getsockname()[1],
        listener=listener,
    )
    made.home_secret.write_text(f"secret-{marker}")
    yield made
    listener.close()
    for pid in _marked_processes(marker):
        with_suppressed_kill(pid)
    for path in (made.home_probe, made.tmp_probe, made.home_secret, *Path("/dev/shm").glob(f"{marker}*")):
        path.unlink(missing_ok=True)


def with_suppressed_kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


_DRIVER = """
import json, sys
from pathlib import Path
from core.sandbox import BwrapSandbox, RlimitsSandbox, DockerSandbox, SandboxRequest, Limits
backend, scratch, cwd, worktree, *argv = sys.argv[1:]
box = {"bwrap": BwrapSandbox, "rlimits": RlimitsSandbox, "docker": DockerSandbox}[backend]()
result = box.run(SandboxRequest(argv=tuple(argv), scratch=Path(scratch), cwd=Path(cwd),
                                read_only=(Path(worktree),), limits=Limits(wall_seconds=20.0)))
print(json.dumps({"stdout": result.stdout, "stderr": result.stderr, "stop": result.stop_reason.value,
                  "exit": result.exit_code, "wall": result.wall_seconds}))
"""


def _run_as_keyed_supervisor(sandbox: Sandbox, request: SandboxRequest, key: str) -> SandboxResult:
    """Run the request from a supervisor process started with an API key in its environment."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "OPENAI_API_KEY": key, "PYTHONPATH": str(root)}
    argv = [
        PY,
        "-c",
        _DRIVER,
        sandbox.name,
        str(request.scratch),
        str(request.cwd),
        *map(str, request.read_only),
    ]
    done = subprocess.run(
        [*argv, *request.argv], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    data = json.loads(done.stdout.splitlines()[-1])
    return SandboxResult(
        exit_code=data["exit"],
        stdout=data["stdout"],
        stderr=data["stderr"],
        stop_reason=StopReason(data["stop"]),
        wall_seconds=data["wall"],
        backend=sandbox.name,
    )


def _escapes(case: Case, sandbox: Sandbox, scene: Scene, tmp_path: Path) -> tuple[SandboxResult, list[str]]:
    before = _fingerprint(tmp_path, scene.scratch)
    request = SandboxRequest(
        argv=(PY, "-c", case.code, scene.marker, *_args(case, scene)),
        scratch=scene.scratch,
        cwd=scene.worktree,
        read_only=(scene.worktree,),
        limits=case.limits,
    )
    if case.name == "env_secret":
        result = _run_as_keyed_supervisor(sandbox, request, FAKE_KEY_PREFIX + scene.marker)
    else:
        result = sandbox.run(request)
    escaped = case.check(scene, result)
    if survivors := _survivors(scene.marker):
        escaped.append(f"processes outlived the run: {survivors}")
    after = _fingerprint(tmp_path, scene.scratch)
    if changed := sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k)):
        escaped.append(f"changed outside scratch: {changed}")
    return result, escaped


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=CASE_NAMES)
def test_hostile_code_is_contained(case: Case, sandbox: Sandbox, scene: Scene, tmp_path: Path) -> None:
    result, escaped = _escapes(case, sandbox, scene, tmp_path)
    if sandbox.name == "rlimits" and case.name in RLIMITS_CANNOT_STOP:
        assert escaped, f"rlimits contained {case.name}: remove it from RLIMITS_CANNOT_STOP"
        return
    assert escaped == [], f"{case.name} escaped the {sandbox.name} sandbox: {escaped}\n{result.output[:2000]}"
    assert result.stop_reason is case.stop, result


def test_the_rlimits_escape_list_names_real_cases() -> None:
    assert set(RLIMITS_CANNOT_STOP) <= set(CASE_NAMES)
    assert len(set(RLIMITS_CANNOT_STOP)) == len(RLIMITS_CANNOT_STOP)
    assert ("fork_bomb" in RLIMITS_CANNOT_STOP) == (os.geteuid() == 0)
