"""`ratchet doctor` prints the sandbox part: backend in use, each backend's state, the limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli import main
from core.commands.sandbox_cmds import describe_sandbox
from core.config import SandboxConfig


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("RATCHET_SANDBOX__BACKEND", raising=False)


def test_doctor_reports_bwrap_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--repo", str(tmp_path), "doctor"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] in ("sandbox: bwrap (auto)", "sandbox: docker (auto)")
    assert any(line.split()[:2] == ["bwrap", "available:"] for line in out)
    assert any(line.split()[:2] == ["rlimits", "available:"] and "cannot stop" in line for line in out)
    assert out[-1].split()[0] == "limits" and "no network" in out[-1]


def test_doctor_fails_when_only_weak_isolation_is_configured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RATCHET_SANDBOX__BACKEND", "rlimits")
    code = main(["--repo", str(tmp_path), "doctor"])
    assert code == 1
    assert "WEAK ISOLATION" in capsys.readouterr().out.splitlines()[0]


def test_doctor_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--repo", str(tmp_path), "doctor", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["strong"] is True
    names = [b["name"] for b in data["sandbox"]["backends"]]
    assert names == ["docker", "bwrap", "rlimits"]


def test_describe_sandbox_flags_an_unavailable_forced_backend() -> None:
    lines = describe_sandbox(SandboxConfig(backend="docker", memory_mb=512))
    if "docker   available" in "\n".join(lines):
        assert lines[0] == "sandbox: docker (forced by sandbox.backend)"
    else:
        assert "UNAVAILABLE" in lines[0]
    assert "memory 512 MB" in lines[-1]
