"""The agent end to end: a real workspace, the real sandbox, an LLM scripted at the Tools/LLM seam."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from core.agent_host import AgentHost
from core.config import Config, load_config
from core.records import Usage
from core.workspace import Workspace


@dataclass(frozen=True)
class Reply:
    text: str
    model: str = "scripted"
    usage: Usage = field(default_factory=lambda: Usage(calls=1, tokens_in=10, tokens_out=5))
    cached: bool = False


@dataclass
class ScriptedLLM:
    """Replies in order; records every prompt it was sent."""

    replies: list[str]
    seen: list[list[dict[str, str]]] = field(default_factory=list)

    def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        purpose: str,
        temperature: float = 0.2,
        max_tokens: int | None = None,
    ) -> Reply:
        self.seen.append([dict(m) for m in messages])
        return Reply(self.replies.pop(0))


def _config(workspace: Workspace) -> Config:
    return load_config(workspace.root, environ={})


def test_broken_first_reply_is_fixed_on_attempt_two(workspace: Workspace) -> None:
    llm = ScriptedLLM(
        [
            "Sure!\n```python\ndef add(a, b)\n    return a - b\n```",
            "Fixed:\n```python\ndef add(a, b):\n    return a + b\n```",
        ]
    )
    with AgentHost(workspace, _config(workspace), llm=llm, use_memory=False) as host:
        report = host.solve(
            "Write a Python function add(a, b)", tests="assert add(2, 3) == 5, add(2, 3)\nprint('ok')"
        )
    assert report.passed
    assert [a.passed for a in report.attempts] == [False, True]
    assert "AssertionError" in report.attempts[0].output
    assert "AssertionError" in llm.seen[1][-1]["content"]  # the error was fed back
    assert report.output.strip() == "ok"
    assert report.usage.calls == 2


HELLO = {
    "python": 'print("hello", 6 * 7)',
    "c": '#include <stdio.h>\nint main(void) { printf("hello %d\\n", 6 * 7); return 0; }',
    "cpp": '#include <iostream>\nint main() { std::cout << "hello " << 6 * 7 << std::endl; }',
    "javascript": 'console.log("hello", 6 * 7);',
    "typescript": "const n: number = 6 * 7;\nconsole.log(`hello ${n}`);",
    "java": (
        "public class Main {\n    public static void main(String[] a) {\n"
        '        System.out.println("hello " + 6 * 7);\n    }\n}'
    ),
    "rust": 'fn main() { println!("hello {}", 6 * 7); }',
    "sql": "SELECT 'hello ' || (6 * 7);",
    "ruby": 'puts "hello #{6 * 7}"',
    "go": 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello", 6*7) }',
}


@pytest.mark.slow
@pytest.mark.parametrize("language", sorted(HELLO))
def test_real_program_runs_in_the_sandbox(workspace: Workspace, language: str) -> None:
    llm = ScriptedLLM([f"```{language}\n{HELLO[language]}\n```"])
    with AgentHost(workspace, _config(workspace), llm=llm, use_memory=False) as host:
        report = host.solve("print hello 42", language=language, examples=[("", "hello 42")], max_attempts=1)
    assert report.passed, (report.note, report.attempts[0].output if report.attempts else "")
    assert report.output.splitlines()[0] == "hello 42"  # stdout first; a JVM may add notes on stderr


def test_wrong_output_is_fed_back(workspace: Workspace) -> None:
    llm = ScriptedLLM(["```python\nprint(int(input()) + 1)\n```", "```python\nprint(int(input()) * 2)\n```"])
    with AgentHost(workspace, _config(workspace), llm=llm, use_memory=False) as host:
        report = host.solve("Double the number on stdin", examples=[("4\n", "8"), ("5\n", "10")])
    assert report.passed and len(report.attempts) == 2
    assert "expected output" in llm.seen[1][-1]["content"]


def test_missing_toolchain_says_what_to_install(workspace: Workspace) -> None:
    llm = ScriptedLLM(["```zig\npub fn main() void {}\n```"])
    with AgentHost(workspace, _config(workspace), llm=llm, use_memory=False) as host:
        report = host.solve("Write a Zig program that does nothing", language="zig")
    assert not report.passed
    assert "install zig" in report.note and "Docker" in report.note


def test_runaway_program_is_stopped(workspace: Workspace) -> None:
    llm = ScriptedLLM(["```python\nwhile True:\n    pass\n```"])
    config = load_config(
        workspace.root, environ={}, overrides={"sandbox.wall_seconds": 2.0, "sandbox.cpu_seconds": 2}
    )
    with AgentHost(workspace, config, llm=llm, use_memory=False) as host:
        report = host.solve("loop", language="python", max_attempts=1)
    assert not report.passed
    assert "stopped" in report.attempts[0].output


def test_symbolic_task_is_answered_by_sympy_in_the_sandbox(workspace: Workspace) -> None:
    llm = ScriptedLLM([])
    with AgentHost(workspace, _config(workspace), llm=llm, use_memory=False) as host:
        report = host.solve("Differentiate x^3 + 2x with respect to x")
    assert report.intent == "math" and report.passed
    assert report.answer.replace(" ", "") == "3*x**2+2"
    assert not llm.seen


def test_solved_tasks_are_remembered_and_recalled(workspace: Workspace) -> None:
    first = ScriptedLLM(["```python\ndef square(x):\n    return x * x\n```"])
    with AgentHost(workspace, _config(workspace), llm=first) as host:
        assert host.solve("Write a Python function square(x)", tests="assert square(3) == 9").passed
    second = ScriptedLLM(["```python\ndef cube(x):\n    return x ** 3\n```"])
    with AgentHost(workspace, _config(workspace), llm=second) as host:
        assert host.solve("Write a Python function cube(x)", tests="assert cube(2) == 8").passed
    prompt = "\n".join(m["content"] for m in second.seen[0])
    assert "def square(x)" in prompt
