"""Suite `sympy-math`: symbolic tasks the agent turns into sympy scripts; answers checked by equivalence.

For each task the agent's `mutable.symbolic.parse_math` reads the problem and `sympy_script`
writes the program; the suite runs that program (inside the eval sandbox) and compares the
printed answer with the expected one by sympy equivalence: expressions by simplification of
the difference, antiderivatives up to a constant, solution lists as sets.
"""

from __future__ import annotations

import contextlib
import io
import logging
from dataclasses import dataclass
from typing import Any

from evals.common import CaseOutcome, CaseResult, score_each

__all__ = ["CASES", "Case", "equivalent", "evaluate", "judge"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    expected: str
    #: "expr" (equal), "antiderivative" (equal up to a constant in `var`), "set" (same solutions)
    kind: str = "expr"
    var: str = "x"


def _c(id: str, text: str, expected: str, kind: str = "expr", var: str = "x") -> Case:
    return Case(id=id, text=text, expected=expected, kind=kind, var=var)


CASES: tuple[Case, ...] = (
    # --- derivatives ------------------------------------------------------------------------------
    _c("d-poly", "Differentiate x^3 + 2x^2 - 5x + 1", "3*x**2 + 4*x - 5"),
    _c("d-product", "Differentiate x**2*sin(x) with respect to x", "2*x*sin(x) + x**2*cos(x)"),
    _c("d-chain", "Find the derivative of sin(x^2)", "2*x*cos(x**2)"),
    _c("d-exp", "What is the derivative of exp(3*x)?", "3*exp(3*x)"),
    _c("d-log", "derivative of log(x)/x", "(1 - log(x))/x**2"),
    _c("d-quotient", "Differentiate (x+1)/(x-1)", "-2/(x-1)**2"),
    _c("d-var-t", "Differentiate t^4 - 3t with respect to t", "4*t**3 - 3", var="t"),
    _c("d-second", "Find the second derivative of x^4", "12*x**2"),
    _c("d-twice", "Differentiate sin(x) twice", "-sin(x)"),
    _c("d-sqrt", "Differentiate sqrt(x)", "1/(2*sqrt(x))"),
    _c("d-tan", "Compute the derivative of tan(x)", "1 + tan(x)**2"),
    _c("d-wrt-y", "Differentiate y^2*exp(y) w.r.t. y", "2*y*exp(y) + y**2*exp(y)", var="y"),
    _c("d-unicode", "Differentiate x² + 3x", "2*x + 3"),
    _c("d-fx", "Differentiate f(x) = x*log(x)", "log(x) + 1"),
    _c("d-e-power", "Differentiate e^(2x)", "2*exp(2*x)"),
    _c("d-ddx", "Compute d/dx of cos(3x)", "-3*sin(3*x)"),
    _c("d-third", "Find the third derivative of x^5 - x", "60*x**2"),
    _c("d-atan", "derivative of atan(x)", "1/(1 + x**2)"),
    _c("d-ln", "Differentiate ln(x^2 + 1)", "2*x/(x**2 + 1)"),
    _c("d-partial", "Find the partial derivative of x^2*y with respect to y", "x**2", var="y"),
    _c("d-dydx", "Find dy/dx if y = x^3 - 2x", "3*x**2 - 2"),
    _c("d-x-to-x", "Compute the derivative of x^x", "x**x*(log(x) + 1)"),
    # --- integrals ----------------------------------------------------------------------------
    _c("i-poly", "Integrate 3x^2 + 2x", "x**3 + x**2", "antiderivative"),
    _c("i-dx", "Integrate x*exp(x) dx", "x*exp(x) - exp(x)", "antiderivative"),
    _c("i-sin", "Find the integral of sin(x)", "-cos(x)", "antiderivative"),
    _c("i-recip", "integral of 1/x", "log(x)", "antiderivative"),
    _c("i-definite", "Integrate x^2 from 0 to 3", "9"),
    _c("i-definite-pi", "Integrate sin(x) from 0 to pi", "2"),
    _c("i-antideriv", "Find the antiderivative of cos(2x)", "sin(2*x)/2", "antiderivative"),
    _c("i-var-t", "Integrate t^3 dt", "t**4/4", "antiderivative", var="t"),
    _c("i-exp-def", "Integrate exp(-x) from 0 to 1", "1 - exp(-1)"),
    _c("i-infinity-word", "Integrate 1/x^2 from 1 to infinity", "1"),
    _c("i-e-bound", "What is the integral of 1/x from 1 to e?", "1"),
    _c("i-between", "Integrate 2x between 0 and 1", "1"),
    _c("i-evaluate-sign", "Evaluate ∫ x^2 dx", "x**3/3", "antiderivative"),
    _c("i-rational", "Integrate 1/(1+x^2)", "atan(x)", "antiderivative"),
    _c("i-wrt", "Integrate x*y with respect to y", "x*y**2/2", "antiderivative", var="y"),
    _c("i-sqrt", "Integrate sqrt(x) dx", "2*x**(3/2)/3", "antiderivative"),
    _c("i-compute-def", "Compute the definite integral of x from 1 to 2", "3/2"),
    # --- simplify / expand / factor ------------------------------------------------------------
    _c("s-rational", "Simplify (x^2 - 1)/(x - 1)", "x + 1"),
    _c("s-trig", "Simplify sin(x)^2 + cos(x)^2", "1"),
    _c("s-exp", "simplify exp(x)*exp(y)", "exp(x + y)"),
    _c("s-colon", "Simplify: (x^2 + 2x + 1)/(x + 1)", "x + 1"),
    _c("s-frac", "Simplify 1/x + 1/(x*(x+1))", "(x + 2)/(x*(x + 1))"),
    _c("e-cube", "Expand (x + 1)^3", "x**3 + 3*x**2 + 3*x + 1"),
    _c("e-product", "Expand (x - 2)(x + 5)", "x**2 + 3*x - 10"),
    _c("e-please", "Expand (2x - 1)^2 please", "4*x**2 - 4*x + 1"),
    _c("e-binomial", "expand the expression (a + b)^2", "a**2 + 2*a*b + b**2"),
    _c("f-diff-squares", "Factor x^2 - 4", "(x - 2)*(x + 2)"),
    _c("f-quadratic", "Factorise x^2 + 5x + 6", "(x + 2)*(x + 3)"),
    _c("f-cubic", "factor x^3 - x", "x*(x - 1)*(x + 1)"),
    _c("f-polynomial-word", "Factor the polynomial 2x^2 - 8", "2*(x - 2)*(x + 2)"),
    # --- equations ----------------------------------------------------------------------------
    _c("q-quadratic", "Solve x^2 - 5x + 6 = 0", "[2, 3]", "set"),
    _c("q-linear", "Solve 3x + 7 = 22 for x", "[5]", "set"),
    _c("q-implicit-zero", "Solve x^2 - 9", "[-3, 3]", "set"),
    _c("q-var-y", "Solve y^2 = 16 for y", "[-4, 4]", "set", var="y"),
    _c("q-cubic", "Solve x^3 - 6x^2 + 11x - 6 = 0", "[1, 2, 3]", "set"),
    _c("q-roots-word", "Find the roots of x^2 + 2x - 8", "[-4, 2]", "set"),
    _c("q-complex", "Solve x^2 + 1 = 0", "[I, -I]", "set"),
    _c("q-equation-word", "Solve the equation 2x - 4 = 0", "[2]", "set"),
    _c("q-for-colon", "Solve for x: 2x + 3 = 11", "[4]", "set"),
    _c("q-exp", "Solve exp(x) = 1 for x", "[0]", "set"),
    # --- series ----------------------------------------------------------------------------------
    _c(
        "t-exp",
        "Find the Taylor series of exp(x) around 0 up to order 4",
        "1 + x + x**2/2 + x**3/6 + x**4/24",
    ),
    _c("t-sin", "Maclaurin series of sin(x) up to order 5", "x - x**3/6 + x**5/120"),
    _c("t-cos-default", "Series expansion of cos(x)", "1 - x**2/2 + x**4/24"),
    _c("t-geometric", "power series of 1/(1-x) up to order 3", "1 + x + x**2 + x**3"),
    _c("t-degree", "Taylor series of exp(2x) at 0 to degree 2", "1 + 2*x + 2*x**2"),
    # --- limits ------------------------------------------------------------------------------------
    _c("l-sinc", "Find the limit of sin(x)/x as x approaches 0", "1"),
    _c("l-infinity", "limit of (1 + 1/n)^n as n -> oo", "E"),
    _c("l-infinity-word", "limit of (2x + 1)/(x - 3) as x tends to infinity", "2"),
    _c("l-rational", "Compute the limit of (x^2 - 1)/(x - 1) as x approaches 1", "2"),
    _c("l-compact", "What is lim x->0 of sin(3x)/x?", "3"),
    _c("l-arrow", "limit of x*log(x) as x → 0", "0"),
)


def _sympify(text: str) -> Any:
    import sympy as sp
    from sympy.parsing.sympy_parser import (
        convert_xor,
        implicit_multiplication_application,
        parse_expr,
        standard_transformations,
    )

    transformations = (*standard_transformations, implicit_multiplication_application, convert_xor)
    return parse_expr(text, transformations=transformations, local_dict={"E": sp.E, "I": sp.I, "oo": sp.oo})


def _is_zero(expr: Any) -> bool:
    """Zero after expansion, or numerically zero at a few points (cheaper than `simplify`)."""
    import sympy as sp

    if expr == 0 or sp.expand(expr) == 0:
        return True
    symbols = sorted(expr.free_symbols, key=str)
    for point in _POINTS:
        value = complex(expr.subs({s: point + i / 7 for i, s in enumerate(symbols)}).evalf())
        if abs(value) > 1e-9 * max(1.0, abs(point)):
            return False
    return True


_POINTS = (0.37, 1.31, 2.93)


def equivalent(answer: str, expected: str, kind: str = "expr", var: str = "x") -> bool:
    """Whether `answer` means the same as `expected` (sympy syntax both)."""
    import sympy as sp

    if kind == "set":
        got, want = _sympify(answer), _sympify(expected)
        if not isinstance(got, (list, tuple)):
            return False
        if len(got) != len(want):
            return False
        return all(any(_is_zero(g - w) for g in got) for w in want)
    diff = _sympify(answer) - _sympify(expected)
    if kind == "antiderivative":
        return _is_zero(sp.diff(diff, sp.Symbol(var)))
    return _is_zero(diff)


def judge(case: Case) -> CaseOutcome:
    from mutable.symbolic import answer_from_output, parse_math, sympy_script

    problem = parse_math(case.text)
    if problem is None:
        return CaseOutcome(False, f"task {case.text!r} was not recognised as a math problem")
    script = sympy_script(problem)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(script, f"<math:{case.id}>", "exec"), {"__name__": "__main__"})
    answer = answer_from_output(out.getvalue())
    if answer is None:
        return CaseOutcome(False, "the script printed no answer")
    ok = equivalent(answer, case.expected, case.kind, case.var)
    return CaseOutcome(ok, f"{problem.op}({problem.expr!r}) -> {answer}; expected {case.expected}")


def evaluate(trials: int = 1) -> tuple[list[CaseResult], list[float]]:
    return score_each(CASES, lambda c: c.id, judge), []
