"""The failures an LLM call can end in; each message says what is wrong and what to do."""

from __future__ import annotations

from core.errors import RatchetError

__all__ = ["BudgetExceeded", "LLMError", "LLMRequestFailed", "LLMUnavailable", "ReplayMiss"]


class LLMError(RatchetError):
    """Base of every expected failure of the LLM gateway (catch this to handle them all)."""


class BudgetExceeded(LLMError):
    """A budget in `[budget]` is used up; the message names it and how to raise it."""

    exit_code = 5


class LLMUnavailable(LLMError):
    """The provider cannot be reached or refuses the credentials (the message names the env var)."""


class LLMRequestFailed(LLMError):
    """The provider answered but rejected the request (bad request, context too long, ...)."""


class ReplayMiss(LLMError):
    """Replay mode is on and the response cache has no reply for this exact request."""
