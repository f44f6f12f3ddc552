"""Fix common syntax slips in generated code without asking the LLM again.

Python is checked with `ast.parse` and repaired line by line at the reported error: a missing
colon after a block header, a Python 2 `print x`, unclosed brackets at the end of a line, tabs
mixed with spaces. Brace languages get missing semicolons after simple statements and unclosed
braces at the end. Code that already parses is returned unchanged.
"""

from __future__ import annotations

import ast
import logging
import re

__all__ = ["BRACE_LANGUAGES", "python_parses", "repair_syntax"]

logger = logging.getLogger(__name__)

BRACE_LANGUAGES = frozenset(
    {"c", "cpp", "java", "csharp", "javascript", "typescript", "rust", "kotlin", "swift"}
)
_SEMICOLON_LANGUAGES = frozenset({"c", "cpp", "java", "csharp"})

_HEADER = re.compile(
    r"^(\s*)(def|class|if|elif|else|for|while|try|except|finally|with|async def|async for)\b(.*)$"
)
_PRINT2 = re.compile(r"^(\s*)print\s+(?!\()(.+?)\s*$")
_PAIRS = {"(": ")", "[": "]", "{": "}"}
MAX_PASSES = 8


def python_parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def _open_brackets(line: str) -> str:
    """The closers a line needs for brackets it opened (ignoring strings, roughly)."""
    stack: list[str] = []
    quote = ""
    for ch in line:
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "#":
            break
        elif ch in _PAIRS:
            stack.append(_PAIRS[ch])
        elif ch in ")]}" and stack and stack[-1] == ch:
            stack.pop()
    return "".join(reversed(stack))


def _fix_python_line(line: str) -> str:
    text = line.expandtabs(4)
    printed = _PRINT2.match(text)
    if printed and not printed.group(2).startswith(("=", ".")):
        return f"{printed.group(1)}print({printed.group(2)})"
    closers = _open_brackets(text)
    if closers:
        text = text.rstrip() + closers
    header = _HEADER.match(text)
    if header and not text.rstrip().endswith(":"):
        return text.rstrip() + ":"
    return text


def _repair_python(code: str) -> str:
    lines = code.split("\n")
    for _ in range(MAX_PASSES):
        source = "\n".join(lines)
        try:
            ast.parse(source)
        except SyntaxError as exc:
            index = (exc.lineno or 1) - 1
            if index >= len(lines):
                index = len(lines) - 1
            if "\t" in source:
                fixed = [line.expandtabs(4) for line in lines]
            else:
                fixed = list(lines)
                fixed[index] = _fix_python_line(lines[index])
            if fixed == lines and index > 0:
                fixed[index - 1] = _fix_python_line(lines[index - 1])
            if fixed == lines:
                return code
            lines = fixed
        else:
            return source
    return "\n".join(lines) if python_parses("\n".join(lines)) else code


_NEEDS_SEMI = re.compile(r"[\w)\]'\"]$")
_NO_SEMI_START = re.compile(
    r"^\s*(?:if|for|while|switch|else|do|#|//|/\*|\*|}|{|case\b|default\b|public:|private:)"
)


def _repair_braces(code: str, language: str) -> str:
    lines = code.rstrip("\n").split("\n")
    if language in _SEMICOLON_LANGUAGES:
        for i, line in enumerate(lines):
            stripped = line.rstrip()
            nxt = next((n.strip() for n in lines[i + 1 :] if n.strip()), "")
            if (
                stripped.strip()
                and _NEEDS_SEMI.search(stripped)
                and not _NO_SEMI_START.match(stripped)
                and not re.search(r"\)\s*$", stripped)
                and not nxt.startswith(("{", ".", "+", "-", "*", "/", "?", ":", "&&", "||"))
            ) or (
                stripped.strip()
                and re.search(r"\)\s*$", stripped)
                and not _NO_SEMI_START.match(stripped)
                and re.match(r"^\s*[\w.:<>]+\s*(?:\(|=|<<|\+\+|--)", stripped)
                and not re.match(r"^\s*(?:[\w:<>*&]+\s+)+[\w:]+\s*\(", stripped)
                and not nxt.startswith("{")
            ):
                lines[i] = stripped + ";"
    depth = sum(line.count("{") - line.count("}") for line in lines)
    if depth > 0:
        lines.extend("}" * 1 for _ in range(depth))
    return "\n".join(lines) + "\n"


def repair_syntax(code: str, language: str) -> str:
    """`code` with common slips fixed; unchanged when it already parses or cannot be fixed."""
    if language == "python":
        if python_parses(code):
            return code
        return _repair_python(code)
    if language in BRACE_LANGUAGES:
        return _repair_braces(code, language)
    return code
