"""Pull the program out of an LLM reply: fenced blocks, bare code, prose around it, wrong tags.

`extract_code(reply, language)` returns the code the agent should run (possibly empty when the
reply holds none). Several fenced blocks are judged by their tag and content: blocks tagged with
the target language win, then untagged ones; a block that only shows a shell command or the
program's output is dropped.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from mutable.lang import get_language, language_for_tag

__all__ = ["CodeBlock", "extract_code", "find_blocks"]

logger = logging.getLogger(__name__)

_FENCE = re.compile(
    r"^[ \t]*(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.MULTILINE | re.DOTALL
)
_OPEN_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n]*\n(.*)\Z", re.MULTILINE | re.DOTALL)
_SHELL_TAGS = frozenset({"bash", "sh", "shell", "console", "zsh", "powershell", "cmd", "text", "output"})
_CODE_LINE = re.compile(
    r"^\s*(?:def |class |import |from \S+ import|fn |pub |use |#include|int |void |public |private |"
    r"static |func |package |let |const |var |function |module |return |if |for |while |print|"
    r"console\.|std::|SELECT |CREATE |INSERT |@|}|{|\)|#!|//|/\*|\*|#)"
)


@dataclass(frozen=True)
class CodeBlock:
    tag: str
    code: str


def find_blocks(reply: str) -> list[CodeBlock]:
    """Every fenced block in order; an unterminated last fence counts as a block too."""
    blocks = [CodeBlock(tag=m.group(2).lower(), code=m.group(3)) for m in _FENCE.finditer(reply)]
    if not blocks:
        unterminated = _OPEN_FENCE.search(reply)
        if unterminated:
            blocks.append(CodeBlock(tag=unterminated.group(2).lower(), code=unterminated.group(3)))
    return blocks


def _bare_code(reply: str) -> str:
    """Code written without fences: drop leading and trailing prose lines."""
    lines = reply.strip("\n").splitlines()
    start = 0
    while start < len(lines) and not _CODE_LINE.match(lines[start]):
        start += 1
    end = len(lines)
    while end > start and not _CODE_LINE.match(lines[end - 1]) and not lines[end - 1].startswith((" ", "\t")):
        end -= 1
    return "\n".join(lines[start:end])


def _rank(block: CodeBlock, language: str) -> int:
    tagged = language_for_tag(block.tag) if block.tag else None
    if tagged is not None and tagged.name == language:
        return 3
    if not block.tag:
        return 2
    if block.tag in _SHELL_TAGS:
        return 0
    return 1


def extract_code(reply: str, language: str) -> str:
    """The code in `reply` for `language` (a canonical name), stripped of fences and prose."""
    lang = get_language(language)
    name = lang.name if lang else language
    blocks = find_blocks(reply)
    if not blocks:
        bare = _bare_code(reply).strip("\n")
        return bare + "\n" if bare else ""
    ranked = sorted(blocks, key=lambda b: _rank(b, name), reverse=True)
    best = ranked[0]
    if _rank(best, name) == 0:
        return ""
    return best.code.strip("\n") + "\n"
