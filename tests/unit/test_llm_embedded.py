"""The embedded model's settings, server record and start-up failures (no model load needed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import Config, LLMConfig, ModelConfig
from core.llm import LLMUnavailable, WeightsError, open_gateway
from core.llm.embedded import (
    EmbeddedServer,
    ModelSettings,
    ServerRecord,
    ensure_weights,
    live_record,
    model_settings,
    read_record,
    state_path,
    stop_server,
)
from core.llm.status import model_status
from core.llm.testing import FakeChatServer
from core.llm.weights import QWEN_CODER_05B
from core.records import to_dict
from core.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace(tmp_path / "ws")
    workspace.ensure_state_dirs()
    return workspace


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _write(ws: Workspace, pid: int, port: int) -> None:
    record = ServerRecord(pid, port, alias="m", model_path="/m.gguf", started_at="2026-01-01T00:00:00+00:00")
    state_path(ws).write_text(json.dumps(to_dict(record)))


def test_settings_default_to_the_bundled_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RATCHET_MODEL_CACHE", str(tmp_path / "models"))
    bundled = model_settings(ModelConfig())
    assert bundled.bundled and bundled.path == tmp_path / "models" / QWEN_CODER_05B.filename
    assert (bundled.alias, bundled.n_threads, bundled.n_ctx) == ("qwen2.5-coder-0.5b", 1, 4096)
    custom = model_settings(ModelConfig(path=str(tmp_path / "other.gguf"), alias="other", n_threads=2))
    assert not custom.bundled and custom.path == tmp_path / "other.gguf" and custom.alias == "other"


def test_a_custom_model_must_be_a_gguf_file(tmp_path: Path) -> None:
    settings = ModelSettings(tmp_path / "x.gguf", "x", 1, 512, bundled=False)
    with pytest.raises(WeightsError, match="cannot be read"):
        ensure_weights(settings)
    settings.path.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(WeightsError, match="is not a GGUF file"):
        ensure_weights(settings)
    settings.path.write_bytes(b"GGUF\x03\x00\x00\x00")
    assert ensure_weights(settings) == settings.path


def test_a_live_record_needs_a_live_process_that_answers(ws: Workspace) -> None:
    with FakeChatServer() as fake:  # answers /health like llama.cpp's server
        _write(ws, pid=os.getpid(), port=fake.port)
        record = live_record(ws)
        assert record is not None and record.api_base == f"http://127.0.0.1:{fake.port}/v1"
    assert live_record(ws) is None  # the process lives but nothing answers: not usable, record kept
    assert read_record(ws) is not None


def test_a_stale_record_is_removed(ws: Workspace) -> None:
    _write(ws, pid=_dead_pid(), port=1)
    assert live_record(ws) is None
    assert not state_path(ws).exists()


def test_stop_without_a_server_and_with_a_stale_record(ws: Workspace) -> None:
    assert stop_server(ws) is None
    _write(ws, pid=_dead_pid(), port=1)
    assert stop_server(ws) is None
    assert not state_path(ws).exists()


def test_stop_refuses_to_signal_a_process_that_is_not_a_model_server(ws: Workspace) -> None:
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        _write(ws, pid=bystander.pid, port=1)
        assert stop_server(ws) is None
        assert bystander.poll() is None  # untouched
        assert not state_path(ws).exists()
    finally:
        bystander.kill()
        bystander.wait()


def test_a_server_that_cannot_load_its_model_is_a_clear_error(ws: Workspace, tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x00" * 64)
    server = EmbeddedServer(ws, ModelSettings(broken, "broken", 1, 512, bundled=False), start_timeout=60)
    with pytest.raises(
        LLMUnavailable, match=r"exited with status \d+ while starting; see .*model-server\.log"
    ):
        server.api_base()
    assert not server.started
    assert not state_path(ws).exists()
    assert "could not load" in (ws.agent_dir / "model-server.log").read_text()


def test_a_missing_model_file_surfaces_through_the_gateway(ws: Workspace, tmp_path: Path) -> None:
    gateway = open_gateway(ws, Config(model=ModelConfig(path=str(tmp_path / "absent.gguf"))))
    with pytest.raises(WeightsError, match=r"\[model\] path .*absent.gguf cannot be read"):
        gateway.complete([{"role": "user", "content": "hi"}], purpose="test")
    assert not ws.ledger_path.exists()  # no model, no call


def test_status_without_a_server(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATCHET_MODEL_CACHE", str(tmp_path / "empty-cache"))
    status = model_status(ws, Config())
    assert status.model == "embedded/qwen2.5-coder-0.5b" and status.uses_embedded
    assert status.bundled and not status.weights_present and not status.weights_verified
    assert status.parts_installed and not status.server_running and status.port == 0
    other = model_status(None, Config(llm=LLMConfig(model="anthropic/claude-sonnet-4")))
    assert other.model == "anthropic/claude-sonnet-4" and not other.uses_embedded
