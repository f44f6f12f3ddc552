"""The agent's only way out: the `Tools` protocol core implements, and the records it carries.

Core (`core/agent_host.py`) builds a `Tools` for every solve: `complete` goes to the budgeted LLM
gateway, `run` to the sandbox, `recall`/`remember` to the memory store, `now` to the clock. Tests
hand in a scripted implementation. The agent never imports subprocess, sockets or core itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "Attempt",
    "Example",
    "LLMAnswer",
    "Recalled",
    "RunJob",
    "RunResult",
    "Solution",
    "Step",
    "Task",
    "Tools",
    "ToolsError",
]

logger = logging.getLogger(__name__)


class ToolsError(Exception):
    """A tool could not do its job for a reason outside the agent (budget spent, LLM down).

    Core raises its own errors; the host converts the ones the agent should handle (an LLM that
    is unavailable or out of budget) into this, so the agent can stop with a useful note.
    """


@dataclass(frozen=True)
class Example:
    """One input/output pair: the program gets `stdin` and must print `expected` (whitespace-trimmed)."""

    stdin: str
    expected: str


@dataclass(frozen=True)
class Task:
    """What the user asked for.

    `tests` is test code in the target language appended to the solution (Python: asserts; other
    languages: a `main` that exercises it). `examples` are stdin/stdout pairs. `entry_point` names
    the function the tests call, when there is one (HumanEval). `language` None means: detect it.
    """

    text: str
    language: str | None = None
    tests: str = ""
    examples: tuple[Example, ...] = ()
    entry_point: str = ""
    max_attempts: int = 3


@dataclass(frozen=True)
class Step:
    """One command of a run, e.g. compile then execute. `{python}` in argv means the host's interpreter."""

    argv: tuple[str, ...]
    name: str = "run"
    stdin: str = ""


@dataclass(frozen=True)
class RunJob:
    """Files to write into a fresh sandbox scratch dir and the steps to run there, in order.

    The run stops at the first failing step. `requires` are programs that must exist on the host
    (the toolchain probe); `image` is the Docker image used when the docker sandbox runs it.
    """

    language: str
    files: Mapping[str, str]
    steps: tuple[Step, ...]
    requires: tuple[str, ...] = ()
    image: str = ""
    timeout: float = 20.0
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunResult:
    """How a `RunJob` went. `missing` names a program the host lacks; then nothing ran."""

    ok: bool
    step: str = ""
    exit_code: int = 0
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    seconds: float = 0.0
    missing: str = ""

    @property
    def output(self) -> str:
        return (self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).strip()


@dataclass(frozen=True)
class LLMAnswer:
    text: str
    model: str = ""
    cached: bool = False


@dataclass(frozen=True)
class Recalled:
    """A solved task from memory, offered as a few-shot example."""

    task: str
    language: str
    code: str
    distance: float = 0.0


class Tools(Protocol):
    """What core hands the agent. Every method may raise `ToolsError` (budget, LLM down)."""

    def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        purpose: str,
        temperature: float = 0.2,
        max_tokens: int | None = None,
    ) -> LLMAnswer: ...

    def run(self, job: RunJob) -> RunResult: ...

    def recall(self, text: str, n: int, language: str | None = None) -> Sequence[Recalled]: ...

    def remember(self, task: str, language: str, code: str) -> None: ...

    def now(self) -> float: ...


@dataclass(frozen=True)
class Attempt:
    """One try: the code the LLM gave, how its run went, and the feedback built from it."""

    number: int
    code: str
    passed: bool
    result: RunResult | None = None
    feedback: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class Solution:
    """What `solve` returns: the best attempt's code, whether it passed, and the evidence.

    `answer` holds a non-code answer (a sympy result, an explanation); `note` says why the
    agent stopped early (missing toolchain, LLM unavailable) when it did.
    """

    task: Task
    intent: str
    language: str
    code: str
    passed: bool
    attempts: tuple[Attempt, ...] = ()
    answer: str = ""
    note: str = ""

    @property
    def best(self) -> Attempt | None:
        return next((a for a in self.attempts if a.code == self.code), None)

    @property
    def output(self) -> str:
        best = self.best
        return best.result.output if best is not None and best.result is not None else ""
