"""The agent's entry point: `solve(task, tools) -> Solution`.

Classify the intent, pick the language, recall similar solved tasks, then up to
`task.max_attempts` times: prompt the LLM, extract the code, run it in the sandbox against the
task's tests or examples, and feed the failure back. The best attempt is returned with its
evidence; a passing one is remembered for next time.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from mutable import prompts, symbolic
from mutable.extract import extract_code
from mutable.lang import (
    DEFAULT_LANGUAGE,
    Language,
    detect_language,
    get_language,
    missing_toolchain_message,
    run_job,
)
from mutable.repair import repair_syntax
from mutable.tools import Attempt, RunJob, RunResult, Solution, Step, Task, Tools, ToolsError

__all__ = ["Check", "assemble", "check_run", "classify_intent", "solve"]

logger = logging.getLogger(__name__)

RECALL = 2
SYMPY_TIMEOUT = 30.0

_EXPLAIN = re.compile(r"^\s*(?:explain|describe|what does|what is|how does|why does)\b", re.IGNORECASE)
_FIX = re.compile(r"\b(?:fix|debug|repair|broken|doesn'?t work|bug|error in)\b", re.IGNORECASE)
_MATH = re.compile(
    r"^\s*(?:differentiate|integrate|simplify|expand|factor|solve|find the (?:derivative|integral|"
    r"taylor series|series|limit|roots?))\b|\b(?:derivative of|integral of|taylor series of|limit of)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Check:
    """Whether a run passed, and the feedback for the LLM when it did not."""

    passed: bool
    what: str = ""
    output: str = ""


def classify_intent(text: str) -> str:
    """One of "explain", "fix", "math", "code"."""
    if _EXPLAIN.search(text):
        return "explain"
    if _MATH.search(text) and not re.search(r"\b(?:function|program|class|method)\b", text, re.IGNORECASE):
        return "math"
    if _FIX.search(text):
        return "fix"
    return "code"


def assemble(code: str, task: Task, language: Language) -> dict[str, str]:
    """The files of one run: the solution followed by the task's tests, in the language's file."""
    source = code.rstrip("\n") + "\n"
    if task.tests:
        source += "\n\n" + task.tests.strip("\n") + "\n"
    return {language.file: source}


def check_run(task: Task, result: RunResult, stdin_expected: str | None = None) -> Check:
    """Judge one run: the step succeeded and, with an example, printed what was expected."""
    if result.timed_out:
        return Check(False, f"timed out in the {result.step} step", result.output)
    if not result.ok:
        return Check(False, f"the {result.step} step exited with code {result.exit_code}", result.output)
    if stdin_expected is not None and result.stdout.strip() != stdin_expected.strip():
        shown = f"expected output:\n{stdin_expected.strip()}\nactual output:\n{result.stdout.strip()}"
        return Check(False, "wrong output", shown)
    return Check(True)


def _run_and_check(task: Task, code: str, language: Language, tools: Tools) -> tuple[RunResult, Check]:
    files = assemble(code, task, language)
    if not task.examples:
        result = tools.run(run_job(language, files))
        return result, check_run(task, result)
    result = RunResult(ok=False)
    for example in task.examples:
        result = tools.run(run_job(language, files, stdin=example.stdin))
        check = check_run(task, result, example.expected)
        if not check.passed or result.missing:
            return result, check
    return result, Check(True)


def _explain(task: Task, language: Language, tools: Tools) -> Solution:
    messages = [
        {"role": "system", "content": prompts.EXPLAIN_SYSTEM},
        {"role": "user", "content": prompts.EXPLAIN.format(text=task.text)},
    ]
    try:
        answer = tools.complete(messages, purpose="solve.explain").text
    except ToolsError as exc:
        return Solution(
            task=task, intent="explain", language=language.name, code="", passed=False, note=str(exc)
        )
    return Solution(
        task=task, intent="explain", language=language.name, code="", passed=True, answer=answer.strip()
    )


@dataclass(frozen=True)
class MathResult:
    """What sympy answered for a symbolic task (or why it could not)."""

    problem: symbolic.MathProblem
    script: str
    answer: str | None
    result: RunResult


def _sympy(task: Task, tools: Tools) -> MathResult | None:
    """Run a sympy script for the task in the sandbox; None when the task is not one sympy reads."""
    problem = symbolic.parse_math(task.text)
    if problem is None:
        return None
    script = symbolic.sympy_script(problem)
    job = RunJob(
        language="python",
        files={"solve_math.py": script},
        steps=(Step(argv=("{python}", "solve_math.py")),),
        timeout=SYMPY_TIMEOUT,
    )
    result = tools.run(job)
    answer = symbolic.answer_from_output(result.stdout) if result.ok else None
    return MathResult(problem=problem, script=script, answer=answer, result=result)


def _math_solution(task: Task, intent: str, math: MathResult) -> Solution:
    """The answer itself, with the sympy script that computed it as the code (no language asked)."""
    attempt = Attempt(number=1, code=math.script, passed=math.answer is not None, result=math.result)
    return Solution(
        task=task,
        intent=intent,
        language="python",
        code=math.script,
        passed=math.answer is not None,
        attempts=(attempt,),
        answer=math.answer or "",
        note="" if math.answer is not None else "sympy could not answer: " + math.result.output[-300:],
    )


def _pick_language(task: Task) -> Language | str:
    name = task.language or detect_language(task.text) or DEFAULT_LANGUAGE
    language = get_language(name)
    if language is None:
        return f"unknown language {name!r}"
    return language


def solve(task: Task, tools: Tools) -> Solution:
    """Write code for `task`, run it in the sandbox, retry on failure; return the best attempt."""
    intent = classify_intent(task.text)
    picked = _pick_language(task)
    if isinstance(picked, str):
        return Solution(
            task=task, intent=intent, language=task.language or "", code="", passed=False, note=picked
        )
    language = picked
    if intent == "explain":
        return _explain(task, language, tools)
    answer = ""
    user_text: str | None = None
    if intent == "math":
        math = _sympy(task, tools)
        if math is not None and (math.answer is None or not _asked_for_code(task)):
            return _math_solution(task, intent, math)
        if math is not None and math.answer is not None:
            answer = math.answer
            user_text = prompts.MATH_TO_CODE.format(
                text=task.text.strip(),
                answer=answer,
                display=language.display,
                entry=f" as `{task.entry_point}`" if task.entry_point else "",
            )
    attempts, note = _attempts(task, language, tools, user_text)
    best = _best(attempts)
    if best is not None and best.passed:
        tools.remember(task.text, language.name, best.code)
    return Solution(
        task=task,
        intent=intent,
        language=language.name,
        code=best.code if best else "",
        passed=bool(best and best.passed),
        attempts=tuple(attempts),
        answer=answer,
        note=note,
    )


def _attempts(
    task: Task, language: Language, tools: Tools, user_text: str | None
) -> tuple[list[Attempt], str]:
    """Prompt, extract, run and check until an attempt passes or the attempts run out.

    Returns the attempts and a note when the loop stopped early (LLM unavailable, no toolchain).
    """
    shots = list(tools.recall(task.text, RECALL, language.name))
    attempts: list[Attempt] = []
    history: list[prompts.Turn] = []
    for number in range(1, max(1, task.max_attempts) + 1):
        started = tools.now()
        messages = prompts.build_messages(
            task, language, examples=shots, history=history, user_text=user_text
        )
        try:
            reply = tools.complete(messages, purpose="solve", temperature=0.2 if number == 1 else 0.5)
        except ToolsError as exc:
            return attempts, f"stopped: {exc}"
        code = extract_code(reply.text, language.name)
        if language.name == "python":
            code = repair_syntax(code, language.name)
        if not code.strip():
            feedback = prompts.feedback_message("no code block in the reply", reply.text[:300], language)
            attempts.append(Attempt(number=number, code="", passed=False, feedback=feedback))
            history.append(prompts.Turn(code=reply.text, feedback=feedback))
            continue
        result, check = _run_and_check(task, code, language, tools)
        if result.missing:
            note = missing_toolchain_message(language, result.missing)
            attempts.append(Attempt(number=number, code=code, passed=False, result=result, feedback=note))
            return attempts, note
        feedback = "" if check.passed else prompts.feedback_message(check.what, check.output, language)
        seconds = tools.now() - started
        attempts.append(
            Attempt(number, code, check.passed, result=result, feedback=feedback, seconds=seconds)
        )
        if check.passed:
            break
        history.append(prompts.Turn(code=code, feedback=feedback))
    return attempts, ""


def _asked_for_code(task: Task) -> bool:
    """A symbolic task that also wants code: a language, tests, or an entry point was given."""
    return bool(task.language or task.tests or task.entry_point or detect_language(task.text))


def _best(attempts: list[Attempt]) -> Attempt | None:
    """The passing attempt, else the last one that built and ran, else the last with code."""

    def rank(attempt: Attempt) -> tuple[int, int]:
        if attempt.passed:
            return (3, attempt.number)
        if attempt.result is not None and attempt.result.step == "run":
            return (2, attempt.number)
        return (1 if attempt.code else 0, attempt.number)

    return max(attempts, key=rank, default=None)
