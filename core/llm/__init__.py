"""The LLM gateway (litellm behind one small interface) and the embedded local model.

    gateway = open_gateway(workspace, config)
    reply = gateway.complete([{"role": "user", "content": "..."}], purpose="propose")
    gateway.close()

Importing this package is cheap: litellm is imported on the first call that reaches a provider,
xllamacpp only in the model server process.
"""

from __future__ import annotations

from core.llm.errors import BudgetExceeded, LLMError, LLMRequestFailed, LLMUnavailable, ReplayMiss
from core.llm.gateway import EMBEDDED, LLMGateway, LLMReply, open_gateway
from core.llm.ledger import Ledger, LedgerEntry, LedgerTotals
from core.llm.provider import MissingCredentials, Route
from core.llm.weights import WeightsError

__all__ = [
    "EMBEDDED",
    "BudgetExceeded",
    "LLMError",
    "LLMGateway",
    "LLMReply",
    "LLMRequestFailed",
    "LLMUnavailable",
    "Ledger",
    "LedgerEntry",
    "LedgerTotals",
    "MissingCredentials",
    "ReplayMiss",
    "Route",
    "WeightsError",
    "open_gateway",
]
