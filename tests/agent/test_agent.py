from __future__ import annotations

from scripted import ScriptedTools

from mutable.agent import assemble, classify_intent, solve
from mutable.lang import get_language
from mutable.tools import Example, Recalled, RunJob, RunResult, Task


def _broken_then_fixed(job: RunJob) -> RunResult:
    source = next(iter(job.files.values()))
    if "return a - b" in source:
        return RunResult(ok=False, step="run", exit_code=1, stderr="AssertionError")
    return RunResult(ok=True, step="run", stdout="")


def test_second_reply_fixes_the_first() -> None:
    tools = ScriptedTools(
        replies=[
            "```python\ndef add(a, b):\n    return a - b\n```",
            "```python\ndef add(a, b):\n    return a + b\n```",
        ],
        runner=_broken_then_fixed,
    )
    task = Task(text="Write a Python function add(a, b)", tests="assert add(2, 3) == 5")
    solution = solve(task, tools)
    assert solution.passed
    assert len(solution.attempts) == 2
    assert "a + b" in solution.code
    assert "AssertionError" in tools.prompts[1][-1]["content"]
    assert tools.remembered and tools.remembered[0][1] == "python"


def test_gives_up_after_max_attempts_and_returns_best() -> None:
    tools = ScriptedTools(
        replies=["```python\ndef add(a, b):\n    return a - b\n```"] * 3,
        runner=_broken_then_fixed,
    )
    solution = solve(Task(text="add two numbers in python", tests="assert add(1, 1) == 2"), tools)
    assert not solution.passed
    assert len(solution.attempts) == 3
    assert solution.code
    assert not tools.remembered


def test_missing_toolchain_stops_with_a_clear_note() -> None:
    tools = ScriptedTools(
        replies=["```zig\npub fn main() void {}\n```"],
        runner=lambda job: RunResult(ok=False, missing="zig"),
    )
    solution = solve(Task(text="Write a Zig hello world"), tools)
    assert not solution.passed
    assert "install" in solution.note and "zig" in solution.note
    assert len(solution.attempts) == 1


def test_examples_compare_stdout() -> None:
    tools = ScriptedTools(
        replies=["```python\nprint(int(input()) * 2)\n```"],
        runner=lambda job: RunResult(
            ok=True, step="run", stdout="4\n" if job.steps[-1].stdin == "2\n" else "0"
        ),
    )
    task = Task(text="double a number", examples=(Example("2\n", "4"), Example("3\n", "6")))
    solution = solve(task, tools)
    assert not solution.passed
    assert "wrong output" in solution.attempts[0].feedback


def test_recalled_solutions_are_few_shot() -> None:
    tools = ScriptedTools(
        replies=["```python\nprint(1)\n```"],
        recalled=[Recalled(task="print one", language="python", code="print(1)")],
    )
    solve(Task(text="print the number one in python"), tools)
    assert any("print one" in m["content"] for m in tools.prompts[0])


def test_llm_unavailable_is_a_note_not_a_crash() -> None:
    solution = solve(Task(text="Write a Python hello world"), ScriptedTools(replies=[]))
    assert not solution.passed and "stopped" in solution.note


def test_classify_intent() -> None:
    assert classify_intent("Explain what a monad is") == "explain"
    assert classify_intent("Differentiate x**2*sin(x) with respect to x") == "math"
    assert classify_intent("Fix the bug in this function: def f(): retrun 1") == "fix"
    assert classify_intent("Write a Rust function for Fibonacci") == "code"


def test_assemble_appends_tests_after_code() -> None:
    python = get_language("python")
    assert python is not None
    files = assemble("def f():\n    return 1", Task(text="t", tests="assert f() == 1"), python)
    assert files == {"main.py": "def f():\n    return 1\n\n\nassert f() == 1\n"}


def test_explain_answers_in_prose_without_running_anything() -> None:
    tools = ScriptedTools(replies=["A monad is a way to chain computations."])
    solution = solve(Task(text="Explain what a monad is"), tools)
    assert solution.intent == "explain" and solution.passed
    assert solution.answer.startswith("A monad")
    assert not tools.jobs


def test_reply_without_code_is_fed_back() -> None:
    tools = ScriptedTools(replies=["I think you should use a loop.", "```python\nprint(1)\n```"])
    solution = solve(Task(text="print one in python"), tools)
    assert solution.passed and len(solution.attempts) == 2
    assert "no code block" in tools.prompts[1][-1]["content"]


def test_unknown_language_is_a_note() -> None:
    solution = solve(Task(text="hello", language="cobol"), ScriptedTools(replies=[]))
    assert not solution.passed and "cobol" in solution.note
