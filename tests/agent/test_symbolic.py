from __future__ import annotations

import ast

import pytest
from scripted import ScriptedTools

from mutable.agent import solve
from mutable.symbolic import MathProblem, answer_from_output, parse_math, sympy_script
from mutable.tools import RunJob, RunResult, Task


@pytest.mark.parametrize(
    ("text", "op", "expr", "var"),
    [
        ("Differentiate x^3 + 2x with respect to x", "diff", "x^3 + 2x", "x"),
        ("Find the derivative of sin(t^2) with respect to t", "diff", "sin(t^2)", "t"),
        ("Integrate x*exp(x) dx", "integrate", "x*exp(x)", "x"),
        ("Simplify (x^2 - 1)/(x - 1)", "simplify", "(x^2 - 1)/(x - 1)", "x"),
        ("Solve y^2 = 16 for y", "solve", "y^2 = 16", "y"),
        ("Find the limit of sin(x)/x as x approaches 0", "limit", "sin(x)/x", "x"),
    ],
)
def test_parse_math(text: str, op: str, expr: str, var: str) -> None:
    problem = parse_math(text)
    assert problem is not None
    assert (problem.op, problem.expr, problem.var) == (op, expr, var)


def test_not_math() -> None:
    assert parse_math("Write a Rust function for Fibonacci") is None


def test_second_derivative_and_bounds() -> None:
    second = parse_math("Find the second derivative of x^4")
    assert second is not None and second.order == 2
    definite = parse_math("Integrate x^2 from 0 to 3")
    assert definite is not None and (definite.lower, definite.upper) == ("0", "3")


def test_script_is_valid_python_that_prints_the_answer() -> None:
    for op in ("diff", "integrate", "simplify", "expand", "factor", "solve", "series", "limit"):
        script = sympy_script(MathProblem(op, "x^2 = 4" if op == "solve" else "x^2"))
        ast.parse(script)
        assert "ANSWER:" in script and "import sympy" in script


def test_answer_from_output() -> None:
    assert answer_from_output("noise\nANSWER: 2*x\n") == "2*x"
    assert answer_from_output("Traceback ...") is None


def test_math_task_runs_sympy_through_tools() -> None:
    def runner(job: RunJob) -> RunResult:
        assert "solve_math.py" in job.files
        return RunResult(ok=True, step="run", stdout="ANSWER: 2*x*sin(x) + x**2*cos(x)\n")

    tools = ScriptedTools(replies=[], runner=runner)
    solution = solve(Task(text="Differentiate x**2*sin(x) with respect to x"), tools)
    assert solution.intent == "math"
    assert solution.passed
    assert solution.answer == "2*x*sin(x) + x**2*cos(x)"
    assert not tools.prompts  # no LLM call needed


def test_math_task_that_wants_code_asks_the_llm_with_the_answer() -> None:
    def runner(job: RunJob) -> RunResult:
        if "solve_math.py" in job.files:
            return RunResult(ok=True, step="run", stdout="ANSWER: 2*x\n")
        return RunResult(ok=True, step="run")

    tools = ScriptedTools(replies=["```rust\nfn d(x: f64) -> f64 { 2.0 * x }\n```"], runner=runner)
    solution = solve(Task(text="Differentiate x^2", language="rust"), tools)
    assert solution.passed and solution.language == "rust"
    assert "2*x" in tools.prompts[0][-1]["content"]
