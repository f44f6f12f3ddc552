"""A realistic module (comments, decorators, nested classes, async defs, docstrings) to edit."""

from __future__ import annotations

import pytest

SAMPLE = '''\
"""Language helpers: a sample module for the edit engine's tests."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from mutable import tools

logger = logging.getLogger(__name__)

#: how many languages we know
LIMIT: int = 24
NAMES = ("python", "rust")  # keep sorted


# --- detection ---------------------------------------------------------------


def detect_language(path: str) -> str:
    """Guess the language of `path`.

    Looks at the suffix only.
    """
    if re.search(r"\\.py$", path):  # the common case
        return "python"
    return "unknown"


@dataclass(frozen=True)
class Registry:
    """Known languages."""

    names: tuple[str, ...] = field(default_factory=tuple)

    def lookup(self, name: str) -> str | None:
        # a linear scan is fine for 24 entries
        return next((n for n in self.names if n == name), None)

    @staticmethod
    def normalise(name: str) -> str:
        return name.strip().lower()

    class Entry:
        """One language."""

        def label(self) -> str:
            return "entry"


async def fetch(url: str, *, retries: int = 3) -> bytes:
    logger.debug("fetching %s (%d retries)", url, retries)
    return await tools.download(url)
'''


@pytest.fixture
def sample() -> str:
    return SAMPLE
