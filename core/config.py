"""Layered configuration, parsed once into frozen dataclasses.

Layers, later wins: built-in defaults < `~/.config/ratchet/config.toml` < `.agent/config.toml`
< `.agent/local.toml` < `RATCHET_<SECTION>__<KEY>` environment < command-line overrides.
An unknown section or key, or a value of the wrong type, is a `ConfigError` naming the file
(or variable) and the key. Secrets are never stored: a value like `"${OPENAI_API_KEY}"` stays a
reference and is resolved by `resolve_secret` at the moment of use.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from core.errors import RatchetError

__all__ = [
    "AgentConfig",
    "BudgetConfig",
    "Config",
    "ConfigError",
    "DaemonConfig",
    "EvalsConfig",
    "GatesConfig",
    "LLMConfig",
    "MemoryConfig",
    "ModelConfig",
    "ProposerConfig",
    "SandboxConfig",
    "load_config",
    "resolve_secret",
]

logger = logging.getLogger(__name__)


class ConfigError(RatchetError, ValueError):
    """A configuration value is wrong; the message names where and what to do."""


@dataclass(frozen=True)
class AgentConfig:
    branch: str = "ratchet/agent"
    #: allow ratchet to commit to the user's current branch (off: ratchet keeps its own)
    use_current_branch: bool = False


@dataclass(frozen=True)
class GatesConfig:
    ruff_timeout: float = 60.0
    mypy_timeout: float = 300.0
    pytest_timeout: float = 120.0
    evals_timeout: float = 300.0
    #: gate failures fed back to the proposer before giving up on a target
    max_retries: int = 2


@dataclass(frozen=True)
class EvalsConfig:
    #: suites the eval gate runs for every proposal (empty: every fast suite evals/ declares)
    every_proposal: tuple[str, ...] = ()
    #: suites run on promotion / on demand (`ratchet eval SUITE`)
    on_promotion: tuple[str, ...] = ("humaneval-dev",)
    #: repeats of a stochastic suite
    trials: int = 3


@dataclass(frozen=True)
class SandboxConfig:
    #: auto | docker | bwrap | rlimits
    backend: str = "auto"
    wall_seconds: float = 120.0
    cpu_seconds: int = 120
    memory_mb: int = 2048
    processes: int = 64
    output_kb: int = 1024
    file_size_mb: int = 64


@dataclass(frozen=True)
class ProposerConfig:
    #: embedded | llm | codemod | scripted
    kind: str = "embedded"
    #: proposals file or directory for the scripted proposer
    script: str = ""
    candidates: int = 1
    temperature: float = 0.7
    context_tokens: int = 2500


@dataclass(frozen=True)
class LLMConfig:
    #: litellm model string, e.g. "anthropic/claude-sonnet-4", "openai/gpt-4o", "ollama/qwen2.5"
    model: str = ""
    fallback: str = ""
    api_base: str = ""
    #: a reference such as "${OPENAI_API_KEY}"; never a literal key
    api_key: str = ""
    timeout: float = 120.0
    max_retries: int = 3
    max_tokens: int = 1024
    cache: bool = True
    replay: bool = False


@dataclass(frozen=True)
class ModelConfig:
    #: a GGUF file to serve instead of the bundled Qwen2.5-Coder-0.5B
    path: str = ""
    alias: str = "qwen2.5-coder-0.5b"
    n_threads: int = 1
    n_ctx: int = 4096


@dataclass(frozen=True)
class BudgetConfig:
    tokens: int = 0
    cost_usd: float = 0.0
    calls_per_hour: int = 0


@dataclass(frozen=True)
class DaemonConfig:
    max_cycles: int = 0
    hours: float = 0.0
    until_score: float = 0.0
    max_consecutive_failures: int = 10
    min_free_disk_mb: int = 200
    debounce_seconds: float = 0.5
    #: LLM tokens / USD one daemon run may spend (its ledger entries); [budget] caps the workspace
    budget_tokens: int = 0
    budget_cost_usd: float = 0.0


@dataclass(frozen=True)
class MemoryConfig:
    enabled: bool = True
    recall: int = 4


@dataclass(frozen=True)
class Config:
    agent: AgentConfig = field(default_factory=AgentConfig)
    gates: GatesConfig = field(default_factory=GatesConfig)
    evals: EvalsConfig = field(default_factory=EvalsConfig)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    proposer: ProposerConfig = field(default_factory=ProposerConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    memory: MemoryConfig = field(default_factory=MemoryConfig)


_SECTIONS: dict[str, type[Any]] = {f.name: typing.get_type_hints(Config)[f.name] for f in fields(Config)}
_SECRET_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def _coerce(source: str, key: str, tp: Any, value: Any) -> Any:
    where = f"{source}: {key}"
    if typing.get_origin(tp) is tuple:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} must be a list of strings, got {value!r}")
        return tuple(value)
    if tp is bool:
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                raise ConfigError(f"{where} must be a whole number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be a whole number, got {value!r}")
        if value < 0:
            raise ConfigError(f"{where} must not be negative, got {value}")
        return value
    if tp is float:
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise ConfigError(f"{where} must be a number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a number, got {value!r}")
        if value < 0:
            raise ConfigError(f"{where} must not be negative, got {value}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, got {value!r}")
        if key.endswith("api_key") and value and not _SECRET_REF.match(value):
            raise ConfigError(
                f"{where}: API keys are never stored in config; write a reference such as "
                '"${OPENAI_API_KEY}" and set that environment variable'
            )
        return value
    raise ConfigError(f"{where}: unsupported type {tp}")


_CHOICES = {
    "sandbox.backend": ("auto", "docker", "bwrap", "rlimits"),
    "proposer.kind": ("embedded", "llm", "codemod", "scripted"),
}


def _parse_layer(source: str, data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Validate one layer against the schema; returns {section: {key: typed value}}."""
    out: dict[str, dict[str, Any]] = {}
    for section, values in data.items():
        if section not in _SECTIONS:
            known = ", ".join(sorted(_SECTIONS))
            raise ConfigError(f"{source}: unknown section [{section}] (known: {known})")
        if not isinstance(values, Mapping):
            raise ConfigError(f"{source}: [{section}] must be a table")
        cls = _SECTIONS[section]
        hints = typing.get_type_hints(cls)
        for key, value in values.items():
            dotted = f"{section}.{key}"
            if key not in hints:
                known = ", ".join(sorted(hints))
                raise ConfigError(f"{source}: unknown key {dotted} (known in [{section}]: {known})")
            typed = _coerce(source, dotted, hints[key], value)
            choices = _CHOICES.get(dotted)
            if choices and typed not in choices:
                raise ConfigError(f"{source}: {dotted} must be one of {', '.join(choices)}, got {typed!r}")
            out.setdefault(section, {})[key] = typed
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the file or move it away") from None


def _env_layer(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    raw: dict[str, dict[str, Any]] = {}
    for name, value in environ.items():
        if not name.startswith("RATCHET_") or "__" not in name:
            continue
        section, _, key = name[len("RATCHET_") :].partition("__")
        raw.setdefault(section.lower(), {})[key.lower()] = value
    out: dict[str, dict[str, Any]] = {}
    for section, values in raw.items():
        for key, value in values.items():
            var = f"RATCHET_{section.upper()}__{key.upper()}"
            parsed = _parse_layer(f"environment variable {var}", {section: {key: value}})
            out.setdefault(section, {}).update(parsed[section])
    return out


def load_config(
    repo: Path | None,
    *,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    user_file: Path | None = None,
) -> Config:
    """Read every layer and build the frozen `Config`.

    `overrides` are command-line values as {"section.key": value}.
    """
    environ = os.environ if environ is None else environ
    if user_file is None:
        base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        user_file = Path(base) / "ratchet" / "config.toml"
    layers: list[dict[str, dict[str, Any]]] = []
    files = [user_file]
    if repo is not None:
        files += [repo / ".agent" / "config.toml", repo / ".agent" / "local.toml"]
    for path in files:
        if path.is_file():
            layers.append(_parse_layer(str(path), _read_toml(path)))
    layers.append(_env_layer(environ))
    if overrides:
        nested: dict[str, dict[str, Any]] = {}
        for dotted, value in overrides.items():
            section, _, key = dotted.partition(".")
            nested.setdefault(section, {})[key] = value
        layers.append(_parse_layer("command line", nested))
    config = Config()
    for layer in layers:
        for section, values in layer.items():
            config = replace(config, **{section: replace(getattr(config, section), **values)})
    return config


def resolve_secret(reference: str, environ: Mapping[str, str] | None = None) -> str:
    """The value behind a `${VAR}` reference; an empty reference gives an empty string."""
    if not reference:
        return ""
    match = _SECRET_REF.match(reference)
    if not match:
        raise ConfigError(f"{reference!r} is not a ${{VAR}} reference")
    environ = os.environ if environ is None else environ
    name = match.group(1)
    if name not in environ:
        raise ConfigError(f"the environment variable {name} is not set; export it to use this provider")
    return environ[name]
