"""A scripted `Tools` for the agent's tests: canned LLM replies and canned run results."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from mutable.tools import LLMAnswer, Recalled, RunJob, RunResult, ToolsError


@dataclass
class ScriptedTools:
    replies: list[str]
    runner: Callable[[RunJob], RunResult] = lambda job: RunResult(ok=True, step="run")
    recalled: list[Recalled] = field(default_factory=list)
    prompts: list[list[dict[str, str]]] = field(default_factory=list)
    jobs: list[RunJob] = field(default_factory=list)
    remembered: list[tuple[str, str, str]] = field(default_factory=list)
    clock: float = 0.0

    def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        purpose: str,
        temperature: float = 0.2,
        max_tokens: int | None = None,
    ) -> LLMAnswer:
        self.prompts.append([dict(m) for m in messages])
        if not self.replies:
            raise ToolsError("the script has no more replies")
        return LLMAnswer(text=self.replies.pop(0), model="scripted")

    def run(self, job: RunJob) -> RunResult:
        self.jobs.append(job)
        return self.runner(job)

    def recall(self, text: str, n: int, language: str | None = None) -> Sequence[Recalled]:
        return self.recalled[:n]

    def remember(self, task: str, language: str, code: str) -> None:
        self.remembered.append((task, language, code))

    def now(self) -> float:
        self.clock += 1.0
        return self.clock
