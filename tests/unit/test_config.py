"""Layered configuration: order, validation errors naming file and key, secrets as references."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import Config, ConfigError, load_config, resolve_secret


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return tmp_path / "ws"


def test_defaults_without_files(repo: Path, tmp_path: Path) -> None:
    config = load_config(repo, environ={}, user_file=tmp_path / "none.toml")
    assert config == Config()
    assert config.agent.branch == "ratchet/agent"


def test_layers_later_wins(repo: Path, tmp_path: Path) -> None:
    user = write(tmp_path / "user.toml", "[gates]\nmax_retries = 5\nmypy_timeout = 10\n[llm]\nmodel = 'a'\n")
    write(repo / ".agent" / "config.toml", "[gates]\nmax_retries = 4\n[llm]\nmodel = 'b'\n")
    write(repo / ".agent" / "local.toml", "[llm]\nmodel = 'c'\n")
    env = {"RATCHET_LLM__TEMPERATURE_IGNORED": "x"} | {"RATCHET_GATES__MYPY_TIMEOUT": "7.5"}
    with pytest.raises(ConfigError, match="RATCHET_LLM__TEMPERATURE_IGNORED"):
        load_config(repo, environ=env, user_file=user)
    env = {"RATCHET_GATES__MYPY_TIMEOUT": "7.5", "RATCHET_LLM__MODEL": "d"}
    config = load_config(repo, environ=env, user_file=user)
    assert config.gates.max_retries == 4  # repo config over user
    assert config.gates.mypy_timeout == 7.5  # environment over user
    assert config.llm.model == "d"  # environment over local.toml
    config = load_config(
        repo, environ=env, user_file=user, overrides={"llm.model": "e", "gates.max_retries": 1}
    )
    assert config.llm.model == "e" and config.gates.max_retries == 1  # command line over everything


def test_unknown_key_names_file_and_key(repo: Path, tmp_path: Path) -> None:
    path = write(repo / ".agent" / "config.toml", "[gates]\nmax_retrys = 3\n")
    with pytest.raises(ConfigError) as err:
        load_config(repo, environ={}, user_file=tmp_path / "none.toml")
    assert str(path) in str(err.value) and "gates.max_retrys" in str(err.value)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[gates]\nmax_retries = 'three'\n", "gates.max_retries must be a whole number"),
        ("[gates]\nmax_retries = -1\n", "must not be negative"),
        ("[sandbox]\nbackend = 'chroot'\n", "sandbox.backend must be one of"),
        ("[nosuch]\nx = 1\n", "unknown section [nosuch]"),
        ("[agent]\nuse_current_branch = 'maybe'\n", "must be true or false"),
        ("[evals]\nevery_proposal = [1, 2]\n", "list of strings"),
        ("[llm]\napi_key = 'sk-live-123456789'\n", "API keys are never stored"),
        ("[gates\n", "not valid TOML"),
    ],
)
def test_bad_values_are_clear_errors(repo: Path, tmp_path: Path, text: str, needle: str) -> None:
    write(repo / ".agent" / "config.toml", text)
    with pytest.raises(ConfigError) as err:
        load_config(repo, environ={}, user_file=tmp_path / "none.toml")
    assert needle in str(err.value)
    assert ".agent/config.toml" in str(err.value)


def test_config_is_frozen(repo: Path, tmp_path: Path) -> None:
    config = load_config(repo, environ={}, user_file=tmp_path / "none.toml")
    with pytest.raises(AttributeError):
        config.agent.branch = "main"  # type: ignore[misc]


def test_secret_references_resolve_only_at_use(repo: Path, tmp_path: Path) -> None:
    write(repo / ".agent" / "config.toml", "[llm]\napi_key = '${MY_PROVIDER_KEY}'\n")
    config = load_config(repo, environ={}, user_file=tmp_path / "none.toml")
    assert config.llm.api_key == "${MY_PROVIDER_KEY}"
    assert resolve_secret(config.llm.api_key, {"MY_PROVIDER_KEY": "s3cret"}) == "s3cret"
    with pytest.raises(ConfigError, match="MY_PROVIDER_KEY is not set"):
        resolve_secret(config.llm.api_key, {})
