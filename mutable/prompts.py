"""Prompt templates: what the agent tells the LLM for each intent, and how it feeds errors back.

Templates are plain `str.format` strings so a proposal can improve one without touching logic.
`build_messages` assembles the chat: system prompt, few-shot examples recalled from memory, the
task, and (on a retry) the previous code with the error it produced.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from mutable.lang import Language
from mutable.tools import Recalled, Task

__all__ = [
    "EXPLAIN_SYSTEM",
    "FEEDBACK",
    "MAX_FEEDBACK_CHARS",
    "SYSTEM",
    "Turn",
    "build_messages",
    "feedback_message",
    "task_message",
]

logger = logging.getLogger(__name__)

MAX_FEEDBACK_CHARS = 1500

SYSTEM = (
    "You are an expert {display} programmer. Answer with one complete, runnable {display} program "
    "in a single ```{tag} code block. Keep explanations out of the code block and short."
)

EXPLAIN_SYSTEM = "You are a patient senior engineer. Explain code clearly and briefly, in plain prose."

TASK = "Task: {text}\n\nWrite it in {display}."

TASK_WITH_TESTS = (
    "Task: {text}\n\nWrite it in {display}. Your code will be run together with these tests, which are "
    "appended after it{entry}:\n```{tag}\n{tests}\n```\nDo not repeat the tests{no_main}."
)

TASK_WITH_EXAMPLES = (
    "Task: {text}\n\nWrite a complete {display} program that reads standard input and writes standard "
    "output. Examples:\n{examples}"
)

EXAMPLE = "input:\n{stdin}\nexpected output:\n{expected}\n"

FEW_SHOT = "Here is a similar task solved before, for reference.\nTask: {task}\n```{tag}\n{code}\n```"

FEEDBACK = (
    "Your code failed ({what}).\n```\n{output}\n```\nFix it. Reply with the full corrected {display} "
    "program in one ```{tag} code block."
)

MATH_TO_CODE = (
    "Task: {text}\n\nA computer algebra system found the answer: {answer}\n"
    "Write {display} code that implements this result{entry}."
)

EXPLAIN = "Explain this:\n{text}"


@dataclass(frozen=True)
class Turn:
    """A previous attempt to show the LLM: its code and what went wrong."""

    code: str
    feedback: str


def _tag(language: Language) -> str:
    return language.tags[0] if language.tags else language.name


def task_message(task: Task, language: Language) -> str:
    """The user message describing the task for `language`."""
    tag = _tag(language)
    if task.tests:
        entry = f" and call `{task.entry_point}`" if task.entry_point else ""
        no_main = "" if language.name == "python" else " and do not write a main function or entry point"
        return TASK_WITH_TESTS.format(
            text=task.text.strip(),
            display=language.display,
            tag=tag,
            tests=task.tests.strip(),
            entry=entry,
            no_main=no_main,
        )
    if task.examples:
        examples = "\n".join(
            EXAMPLE.format(stdin=e.stdin.strip(), expected=e.expected.strip()) for e in task.examples
        )
        return TASK_WITH_EXAMPLES.format(text=task.text.strip(), display=language.display, examples=examples)
    return TASK.format(text=task.text.strip(), display=language.display)


def feedback_message(what: str, output: str, language: Language) -> str:
    clipped = output.strip()
    if len(clipped) > MAX_FEEDBACK_CHARS:
        clipped = "..." + clipped[-MAX_FEEDBACK_CHARS:]
    return FEEDBACK.format(
        what=what, output=clipped or "(no output)", display=language.display, tag=_tag(language)
    )


def build_messages(
    task: Task,
    language: Language,
    *,
    examples: Sequence[Recalled] = (),
    history: Sequence[Turn] = (),
    user_text: str | None = None,
) -> list[dict[str, str]]:
    """The chat for one attempt: system, few-shot, task, then each failed turn and its feedback."""
    tag = _tag(language)
    messages = [{"role": "system", "content": SYSTEM.format(display=language.display, tag=tag)}]
    for shot in examples:
        messages.append(
            {
                "role": "user",
                "content": FEW_SHOT.format(task=shot.task.strip(), tag=tag, code=shot.code.strip()),
            }
        )
        messages.append({"role": "assistant", "content": "Understood."})
    messages.append({"role": "user", "content": user_text or task_message(task, language)})
    for turn in history:
        messages.append({"role": "assistant", "content": f"```{tag}\n{turn.code.strip()}\n```"})
        messages.append({"role": "user", "content": turn.feedback})
    return messages
