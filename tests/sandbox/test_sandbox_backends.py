"""Backend choice, the bwrap command line in both modes, the Docker request translation, the
rlimits warning, and the measurement report — each against real parts (no engine for Docker)."""

from __future__ import annotations

import errno
import logging
import os
import resource
import struct
import sys
from pathlib import Path

import pytest
from docker.models.containers import _create_container_args

from core.config import SandboxConfig
from core.sandbox import (
    BACKENDS,
    BwrapSandbox,
    Limits,
    RlimitsSandbox,
    SandboxRequest,
    SandboxUnavailable,
    StopReason,
    available_backends,
    get_sandbox,
    limits_from_config,
)
from core.sandbox import rlimits as rlimits_module
from core.sandbox.bwrap import bwrap_argv, system_binds
from core.sandbox.docker_engine import DEFAULT_IMAGE, container_kwargs
from core.sandbox.measure import read_report
from core.sandbox.seccomp import CLONE_NEWUSER, no_userns_filter, syscall_table

PY = sys.executable


def test_limits_from_config_converts_units() -> None:
    config = SandboxConfig(
        wall_seconds=5.0, cpu_seconds=4, memory_mb=256, processes=8, output_kb=2, file_size_mb=3
    )
    assert limits_from_config(config) == Limits(
        wall_seconds=5.0,
        cpu_seconds=4,
        memory_bytes=256 << 20,
        processes=8,
        output_bytes=2048,
        file_size_bytes=3 << 20,
    )


def test_available_backends_end_with_rlimits_and_include_bwrap_here() -> None:
    found = available_backends()
    assert found[-1] == "rlimits"
    assert "bwrap" in found, "bubblewrap must work on this machine (CI installs it)"
    assert list(found) == [name for name in BACKENDS if name in found]


def test_auto_picks_the_strongest_available_backend() -> None:
    assert get_sandbox(SandboxConfig(backend="auto")).name == available_backends()[0]


def test_a_forced_backend_is_used() -> None:
    assert isinstance(get_sandbox(SandboxConfig(backend="bwrap")), BwrapSandbox)
    assert isinstance(get_sandbox(SandboxConfig(backend="rlimits")), RlimitsSandbox)


def test_forcing_docker_without_an_engine_says_what_to_do() -> None:
    if "docker" in available_backends():
        assert get_sandbox(SandboxConfig(backend="docker")).name == "docker"
        return
    with pytest.raises(SandboxUnavailable, match="no Docker engine answers"):
        get_sandbox(SandboxConfig(backend="docker"))


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(SandboxUnavailable, match="must be one of"):
        get_sandbox(SandboxConfig(backend="chroot"))


# --- bwrap --------------------------------------------------------------------------------------


def _argv(tmp_path: Path, *, setpriv: str | None) -> list[str]:
    request = SandboxRequest(
        argv=("python", "-c", "pass"),
        scratch=tmp_path / "deep" / "scratch",
        read_only=(Path("/srv/ws"), Path("/usr/share/x")),
        cwd=Path("/srv/ws"),
        limits=Limits(cpu_seconds=7, processes=9),
    )
    return bwrap_argv(
        request,
        env={"HOME": "/h"},
        bwrap="bwrap",
        python="/py",
        report_fd=5,
        setpriv=setpriv,
        system=(("ro-bind", "/usr", "/usr"), ("symlink", "usr/lib", "/lib")),
    )


def test_bwrap_user_namespace_mode_flags(tmp_path: Path) -> None:
    argv = _argv(tmp_path, setpriv=None)
    joined = " ".join(argv)
    for flag in ("--unshare-all", "--uid 65534", "--gid 65534", "--cap-drop ALL", "--die-with-parent"):
        assert flag in joined
    for flag in ("--new-session", "--clearenv", "--proc /proc", "--dev /dev", "--remount-ro /"):
        assert flag in joined
    size = str(Limits().memory_bytes // 8)
    assert f"--size {size} --perms 1777 --tmpfs /tmp" in joined
    assert f"--size {size} --perms 1777 --tmpfs /dev/shm" in joined
    assert "--share-net" not in argv and "setpriv" not in joined
    assert "--ro-bind /srv/ws /srv/ws" in joined and "--chdir /srv/ws" in joined
    assert "/usr/share/x" not in joined, "a path under a system bind is visible already"
    assert "--symlink usr/lib /lib" in joined


def test_bwrap_privileged_mode_drops_to_uid_65534_with_setpriv(tmp_path: Path) -> None:
    argv = _argv(tmp_path, setpriv="/usr/bin/setpriv")
    assert "--unshare-all" not in argv and "--uid" not in argv
    start = argv.index("/usr/bin/setpriv")
    assert argv[start : start + 7] == [
        "/usr/bin/setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--bounding-set=-all",
        "--inh-caps=-all",
        "--no-new-privs",
    ]
    helper = argv.index("/py")
    assert start < helper, "the rlimits are set after the uid drop"
    assert argv[helper + 5] == "5", "the report fd"
    limits = argv[helper + 6 : argv.index("--", helper)]
    assert f"{resource.RLIMIT_CPU}:7:8" in limits and f"{resource.RLIMIT_NPROC}:9:9" in limits
    memory = Limits().memory_bytes
    assert f"{resource.RLIMIT_DATA}:{memory}:{memory}" in limits
    assert f"{resource.RLIMIT_AS}:{2 * memory + (1 << 30)}:{2 * memory + (1 << 30)}" in limits
    assert argv[-3:] == ["python", "-c", "pass"]


def test_bwrap_makes_parent_dirs_enterable_and_binds_scratch_after_tmp(tmp_path: Path) -> None:
    argv = _argv(tmp_path, setpriv=None)
    scratch = str(tmp_path / "deep" / "scratch")
    bind = argv.index("--bind")
    assert argv[bind : bind + 3] == ["--bind", scratch, scratch]
    assert argv.index("--tmpfs") < bind
    for parent in (tmp_path / "deep", tmp_path):
        at = argv.index(str(parent))
        assert argv[at - 3 : at] == ["--perms", "0755", "--dir"]
        assert at < bind


def test_system_binds_recreate_usr_merge_links(tmp_path: Path) -> None:
    (tmp_path / "usr" / "lib").mkdir(parents=True)
    (tmp_path / "lib").symlink_to("usr/lib")
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text("")
    (tmp_path / "etc" / "shadow").write_text("")
    binds = system_binds(tmp_path)
    assert ("symlink", "usr/lib", "/lib") in binds
    assert ("ro-bind", str(tmp_path / "usr"), "/usr") in binds
    assert ("ro-bind", str(tmp_path / "etc" / "passwd"), "/etc/passwd") in binds
    assert not any("shadow" in dest for _, _, dest in binds)


def test_bwrap_user_namespace_mode_runs_pytest_in_a_read_only_worktree(worktree: Path, scratch: Path) -> None:
    sandbox = BwrapSandbox(privileged=False)
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
    probe = "import os, socket; print(os.getuid(), [n for _, n in socket.if_nameindex()]); open('x', 'w')"
    result = sandbox.run(
        SandboxRequest(argv=(PY, "-c", probe), scratch=scratch, cwd=worktree, read_only=(worktree,))
    )
    assert result.stdout.split("\n")[0] == "65534 ['lo']"
    assert "Read-only file system" in result.stderr
    assert not (worktree / "x").exists()


# --- docker -------------------------------------------------------------------------------------


def test_docker_request_translation(tmp_path: Path) -> None:
    request = SandboxRequest(
        argv=("python", "main.py"),
        scratch=tmp_path / "scratch",
        read_only=(Path("/ws"),),
        cwd=Path("/ws"),
        limits=Limits(memory_bytes=256 << 20, processes=16, cpu_seconds=5),
    )
    kwargs = container_kwargs(request, env={"HOME": "/h"}, extra_read_only=(Path("/venv"),))
    assert kwargs["image"] == DEFAULT_IMAGE
    assert kwargs["network_disabled"] is True and kwargs["network_mode"] == "none"
    assert (kwargs["mem_limit"], kwargs["memswap_limit"], kwargs["pids_limit"]) == (256 << 20, 256 << 20, 16)
    assert kwargs["nano_cpus"] == 1_000_000_000
    assert kwargs["read_only"] is True and "/tmp" in kwargs["tmpfs"]
    assert kwargs["user"] == "65534:65534" and kwargs["cap_drop"] == ["ALL"]
    assert kwargs["working_dir"] == "/ws" and kwargs["command"] == ["python", "main.py"]
    assert kwargs["volumes"] == {
        "/venv": {"bind": "/venv", "mode": "ro"},
        "/ws": {"bind": "/ws", "mode": "ro"},
        str(tmp_path / "scratch"): {"bind": str(tmp_path / "scratch"), "mode": "rw"},
    }
    assert {"name": "cpu", "soft": 5, "hard": 6} in kwargs["ulimits"]
    # the docker SDK accepts every argument (this builds the engine's request without an engine)
    sdk = _create_container_args({**{k: v for k, v in kwargs.items() if k != "detach"}, "version": "1.45"})
    host = sdk["host_config"]
    assert (host["ReadonlyRootfs"], host["NetworkMode"], host["PidsLimit"]) == (True, "none", 16)
    assert sdk["network_disabled"] is True and sdk["user"] == "65534:65534"


def test_docker_request_with_stdin_and_an_image(tmp_path: Path) -> None:
    request = SandboxRequest(
        argv=("node", "main.js"), scratch=tmp_path, stdin=b"input", image="node:20-slim", network=True
    )
    kwargs = container_kwargs(request, env={})
    assert kwargs["image"] == "node:20-slim"
    assert kwargs["network_disabled"] is False
    assert kwargs["command"] == [
        "/bin/sh",
        "-c",
        'exec "$@" < "$0"',
        str(tmp_path / ".stdin"),
        "node",
        "main.js",
    ]


# --- rlimits ------------------------------------------------------------------------------------


def test_rlimits_warns_loudly_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(rlimits_module, "_warned", False)
    with caplog.at_level(logging.WARNING), pytest.warns(RuntimeWarning, match="rlimits-only sandbox"):
        RlimitsSandbox()
        RlimitsSandbox()
    assert capsys.readouterr().err.count("rlimits-only sandbox") == 1
    assert [r.getMessage() for r in caplog.records].count(rlimits_module.WEAK_ISOLATION_WARNING) == 1


def test_user_process_count_counts_this_process() -> None:
    assert rlimits_module.user_process_count(os.getuid()) >= 1
    assert rlimits_module.user_process_count(2**31 - 7) == 0


# --- measurement report -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (b"0 0.5 2048\n", (0, 0.5, 2048 * 1024)),
        (b"9 1.25 10\n", (-9, 1.25, 10 * 1024)),
        (b"768 0.0 1\n", (3, 0.0, 1024)),
        (b"", None),
        (b"garbage", None),
    ],
)
def test_read_report(written: bytes, expected: tuple[int, float, int] | None) -> None:
    r, w = os.pipe()
    os.write(w, written)
    os.close(w)
    report = read_report(r)
    got = None if report is None else (report.exit_code, report.cpu_seconds, report.peak_memory_bytes)
    assert got == expected


def test_a_missing_program_is_reported_not_raised(scratch: Path) -> None:
    result = BwrapSandbox().run(SandboxRequest(argv=("/no/such/program",), scratch=scratch))
    assert (result.exit_code, result.stop_reason) == (127, StopReason.EXIT)
    assert "cannot run /no/such/program" in result.stderr


# --- seccomp ------------------------------------------------------------------------------------


def test_the_seccomp_filter_is_well_formed() -> None:
    table = syscall_table("x86_64")
    assert table is not None and syscall_table("sparc") is None
    program = no_userns_filter(table)
    assert len(program) == 13 * 8
    code, jt, jf, k = struct.unpack_from("<HBBI", program, 9 * 8)
    assert (code, k) == (0x45, CLONE_NEWUSER), "instruction 9 tests the CLONE_NEWUSER flag"
    returns = [struct.unpack_from("<HBBI", program, i * 8)[3] for i in (7, 10, 11, 12)]
    assert returns == [0x7FFF0000, 0x7FFF0000, 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS]
    for i in range(13):  # every jump lands inside the program
        code, jt, jf, _ = struct.unpack_from("<HBBI", program, i * 8)
        if code in (0x15, 0x35, 0x45):
            assert i + 1 + max(jt, jf) < 13
