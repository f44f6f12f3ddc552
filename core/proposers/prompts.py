"""The prompts the LLM proposer sends, and how their context is fitted into a token budget.

These live in core, not in `mutable/`: the agent must not rewrite the rules it is judged by.
The reply format is deliberately tiny so a 0.5B model can follow it: a `WHY:` line, an
`EDIT replace <kind> <path>:<symbol>` line and one fenced python block (see `SYSTEM_PROMPT`).
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from core.proposers.parse import find_symbol
from core.records import EditKind

__all__ = [
    "CHARS_PER_TOKEN",
    "SYSTEM_PROMPT",
    "PromptContext",
    "build_messages",
    "estimate_tokens",
    "module_outline",
]

logger = logging.getLogger(__name__)

CHARS_PER_TOKEN = 4
#: module-level names an outline leaves out (they tell a model nothing about the code)
_NOISE = frozenset({"__all__", "logger"})

SYSTEM_PROMPT = """\
You improve one function of a Python coding agent. Reply in exactly this format:

WHY: <one sentence: what you change and why>
EDIT replace function example.py:count_words
```python
def count_words(text: str) -> int:
    return sum(1 for word in text.split() if any(ch.isalnum() for ch in word))
```

Rules:
- One ```python block with the complete new definition of the named symbol.
- Keep its name, signature and docstring. Full type hints (mypy --strict). Standard library only.
- Change what the code does so the failing cases pass. Never repeat a failed attempt.
- You may put a new helper function or an import in the same block, nothing else."""


@dataclass(frozen=True)
class PromptContext:
    """Everything the proposer knows about one target, already rendered as short text lines."""

    path: str
    symbol: str
    kind: EditKind
    module_source: str
    failing_cases: tuple[str, ...] = ()
    feedback: str = ""
    past_attempts: tuple[str, ...] = ()
    goals: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def estimate_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    args = ast.unparse(node.args)
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    doc = ast.get_docstring(node)
    summary = f"  # {doc.splitlines()[0]}" if doc else ""
    return f"{node.name}({args}){returns}{summary}"


def module_outline(source: str, skip: str = "") -> str:
    """The module's other names as a bullet list (imports, constants, signatures), deliberately not
    Python: a small model copies code it is shown, and an outline is not code to copy."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return ""
    imports: list[str] = []
    out: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            imports += [alias.asname or alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            imports += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            if ast.unparse(node.targets[0] if isinstance(node, ast.Assign) else node.target) in _NOISE:
                continue
            first = (ast.get_source_segment(source, node) or "").splitlines()[0]
            out.append(f"- constant {first[:80]}" + (" ..." if node.end_lineno != node.lineno else ""))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name != skip:
            out.append(f"- function {_signature(node)}")
        elif isinstance(node, ast.ClassDef):
            methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
            shown = [f"{node.name}.{_signature(m)}" for m in methods if f"{node.name}.{m.name}" != skip]
            out.append(f"- class {node.name}" + "".join(f"\n  - method {m}" for m in shown))
    if imports:
        out.insert(0, f"- imports: {', '.join(imports)}")
    return "\n".join(out)


def _symbol_source(source: str, symbol: str) -> str:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return ""
    node = find_symbol(tree, symbol)
    if node is None:
        return ""
    segment = ast.get_source_segment(source, node, padded=True) or ""
    decorators = getattr(node, "decorator_list", [])
    if decorators:
        lines = source.splitlines()
        segment = "\n".join(lines[min(d.lineno for d in decorators) - 1 : node.end_lineno])
    return segment


def _called_helpers(source: str, symbol: str) -> list[str]:
    """The source of the module-level functions `symbol` calls by name, in order of first call."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return []
    node = find_symbol(tree, symbol)
    if node is None:
        return []
    functions = {
        n.name: n
        for n in tree.body
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n is not node
    }
    called: list[str] = []
    for call in ast.walk(node):
        name = call.func.id if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) else ""
        if name in functions and name not in called:
            called.append(name)
    return [_symbol_source(source, name) + "\n" for name in called]


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 15)].rstrip() + "\n[... clipped]"


def _section(title: str, items: Sequence[str], limit: int) -> str:
    """`title` and as many `items` as fit in `limit` characters (each item clipped to fit)."""
    if not items or limit < len(title) + 40:
        return ""
    out = [title]
    used = len(title) + 1
    for item in items:
        line = "- " + " ".join(item.split()) if "\n" not in item.strip() else "- " + item.strip()
        room = limit - used
        if room < 40:
            break
        line = _clip(line, room)
        out.append(line)
        used += len(line) + 1
    return "\n".join(out) if len(out) > 1 else ""


def _shown_path(path: str) -> str:
    """The module path as the prompt shows it: `lang.py`, not `mutable/lang.py` (the word
    "mutable" made a small model answer that the function "should not be changed")."""
    return path.removeprefix("mutable/")


def build_messages(context: PromptContext, budget_tokens: int) -> list[dict[str, str]]:
    """The chat messages for `context`, with the user message fitted into `budget_tokens`.

    Space goes first to the target's code (the whole module when it fits, else the target, the
    functions it calls and an outline of the rest), then the last gate failure, the failing
    cases, past failed attempts, goals and notes. They are shown in reading order: module,
    code, cases, failure, past attempts, human input, and the request last (small models
    follow the end of a prompt best).
    """
    budget = max(0, budget_tokens * CHARS_PER_TOKEN - len(SYSTEM_PROMPT))
    kind = "method" if context.kind is EditKind.METHOD else str(context.kind)
    path = _shown_path(context.path)
    ask = f"EDIT replace {kind} {path}:{context.symbol}"
    intro = f"Improve the {kind} `{context.symbol}` of {path}."
    closing = (
        f"\nRewrite `{context.symbol}` so that the failing cases pass; do not send it back unchanged.\n"
        f"Reply with the WHY line, then the line `{ask}`, then one ```python block with the new code."
    )
    remaining = budget - len(intro) - len(closing)
    shown: dict[str, str] = {}
    whole = f"\nThe module {path}:\n```python\n{context.module_source.rstrip()}\n```"
    if len(whole) <= remaining * 0.6:
        shown["code"] = whole
    else:
        symbol = _symbol_source(context.module_source, context.symbol)
        shown["code"] = (
            f"\nThe current code of {context.symbol}:\n```python\n{_clip(symbol, int(remaining * 0.5))}\n```"
        )
        room = int((remaining - len(shown["code"])) * 0.35)
        helpers = [h for h in _called_helpers(context.module_source, context.symbol) if len(h) < room]
        while helpers and sum(len(h) + 1 for h in helpers) > room:
            helpers.pop()
        if helpers:
            shown["helpers"] = (
                f"\nFunctions of {path} that {context.symbol} calls:\n```python\n"
                + "\n".join(helpers).rstrip()
                + "\n```"
            )
        outline = module_outline(context.module_source, skip=context.symbol)
        room = remaining - sum(len(p) for p in shown.values()) - 200
        if outline and room > 200:
            shown["outline"] = (
                f"\nOther names in {path} (an outline, not code):\n{_clip(outline, int(room * 0.3))}"
            )
    remaining -= sum(len(p) + 1 for p in shown.values())
    if context.feedback and remaining > 100:
        shown["feedback"] = (
            f"\nYour last try failed this check; fix it:\n{_clip(context.feedback, int(remaining * 0.4))}"
        )
        remaining -= len(shown["feedback"]) + 1
    for key, title, items, share in (
        ("cases", "\nFailing eval cases (make these pass):", context.failing_cases, 0.5),
        ("past", "\nPast attempts that failed (do not repeat them):", context.past_attempts, 0.5),
        ("goals", "\nGoals from the human:", context.goals, 0.6),
        ("notes", "\nNotes from the human:", context.notes, 1.0),
    ):
        block = _section(title, items, int(remaining * share))
        if block:
            shown[key] = block
            remaining -= len(block) + 1
    order = ("outline", "helpers", "code", "cases", "feedback", "past", "goals", "notes")
    parts = [intro, *(shown[key] for key in order if key in shown), closing]
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n".join(parts)}]
