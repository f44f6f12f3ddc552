"""The seed coding agent: the modules the ratchet loop improves.

`mutable.agent.solve(task, tools)` is the entry point core calls. Everything here is plain typed
Python that imports only the standard library and itself; the agent reaches the world (LLM,
sandbox, memory, clock) only through the `Tools` handle core passes in (`mutable.tools`).
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
