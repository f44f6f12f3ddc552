"""`ratchet model ...` and the real embedded model, end to end on a workspace made by `ratchet init`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import Config, LLMConfig
from core.llm import open_gateway
from core.llm.embedded import read_record, state_path
from core.llm.weights import QWEN_CODER_05B
from core.workspace import Workspace

RATCHET = [sys.executable, "-m", "core.cli"]
PROJECT = Path(__file__).resolve().parents[2]
ASK = [{"role": "user", "content": "Complete: def add(a, b):\n    return"}]


def _ratchet(
    ws: Workspace, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*RATCHET, "--repo", str(ws.root), *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def stop_servers(mini: Workspace) -> Iterator[Workspace]:
    """The workspace; any model server a test leaves behind is stopped."""
    yield mini
    subprocess.run([*RATCHET, "--repo", str(mini.root), "model", "stop"], cwd=PROJECT, capture_output=True)


def test_status_reports_missing_weights_and_no_server(mini: Workspace, tmp_path: Path) -> None:
    out = _ratchet(mini, "model", "status", "--json", env={"RATCHET_MODEL_CACHE": str(tmp_path / "cache")})
    assert out.returncode == 0, out.stderr
    status = json.loads(out.stdout)
    assert status["model"] == "embedded/qwen2.5-coder-0.5b"
    assert status["weights_path"] == str(tmp_path / "cache" / QWEN_CODER_05B.filename)
    assert (status["weights_present"], status["weights_verified"], status["server_running"]) == (
        False,
        False,
        False,
    )
    human = _ratchet(mini, "model", "status", env={"RATCHET_MODEL_CACHE": str(tmp_path / "cache")})
    assert "missing" in human.stdout and "ratchet model prepare" in human.stdout


def test_stop_without_a_server_says_so(mini: Workspace) -> None:
    out = _ratchet(mini, "model", "stop")
    assert out.returncode == 0 and "no model server is running" in out.stdout


@pytest.mark.slow
def test_prepare_assembles_verifies_and_is_then_instant(mini: Workspace, tmp_path: Path) -> None:
    env = {"RATCHET_MODEL_CACHE": str(tmp_path / "cache")}
    first = _ratchet(mini, "model", "prepare", "--json", env=env)
    assert first.returncode == 0, first.stderr
    path = Path(json.loads(first.stdout)["path"])
    assert path.stat().st_size == QWEN_CODER_05B.size
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name, path.name + ".verified"]
    started = time.monotonic()
    again = _ratchet(mini, "model", "prepare", env=env)
    assert again.returncode == 0 and "verified" in again.stdout
    assert time.monotonic() - started < 5  # size + stamp, no re-hash of 491 MB
    status = json.loads(_ratchet(mini, "model", "status", "--json", env=env).stdout)
    assert status["weights_verified"] is True


@pytest.mark.slow
@pytest.mark.model
def test_the_real_embedded_model_answers_through_the_gateway(stop_servers: Workspace) -> None:
    ws = stop_servers
    assert _ratchet(ws, "model", "prepare").returncode == 0
    first = open_gateway(ws, Config())
    reply = first.complete(ASK, purpose="e2e", temperature=0.0, max_tokens=12)
    assert reply.text.strip() and reply.model == "embedded/qwen2.5-coder-0.5b" and not reply.cached
    assert reply.usage.tokens_out > 0 and reply.usage.cost_usd == 0.0
    record = read_record(ws)
    assert record is not None and record.owner_pid == os.getpid() and first.server and first.server.started

    second = open_gateway(ws, Config(llm=LLMConfig(cache=False)))
    other = second.complete(ASK, purpose="e2e", temperature=0.0, max_tokens=12)
    assert other.text.strip() and second.server is not None and not second.server.started  # reused
    second.close()
    assert read_record(ws) == record  # closing a reusing gateway leaves the server up

    first.close()
    assert _gone(record.pid, within=20)
    assert not state_path(ws).exists()


@pytest.mark.slow
@pytest.mark.model
def test_serve_in_the_foreground_then_stop(stop_servers: Workspace) -> None:
    ws = stop_servers
    assert _ratchet(ws, "model", "prepare").returncode == 0
    serve = subprocess.Popen(
        [*RATCHET, "--repo", str(ws.root), "model", "serve"],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert serve.stdout is not None
        lines = [serve.stdout.readline(), serve.stdout.readline()]
        assert lines[1].startswith("serving qwen2.5-coder-0.5b at http://127.0.0.1:"), lines
        status = json.loads(_ratchet(ws, "model", "status", "--json").stdout)
        assert status["server_running"] and status["pid"] == serve.pid and status["owner_pid"] == 0
        assert lines[1].split()[3] == status["api_base"]

        gateway = open_gateway(ws, Config(llm=LLMConfig(cache=False)))
        assert gateway.complete(ASK, purpose="e2e", max_tokens=8).text.strip()
        assert gateway.server is not None and not gateway.server.started

        busy = _ratchet(ws, "model", "serve")
        assert busy.returncode == 2 and "already runs" in busy.stderr

        stopped = _ratchet(ws, "model", "stop")
        assert f"pid {serve.pid}" in stopped.stdout
        assert serve.wait(timeout=20) == 0
        assert "model server stopped" in serve.stdout.read()
        assert not state_path(ws).exists()
    finally:
        if serve.poll() is None:
            serve.kill()


@pytest.mark.slow
@pytest.mark.model
def test_a_server_whose_owner_dies_stops_by_itself(stop_servers: Workspace) -> None:
    ws = stop_servers
    assert _ratchet(ws, "model", "prepare").returncode == 0
    owner_code = (
        "import sys, time\n"
        "from core.config import Config\n"
        "from core.llm.embedded import EmbeddedServer, model_settings\n"
        "from core.workspace import Workspace\n"
        "server = EmbeddedServer(Workspace.at(sys.argv[1]), model_settings(Config().model))\n"
        "print(server.api_base(), flush=True)\n"
        "time.sleep(300)\n"
    )
    owner = subprocess.Popen(
        [sys.executable, "-c", owner_code, str(ws.root)], cwd=PROJECT, stdout=subprocess.PIPE, text=True
    )
    assert owner.stdout is not None
    assert owner.stdout.readline().startswith("http://127.0.0.1:")
    record = read_record(ws)
    assert record is not None and record.owner_pid == owner.pid
    os.kill(owner.pid, signal.SIGKILL)  # no close(), no atexit
    owner.wait()
    assert _gone(record.pid, within=20)
    assert not state_path(ws).exists()


@pytest.mark.slow
@pytest.mark.model
def test_a_crashed_server_is_restarted_on_the_next_call(stop_servers: Workspace) -> None:
    ws = stop_servers
    assert _ratchet(ws, "model", "prepare").returncode == 0
    with open_gateway(ws, Config(llm=LLMConfig(cache=False, max_retries=1))) as gateway:
        assert gateway.complete(ASK, purpose="e2e", max_tokens=4).text
        crashed = read_record(ws)
        assert crashed is not None
        os.kill(crashed.pid, signal.SIGKILL)
        assert gateway.complete(ASK, purpose="e2e", max_tokens=4).text
        restarted = read_record(ws)
        assert restarted is not None and restarted.pid != crashed.pid
    assert _gone(restarted.pid, within=20)
