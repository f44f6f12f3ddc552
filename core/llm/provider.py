"""One call to one provider through litellm, and what its failures mean.

litellm is imported here, lazily, on the first call (it takes seconds to import); nothing else in
ratchet imports it. Failures come back as `TransientFailure` (worth retrying: connection refused,
timeout, 429, 5xx), `LLMUnavailable` (credentials missing or refused, unknown model) or
`LLMRequestFailed` (the provider rejected this request). Every message is scrubbed of secrets.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, NoReturn

from core.config import ConfigError, resolve_secret
from core.llm.errors import LLMRequestFailed, LLMUnavailable
from core.secrets import SECRET_NAME, scrub

__all__ = [
    "Completion",
    "MissingCredentials",
    "Route",
    "TransientFailure",
    "call_provider",
    "import_litellm",
]

logger = logging.getLogger(__name__)

#: the key sent to servers that need none (the embedded model, keyless OpenAI-compatible servers)
LOCAL_KEY = "sk-ratchet-local-no-key"
_VAR = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


@dataclass(frozen=True)
class Route:
    """One way to reach a model.

    `name` is what the ledger, the cache and replies call it (`anthropic/claude-sonnet-4`,
    `embedded/qwen2.5-coder-0.5b`); `model` is the litellm model string. `key_ref` is a `${VAR}`
    reference resolved at call time. A `local` route is the embedded model: its `api_base` comes
    from the running server and it needs no key and costs nothing.
    """

    name: str
    model: str
    api_base: str = ""
    key_ref: str = ""
    local: bool = False


@dataclass(frozen=True)
class Completion:
    text: str
    tokens_in: int
    tokens_out: int
    cost_usd: float | None


class TransientFailure(Exception):
    """A failure worth retrying (internal to the gateway; never reaches a user as such)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        #: the litellm exception class name (`Timeout`, `RateLimitError`, ...)
        self.kind = kind


class MissingCredentials(LLMUnavailable):
    """No key for the provider in the environment; found before any request was sent."""


def import_litellm() -> ModuleType:
    """litellm, imported on first use with the offline cost map and without its banners."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    module: ModuleType = litellm
    return module


def _provider_of(litellm: ModuleType, model: str) -> str:
    try:
        _, provider, _, _ = litellm.get_llm_provider(model=model)
    except litellm.exceptions.BadRequestError:
        raise LLMUnavailable(
            f"litellm does not know the provider of model {model!r}; write it as provider/model, e.g. "
            f"anthropic/claude-sonnet-4, openai/gpt-4o, ollama/qwen2.5 (set [llm] model)"
        ) from None
    return str(provider)


def _key_var(litellm: ModuleType, route: Route) -> str:
    """The environment variable the route's key comes from (for messages)."""
    match = _VAR.match(route.key_ref)
    if match:
        return match.group(1)
    return f"{_provider_of(litellm, route.model).upper()}_API_KEY"


def _api_key(litellm: ModuleType, route: Route, api_base: str) -> str | None:
    """The key to send, or None to let litellm read the provider's usual variable itself."""
    if route.local:
        return LOCAL_KEY
    if route.key_ref:
        try:
            return resolve_secret(route.key_ref)
        except ConfigError:
            var = _key_var(litellm, route)
            raise MissingCredentials(
                f"{route.name} needs an API key in the environment variable {var}, which is not set; "
                f"export {var}=... (keys are read from the environment only, never from files)"
            ) from None
    _provider_of(litellm, route.model)
    env = litellm.validate_environment(model=route.model, api_base=api_base or None)
    missing = [k for k in env.get("missing_keys", []) if SECRET_NAME.search(k)]
    if not missing:
        return None
    if api_base:
        return LOCAL_KEY  # an OpenAI-compatible server of the user's own: usually keyless
    names = " and ".join(missing)
    raise MissingCredentials(
        f"{route.name} needs {names} in the environment, which is not set; export it, or point "
        f'[llm] api_key at another variable (api_key = "${{MY_KEY}}")'
    )


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def call_provider(
    route: Route,
    messages: Sequence[Mapping[str, str]],
    params: Mapping[str, Any],
    *,
    api_base: str,
    timeout: float,
    extra: Mapping[str, Any] | None = None,
) -> Completion:
    """One attempt, no retries (the gateway retries): the reply's text, token counts and cost."""
    litellm = import_litellm()
    key = _api_key(litellm, route, api_base)
    kwargs: dict[str, Any] = {
        "model": route.model,
        "messages": [dict(m) for m in messages],
        "temperature": params["temperature"],
        "max_tokens": params["max_tokens"],
        "timeout": timeout,
        "num_retries": 0,
        "max_retries": 0,
        "drop_params": True,
    }
    if params.get("seed") is not None:
        kwargs["seed"] = params["seed"]
    if api_base:
        kwargs["api_base"] = api_base
    if key is not None:
        kwargs["api_key"] = key
    kwargs.update(extra or {})
    exc_mod = litellm.exceptions
    openai_base = importlib.import_module("openai").OpenAIError
    transient = (
        exc_mod.Timeout,
        exc_mod.APIConnectionError,
        exc_mod.RateLimitError,
        exc_mod.ServiceUnavailableError,
        exc_mod.BadGatewayError,
        exc_mod.InternalServerError,
        exc_mod.APIError,
    )
    try:
        response = litellm.completion(**kwargs)
    except openai_base as exc:
        if getattr(exc, "status_code", None) not in (401, 403):
            _raise_classified(route, exc, key, transient, exc_mod.NotFoundError)
        var = _key_var(litellm, route)
        raise LLMUnavailable(
            f"{route.name} refused the credentials from {var} ({_short(exc, key)}); check the key in {var}"
        ) from None
    choice = response.choices[0]
    text = getattr(choice.message, "content", None) or ""
    usage = getattr(response, "usage", None)
    cost: float | None = 0.0 if route.local else None
    if not route.local:
        hidden = getattr(response, "_hidden_params", {}) or {}
        reported = hidden.get("response_cost")
        if isinstance(reported, (int, float)) and not isinstance(reported, bool):
            cost = float(reported)
    return Completion(
        text=str(text),
        tokens_in=_int(getattr(usage, "prompt_tokens", 0)),
        tokens_out=_int(getattr(usage, "completion_tokens", 0)),
        cost_usd=cost,
    )


def _raise_classified(
    route: Route,
    exc: BaseException,
    key: str | None,
    transient: tuple[type[BaseException], ...],
    not_found: type[BaseException],
) -> NoReturn:
    """Turn a litellm error (all derive from openai's base error) into ours."""
    if isinstance(exc, not_found):
        raise LLMUnavailable(
            f"{route.name}: the provider does not know this model ({_short(exc, key)}); check [llm] model"
        ) from None
    if isinstance(exc, transient):
        raise TransientFailure(type(exc).__name__, _short(exc, key)) from None
    raise LLMRequestFailed(f"{route.name} rejected the request: {_short(exc, key)}") from None


_LITELLM_PREFIX = re.compile(r"^(litellm\.\w+: )?(\w+: )?(OpenAIException - )?")


def _short(exc: BaseException, key: str | None, limit: int = 300) -> str:
    """The exception's message without litellm's repeated class-name prefixes, secrets redacted."""
    message = " ".join(scrub(str(exc), extra=[key] if key else []).split())
    message = _LITELLM_PREFIX.sub("", message) or type(exc).__name__
    return message if len(message) <= limit else message[: limit - 1] + "…"
