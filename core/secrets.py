"""What a secret looks like, and scrubbing it from text and records before anything is written.

Used for the audit log, memory, the daemon log, the LLM ledger's error messages and goals.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from core.procs import SECRET_NAME

__all__ = ["KEY_PATTERNS", "REDACTED", "SECRET_NAME", "scrub", "scrub_data"]

logger = logging.getLogger(__name__)

REDACTED = "[REDACTED]"
#: shortest environment value treated as a secret when its variable's name looks secret
_MIN_SECRET_VALUE = 6

KEY_PATTERNS = re.compile(
    r"sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{8,}"  # OpenAI / Anthropic style
    r"|AKIA[0-9A-Z]{16}"  # AWS access key id
    r"|gh[pousr]_[A-Za-z0-9]{20,}"  # GitHub tokens
    r"|xox[abprs]-[A-Za-z0-9\-]{10,}"  # Slack tokens
    r"|AIza[0-9A-Za-z_\-]{30,}"  # Google API keys
    r"|(?i:bearer)\s+[A-Za-z0-9._\-]{16,}"
)


def _secret_values(environ: Mapping[str, str], extra: Sequence[str]) -> list[str]:
    found = {v for k, v in environ.items() if SECRET_NAME.search(k) and len(v) >= _MIN_SECRET_VALUE}
    found.update(s for s in extra if s)
    return sorted(found, key=len, reverse=True)  # longest first: no partial replacement


def scrub(text: str, environ: Mapping[str, str] | None = None, extra: Sequence[str] = ()) -> str:
    """`text` with API-key-looking strings, secret env values and `extra` replaced by REDACTED."""
    for secret in _secret_values(os.environ if environ is None else environ, extra):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return KEY_PATTERNS.sub(REDACTED, text)


def scrub_data(value: Any, environ: Mapping[str, str] | None = None) -> Any:
    """`scrub` applied to every string inside dicts, lists and tuples (keys included)."""
    if isinstance(value, str):
        return scrub(value, environ)
    if isinstance(value, Mapping):
        return {scrub(str(k), environ): scrub_data(v, environ) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_data(v, environ) for v in value]
    return value
