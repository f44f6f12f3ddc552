"""The gateway against a real loopback server speaking the OpenAI chat API, and litellm's mock_response."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import BudgetConfig, Config, LLMConfig
from core.llm import (
    BudgetExceeded,
    LLMGateway,
    LLMUnavailable,
    MissingCredentials,
    ReplayMiss,
    open_gateway,
)
from core.llm.testing import FakeChatServer
from core.records import Usage
from core.workspace import Workspace

PROJECT = Path(__file__).resolve().parents[2]
ASK = [{"role": "system", "content": "You write Python."}, {"role": "user", "content": "reverse a string"}]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace(tmp_path / "ws")
    workspace.ensure_state_dirs()
    return workspace


@pytest.fixture
def server() -> Iterator[FakeChatServer]:
    with FakeChatServer(replies=["def rev(s): return s[::-1]", "second sample", "third sample"]) as fake:
        yield fake


def _config(model: str = "openai/fake-coder", **llm: object) -> Config:
    budget = llm.pop("budget", BudgetConfig())
    return Config(llm=LLMConfig(model=model, **llm), budget=budget)  # type: ignore[arg-type]


def _gateway(ws: Workspace, config: Config, *, backoff: float = 0.0) -> LLMGateway:
    gateway = open_gateway(ws, config)
    gateway.backoff = backoff
    return gateway


def _ledger(ws: Workspace) -> list[dict[str, object]]:
    return [json.loads(line) for line in ws.ledger_path.read_text().splitlines()]


def test_importing_the_package_does_not_import_litellm() -> None:
    code = (
        "import sys, core.llm, core.commands.model_cmds\n"
        "print('litellm' in sys.modules, 'xllamacpp' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]


def test_completion_through_a_real_openai_compatible_server(ws: Workspace, server: FakeChatServer) -> None:
    gateway = _gateway(ws, _config(api_base=server.api_base))
    reply = gateway.complete(ASK, purpose="propose", temperature=0.7, max_tokens=77, seed=3)
    assert reply.text == "def rev(s): return s[::-1]"
    assert reply.model == gateway.model_name == "openai/fake-coder"
    assert not reply.cached and reply.seconds > 0
    assert reply.usage == Usage(calls=1, tokens_in=6, tokens_out=4, cost_usd=0.0)
    [seen] = server.chat_requests
    assert seen.body["messages"] == ASK
    assert (seen.body["temperature"], seen.body["max_tokens"], seen.body["seed"]) == (0.7, 77, 3)
    [entry] = _ledger(ws)
    assert entry["model"] == "openai/fake-coder" and entry["purpose"] == "propose"
    assert (entry["tokens_in"], entry["tokens_out"], entry["cached"], entry["error"]) == (6, 4, False, "")
    assert entry["cost_usd"] is None  # an unknown model's price is unknown, not zero
    assert gateway.spent() == Usage(calls=1, tokens_in=6, tokens_out=4)


def test_transient_failures_are_retried_with_backoff(ws: Workspace) -> None:
    with FakeChatServer(replies=["finally"], fail_first=2, fail_status=503) as fake:
        gateway = _gateway(ws, _config(api_base=fake.api_base, max_retries=3))
        reply = gateway.complete(ASK, purpose="retry")
        assert reply.text == "finally"
        assert len(fake.chat_requests) == 3
    errors = [e["error"] for e in _ledger(ws)]
    assert errors == ["ServiceUnavailableError", "ServiceUnavailableError", ""]


def test_retries_exhausted_falls_back_to_the_fallback_model(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        FakeChatServer(fail_first=99, fail_status=500) as down,
        FakeChatServer(replies=["from fallback"]) as up,
    ):
        monkeypatch.setenv("OPENAI_API_BASE", up.api_base)  # the fallback uses the provider's own settings
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-fallback-key-000")
        config = _config(api_base=down.api_base, max_retries=1, fallback="openai/backup-model")
        reply = _gateway(ws, config).complete(ASK, purpose="fallback")
        assert (reply.text, reply.model) == ("from fallback", "openai/backup-model")
        assert len(down.chat_requests) == 2
    assert [e["model"] for e in _ledger(ws)] == [
        "openai/fake-coder",
        "openai/fake-coder",
        "openai/backup-model",
    ]


def test_an_unreachable_provider_is_a_clear_error(ws: Workspace, server: FakeChatServer) -> None:
    api_base = server.api_base
    server.stop()
    gateway = _gateway(ws, _config(api_base=api_base, max_retries=1))
    with pytest.raises(
        LLMUnavailable, match=rf"cannot get a reply from openai/fake-coder at {api_base} after 2 attempt\(s\)"
    ):
        gateway.complete(ASK, purpose="down")


def test_a_missing_key_names_the_variable(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RATCHET_TEST_UNSET_KEY", raising=False)
    gateway = _gateway(ws, _config("anthropic/claude-sonnet-4", api_key="${RATCHET_TEST_UNSET_KEY}"))
    with pytest.raises(
        MissingCredentials, match="environment variable RATCHET_TEST_UNSET_KEY, which is not set"
    ):
        gateway.complete(ASK, purpose="key")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    gateway = _gateway(ws, _config("anthropic/claude-sonnet-4"))
    with pytest.raises(MissingCredentials, match="needs ANTHROPIC_API_KEY in the environment"):
        gateway.complete(ASK, purpose="key")
    assert not ws.ledger_path.exists()  # nothing was sent, so nothing was a call


def test_refused_credentials_name_the_variable(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATCHET_TEST_KEY", "sk-test-wrong-key-123456")
    with FakeChatServer(require_key="sk-test-right-key") as fake:
        gateway = _gateway(ws, _config(api_base=fake.api_base, api_key="${RATCHET_TEST_KEY}"))
        with pytest.raises(LLMUnavailable, match="refused the credentials from RATCHET_TEST_KEY") as info:
            gateway.complete(ASK, purpose="auth")
    assert "sk-test-wrong-key-123456" not in str(info.value)


def test_token_budget_stops_calls_before_they_are_made(ws: Workspace, server: FakeChatServer) -> None:
    gateway = _gateway(ws, _config(api_base=server.api_base, budget=BudgetConfig(tokens=8)))
    gateway.complete(ASK, purpose="one")  # 10 tokens: the budget is checked before, so this one runs
    with pytest.raises(BudgetExceeded, match=r"token budget used up: 10 of 8 tokens.*\[budget\] tokens"):
        gateway.complete([{"role": "user", "content": "another"}], purpose="two")
    assert len(server.chat_requests) == 1


def test_calls_per_hour_budget_counts_every_process(ws: Workspace, server: FakeChatServer) -> None:
    config = _config(api_base=server.api_base, budget=BudgetConfig(calls_per_hour=2), cache=False)
    _gateway(ws, config).complete(ASK, purpose="a")
    other_process = _gateway(ws, config)
    other_process.complete(ASK, purpose="b")
    with pytest.raises(BudgetExceeded, match="2 calls in the last hour, limit 2 per hour"):
        _gateway(ws, config).complete(ASK, purpose="c")


def test_cost_budget_with_litellm_mock_response(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-mock-000000")
    config = _config("openai/gpt-4o-mini", budget=BudgetConfig(cost_usd=0.00002))
    gateway = open_gateway(ws, config, litellm_params={"mock_response": "mocked reply"})
    reply = gateway.complete(ASK, purpose="mock")
    assert reply.text == "mocked reply"
    assert reply.usage.cost_usd > 0  # a known model: litellm prices it
    [entry] = _ledger(ws)
    assert entry["cost_usd"] == pytest.approx(reply.usage.cost_usd)
    gateway.complete(ASK, purpose="mock")  # still under budget
    with pytest.raises(BudgetExceeded, match=r"cost budget used up.*\[budget\] cost_usd"):
        gateway.complete(ASK, purpose="mock")


def test_identical_requests_are_separate_samples(ws: Workspace, server: FakeChatServer) -> None:
    gateway = _gateway(ws, _config(api_base=server.api_base))
    texts = [gateway.complete(ASK, purpose="sample", temperature=0.7).text for _ in range(3)]
    assert texts == ["def rev(s): return s[::-1]", "second sample", "third sample"]


def test_replay_gives_back_the_recorded_run_byte_for_byte(ws: Workspace, server: FakeChatServer) -> None:
    asks = [ASK, ASK, [{"role": "user", "content": "naïve café ✓"}], ASK]
    recorder = _gateway(ws, _config(api_base=server.api_base))
    recorded = [recorder.complete(m, purpose="run", temperature=0.7) for m in asks]
    assert len(server.chat_requests) == 4
    server.stop()  # the provider is gone: replay must not need it

    replayer = _gateway(ws, _config(api_base=server.api_base, replay=True))
    replayed = [replayer.complete(m, purpose="run", temperature=0.7) for m in asks]
    assert [r.text.encode() for r in replayed] == [r.text.encode() for r in recorded]
    assert [r.usage for r in replayed] == [r.usage for r in recorded]
    assert all(r.cached for r in replayed)
    assert replayer.spent() == Usage()
    with pytest.raises(ReplayMiss, match=r"no recorded reply.*turn replay off \(\[llm\] replay = false\)"):
        replayer.complete([{"role": "user", "content": "never asked"}], purpose="run")
    cached_entries = [e for e in _ledger(ws) if e["cached"]]
    assert len(cached_entries) == 4 and all(e["tokens_in"] == 0 for e in cached_entries)


def test_cache_off_always_asks(ws: Workspace, server: FakeChatServer) -> None:
    for _ in range(2):
        _gateway(ws, _config(api_base=server.api_base, cache=False)).complete(ASK, purpose="x")
    assert len(server.chat_requests) == 2
    assert not (ws.cache_dir / "llm").exists()


def test_a_second_session_is_served_from_the_cache(ws: Workspace, server: FakeChatServer) -> None:
    first = _gateway(ws, _config(api_base=server.api_base)).complete(ASK, purpose="x")
    again = _gateway(ws, _config(api_base=server.api_base)).complete(ASK, purpose="x")
    assert again.cached and again.text == first.text
    assert len(server.chat_requests) == 1


def test_routes_for_the_embedded_model(ws: Workspace) -> None:
    gateway = open_gateway(ws, Config())
    assert gateway.model_name == "embedded/qwen2.5-coder-0.5b"
    assert gateway.routes[0].model == "openai/qwen2.5-coder-0.5b" and gateway.routes[0].local
    with_fallback = open_gateway(ws, _config("anthropic/claude-sonnet-4", fallback="embedded"))
    assert [r.name for r in with_fallback.routes] == [
        "anthropic/claude-sonnet-4",
        "embedded/qwen2.5-coder-0.5b",
    ]
    assert with_fallback.server is not None and not with_fallback.server.started
    gateway.close()  # nothing was started: closing is a no-op
    assert not (ws.agent_dir / "model.json").exists()


def test_a_planted_key_never_reaches_disk_or_logs(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    planted = "sk-test-PLANTED-4f9c2e7a1b3d5f60"
    monkeypatch.setenv("RATCHET_PLANTED_KEY", planted)
    caplog.set_level(logging.DEBUG)
    with FakeChatServer(replies=["ok"], require_key=planted) as good:
        gateway = _gateway(ws, _config(api_base=good.api_base, api_key="${RATCHET_PLANTED_KEY}"))
        assert gateway.complete(ASK, purpose="secret").text == "ok"
        assert good.chat_requests[0].authorization == f"Bearer {planted}"  # it was really used
    with FakeChatServer(require_key="sk-test-something-else") as refusing:
        gateway = _gateway(ws, _config(api_base=refusing.api_base, api_key="${RATCHET_PLANTED_KEY}"))
        with pytest.raises(LLMUnavailable) as info:
            gateway.complete([{"role": "user", "content": "again"}], purpose="secret")
    with FakeChatServer(fail_first=9) as failing:
        gateway = _gateway(
            ws, _config(api_base=failing.api_base, api_key="${RATCHET_PLANTED_KEY}", max_retries=1)
        )
        with pytest.raises(LLMUnavailable) as info2:
            gateway.complete([{"role": "user", "content": "third"}], purpose="secret")
    assert planted not in str(info.value) and planted not in str(info2.value)
    files = [p for p in ws.agent_dir.rglob("*") if p.is_file()]
    assert ws.ledger_path in files and any(p.suffix == ".json" for p in (ws.cache_dir / "llm").rglob("*"))
    for path in files:
        assert planted.encode() not in path.read_bytes(), f"the key leaked into {path}"
    for record in caplog.records:
        assert planted not in record.getMessage(), f"the key leaked into a log record of {record.name}"
    assert os.environ["RATCHET_PLANTED_KEY"] == planted


def test_one_gateway_shared_by_threads(ws: Workspace, server: FakeChatServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    gateway = _gateway(ws, _config(api_base=server.api_base, budget=BudgetConfig(calls_per_hour=100)))
    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(lambda i: gateway.complete(ASK, purpose=f"t{i % 4}"), range(12)))
    assert len(server.chat_requests) == 12  # twelve identical requests: twelve samples, none cached
    assert gateway.spent().calls == 12 == len(_ledger(ws))
    assert gateway.ledger.totals().calls == 12
    assert {r.text for r in replies} == {"def rev(s): return s[::-1]", "second sample", "third sample"}
