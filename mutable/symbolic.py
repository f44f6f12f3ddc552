"""Symbolic math with sympy: read a task ("differentiate x^2 sin x"), write a sympy script for it.

The agent never imports sympy itself: `sympy_script(problem)` is a small Python program the agent
runs through `tools.run` in the sandbox (with a timeout); it prints `ANSWER: <result>`, which
`answer_from_output` reads back. `python_function` turns an answer into target-language code for
the simplest case (Python); other languages go through the LLM with the answer as a hint.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

__all__ = [
    "ANSWER_PREFIX",
    "MathProblem",
    "answer_from_output",
    "clean_expression",
    "parse_math",
    "python_function",
    "sympy_script",
]

logger = logging.getLogger(__name__)

ANSWER_PREFIX = "ANSWER:"

_VAR = r"(?:with respect to|wrt|w\.r\.t\.?|in|for|d)\s+([a-z])\b"
_UNICODE_SIGNS = (("\u2212", "-"), ("\u00d7", "*"), ("\u00b7", "*"), ("\u00b2", "^2"), ("\u00b3", "^3"))
_ORDINALS = {"second": 2, "third": 3, "fourth": 4, "2nd": 2, "3rd": 3, "4th": 4}


@dataclass(frozen=True)
class MathProblem:
    """One symbolic operation on an expression (as text, parsed by sympy inside the sandbox)."""

    op: str  # diff | integrate | simplify | expand | factor | solve | series | limit
    expr: str
    var: str = "x"
    order: int = 1
    point: str = "0"
    lower: str = ""
    upper: str = ""


def clean_expression(text: str) -> str:
    """Task notation to sympy input: `^` powers, unicode signs, trailing punctuation and filler."""
    out = text.strip().rstrip(".?!").strip()
    for sign, plain in _UNICODE_SIGNS:
        out = out.replace(sign, plain)
    out = re.sub(r"^(?:the\s+)?(?:expression|function|equation|polynomial)\s+", "", out, flags=re.IGNORECASE)
    out = re.sub(r"^(?:f\s*\(\s*[a-z]\s*\)|y)\s*=\s*", "", out)
    out = out.strip().strip("`$").strip()
    return out


def _variable(text: str, default: str = "x") -> str:
    match = re.search(_VAR, text, re.IGNORECASE)
    return match.group(1) if match else default


def _strip_var_phrase(text: str) -> str:
    return re.sub(
        r"\s*(?:,\s*)?(?:with respect to|wrt|w\.r\.t\.?)\s+[a-z]\b.*$", "", text, flags=re.IGNORECASE
    )


def _parse_diff(text: str) -> MathProblem | None:
    match = re.search(
        r"(?:(second|third|fourth|2nd|3rd|4th)\s+)?derivative\s+of\s+(.+)|differentiate\s+(.+)",
        text,
        re.IGNORECASE,
    )
    if not match:
        return None
    order = _ORDINALS.get((match.group(1) or "").lower(), 1)
    body = match.group(2) or match.group(3) or ""
    twice = re.search(r"\btwice\b", body, re.IGNORECASE)
    if twice:
        order = 2
        body = body[: twice.start()]
    expr = _strip_var_phrase(body)
    return MathProblem("diff", clean_expression(expr), _variable(text), order=order)


def _parse_integral(text: str) -> MathProblem | None:
    match = re.search(r"(?:integrate|integral\s+of|antiderivative\s+of)\s+(.+)", text, re.IGNORECASE)
    if not match:
        return None
    body = match.group(1)
    lower = upper = ""
    bounds = re.search(r"\s+from\s+(\S+)\s+to\s+(\S+)\s*$", body, re.IGNORECASE)
    if bounds:
        lower, upper = bounds.group(1).rstrip(".,"), bounds.group(2).rstrip(".,")
        body = body[: bounds.start()]
    var = _variable(text)
    dvar = re.search(r"\s*d([a-z])\s*$", body)
    if dvar:
        var = dvar.group(1)
        body = body[: dvar.start()]
    return MathProblem("integrate", clean_expression(_strip_var_phrase(body)), var, lower=lower, upper=upper)


def _parse_simple(text: str) -> MathProblem | None:
    match = re.search(r"\b(simplify|expand|factor|factorise|factorize)\s+(.+)", text, re.IGNORECASE)
    if not match:
        return None
    op = match.group(1).lower()
    op = "factor" if op.startswith("factor") else op
    return MathProblem(op, clean_expression(match.group(2)), _variable(text))


def _parse_solve(text: str) -> MathProblem | None:
    match = re.search(r"\bsolve\s+(.+?)(?:\s+for\s+([a-z])\b.*)?$", text, re.IGNORECASE)
    if not match:
        return None
    var = match.group(2) or "x"
    return MathProblem("solve", clean_expression(match.group(1)), var)


def _parse_series(text: str) -> MathProblem | None:
    match = re.search(
        r"(?:taylor|maclaurin|power)?\s*series(?:\s+expansion)?\s+of\s+(.+)", text, re.IGNORECASE
    )
    if not match:
        return None
    body = match.group(1)
    order = 6
    terms = re.search(r"\s*(?:up\s+)?to\s+(?:order|degree)\s+(\d+)", body, re.IGNORECASE)
    if terms:
        order = int(terms.group(1)) + 1
        body = body[: terms.start()] + body[terms.end() :]
    point = "0"
    around = re.search(r"\s*(?:around|about|at)\s+[a-z]?\s*=?\s*(-?[\w.]+)", body, re.IGNORECASE)
    if around:
        point = around.group(1)
        body = body[: around.start()] + body[around.end() :]
    return MathProblem("series", clean_expression(body), _variable(text), order=order, point=point)


def _parse_limit(text: str) -> MathProblem | None:
    match = re.search(
        r"limit\s+of\s+(.+?)\s+as\s+([a-z])\s+(?:approaches|->|→|tends\s+to|goes\s+to)\s+(\S+)",
        text,
        re.IGNORECASE,
    )
    if not match:
        return None
    point = match.group(3).rstrip(".,")
    point = {"infinity": "oo", "inf": "oo", "∞": "oo"}.get(point.lower(), point)
    return MathProblem("limit", clean_expression(match.group(1)), match.group(2), point=point)


def parse_math(text: str) -> MathProblem | None:
    """The symbolic problem a task states, or None when it is not one the agent recognises."""
    for parse in (_parse_limit, _parse_series, _parse_diff, _parse_integral, _parse_solve, _parse_simple):
        problem = parse(text)
        if problem is not None and problem.expr:
            return problem
    return None


_PRELUDE = """\
import sympy as sp
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_multiplication_application,
    parse_expr,
    standard_transformations,
)

T = standard_transformations + (implicit_multiplication_application, convert_xor)


def p(text):
    return parse_expr(text, transformations=T)


"""


def sympy_script(problem: MathProblem) -> str:
    """A Python program that solves `problem` with sympy and prints `ANSWER: <result>`."""
    v = problem.var
    lines = [f"{v} = sp.Symbol({v!r})"]
    if problem.op == "solve" and "=" in problem.expr:
        left, _, right = problem.expr.partition("=")
        lines.append(f"expr = sp.Eq(p({left.strip()!r}), p({right.strip()!r}))")
    else:
        lines.append(f"expr = p({problem.expr!r})")
    if problem.op == "diff":
        lines.append(f"result = sp.diff(expr, {v}, {problem.order})")
    elif problem.op == "integrate" and problem.lower:
        lines.append(f"result = sp.integrate(expr, ({v}, p({problem.lower!r}), p({problem.upper!r})))")
    elif problem.op == "integrate":
        lines.append(f"result = sp.integrate(expr, {v})")
    elif problem.op == "solve":
        lines.append(f"result = sp.solve(expr, {v})")
    elif problem.op == "series":
        lines.append(f"a = p({problem.point!r})")
        lines.append("terms, d = [], expr")
        lines.append(f"for k in range({problem.order}):")
        lines.append(f"    terms.append(d.subs({v}, a) / sp.factorial(k) * ({v} - a) ** k)")
        lines.append(f"    d = sp.diff(d, {v})")
        lines.append("result = sp.Add(*terms)")
    elif problem.op == "limit":
        lines.append(f"result = sp.limit(expr, {v}, p({problem.point!r}))")
    elif problem.op in ("simplify", "expand", "factor"):
        lines.append(f"result = sp.{problem.op}(expr)")
    else:
        raise ValueError(f"unknown operation {problem.op!r}")
    lines.append(f"print({ANSWER_PREFIX!r}, result)")
    return _PRELUDE + "\n".join(lines) + "\n"


def answer_from_output(stdout: str) -> str | None:
    """The result a `sympy_script` printed, or None when it printed none."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(ANSWER_PREFIX):
            return line[len(ANSWER_PREFIX) :].strip()
    return None


def python_function(problem: MathProblem, answer: str, name: str = "f") -> str:
    """Python code for a result: a function of the variable for expressions, a constant otherwise."""
    if problem.op in ("solve",):
        return f"SOLUTIONS = {answer}\n"
    return f"from math import *\n\n\ndef {name}({problem.var}):\n    return {answer}\n"
