"""The reply parser: every shape of reply a model sends becomes edits or a reason, never a crash."""

from __future__ import annotations

import ast
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.edits import EditApplied, EditRejected, apply_edit
from core.proposers.parse import EditRequest, ParsedEdit, ParseFailure, parse_reply
from core.records import EditKind, EditOp

MODULE = textwrap.dedent(
    '''\
    """Language detection."""

    from __future__ import annotations

    import re

    KEYWORDS = {"rust": ("fn main",)}


    def detect_language(text: str) -> str | None:
        """Name the language `text` asks for."""
        if "fn main" in text:
            return "rust"
        return None


    class Registry:
        def lookup(self, name: str) -> str:
            return name.lower()
    '''
)
REQUEST = EditRequest("mutable/lang.py", "detect_language", EditKind.FUNCTION, MODULE)
METHOD_REQUEST = EditRequest("mutable/lang.py", "Registry.lookup", EditKind.METHOD, MODULE)

NEW_FUNCTION = textwrap.dedent(
    '''\
    def detect_language(text: str) -> str | None:
        """Name the language `text` asks for."""
        lowered = text.lower()
        if "fn main" in lowered or "rust" in lowered:
            return "rust"
        return None
    '''
)


def reply(
    code: str, *, header: str = "EDIT replace function mutable/lang.py:detect_language", why: str = ""
) -> str:
    why_line = why or "WHY: also detect Rust when the task names it"
    return f"{why_line}\n{header}\n```python\n{code}```\n"


def failure(result: ParsedEdit | ParseFailure) -> str:
    assert isinstance(result, ParseFailure), result
    return result.reason


def test_well_formed_reply() -> None:
    result = parse_reply(reply(NEW_FUNCTION), REQUEST)
    assert isinstance(result, ParsedEdit)
    assert result.rationale == "also detect Rust when the task names it"
    (edit,) = result.edits
    assert (edit.op, edit.kind, edit.path, edit.target) == (
        EditOp.REPLACE,
        EditKind.FUNCTION,
        "mutable/lang.py",
        "detect_language",
    )
    assert edit.code == NEW_FUNCTION
    applied = apply_edit(MODULE, edit)
    assert isinstance(applied, EditApplied) and "lowered = text.lower()" in applied.new_source


def test_lenient_shapes_small_models_send() -> None:
    no_header = f"Here is the improved function:\n```py\n{NEW_FUNCTION}```"
    result = parse_reply(no_header, REQUEST)
    assert isinstance(result, ParsedEdit) and result.rationale == "Here is the improved function:"
    bare = f"EDIT replace function mutable/lang.py:detect_language\n{NEW_FUNCTION}"
    assert isinstance(parse_reply(bare, REQUEST), ParsedEdit)
    short_path = reply(NEW_FUNCTION, header="**EDIT: replace function `lang.py:detect_language`**")
    assert isinstance(parse_reply(short_path, REQUEST), ParsedEdit)
    unclosed = f"EDIT replace function mutable/lang.py:detect_language\n```python\n{NEW_FUNCTION}"
    assert isinstance(parse_reply(unclosed, REQUEST), ParsedEdit)
    indented = reply(textwrap.indent(NEW_FUNCTION, "    "))
    assert isinstance(parse_reply(indented, REQUEST), ParsedEdit)


def test_importing_the_modules_own_names_is_dropped() -> None:
    own = "from mutable.lang import Registry, KEYWORDS\n\n"
    code = NEW_FUNCTION.replace(
        "lowered = text.lower()", "lowered = text.lower() if Registry and KEYWORDS else ''"
    )
    result = parse_reply(reply(own + code), REQUEST)
    assert isinstance(result, ParsedEdit) and [e.kind for e in result.edits] == [EditKind.FUNCTION]


def test_an_echoed_example_header_and_unused_helper_are_ignored() -> None:
    echo = "EDIT replace function example.py:count_words\n"
    unused = "def count_words(text: str) -> int:\n    return len(text.split())\n\n\n"
    result = parse_reply(echo + reply(unused + NEW_FUNCTION), REQUEST)
    assert isinstance(result, ParsedEdit)
    assert [e.target for e in result.edits] == ["detect_language"]


def test_a_usage_example_block_beside_the_code_is_ignored() -> None:
    text = reply(NEW_FUNCTION) + "\nFor example:\n```python\nprint(detect_language('fn main() {}'))\n```\n"
    result = parse_reply(text, REQUEST)
    assert isinstance(result, ParsedEdit) and result.edits[0].code == NEW_FUNCTION


def test_repeated_blocks_and_an_echoed_example_are_unambiguous() -> None:
    example = "```python\ndef count_words(text: str) -> int:\n    return len(text.split())\n```\n"
    truncated = f"```python\n{NEW_FUNCTION[:60]}"
    text = (
        example
        + reply(NEW_FUNCTION)
        + reply(NEW_FUNCTION.replace("    lowered", "\n    lowered"))
        + truncated
    )
    result = parse_reply(text, REQUEST)
    assert isinstance(result, ParsedEdit) and [e.target for e in result.edits] == ["detect_language"]


def test_whole_module_sent_back_keeps_only_the_change() -> None:
    whole = MODULE.replace(
        '        return "rust"\n',
        '        return "rust"\n    if "package main" in text:\n        return "go"\n',
    )
    result = parse_reply(reply(whole), REQUEST)
    assert isinstance(result, ParsedEdit)
    assert [e.target for e in result.edits] == ["detect_language"]
    assert '"go"' in result.edits[0].code


def test_helpers_and_used_imports_become_additions() -> None:
    code = (
        "import string\nimport os\n\n"
        "def _words(text: str) -> list[str]:\n    return text.strip(string.punctuation).split()\n\n"
        "def detect_language(text: str) -> str | None:\n"
        "    if 'fn' in _words(text):\n        return 'rust'\n    return None\n"
        "\nprint(detect_language('fn main'))\n"
    )
    result = parse_reply(reply(code), REQUEST)
    assert isinstance(result, ParsedEdit)
    assert [(e.op, e.kind, e.target) for e in result.edits] == [
        (EditOp.REPLACE, EditKind.FUNCTION, "detect_language"),
        (EditOp.ADD, EditKind.IMPORT, "string"),
        (EditOp.ADD, EditKind.FUNCTION, "_words"),
    ]
    source = MODULE
    for edit in result.edits:
        applied = apply_edit(source, edit)
        assert isinstance(applied, EditApplied), applied
        source = applied.new_source
    compile(source, "lang.py", "exec")


def test_method_from_bare_def_or_whole_class() -> None:
    new = "def lookup(self, name: str) -> str:\n    return name.strip().lower()\n"
    for text in (
        reply(new, header="EDIT replace method mutable/lang.py:Registry.lookup"),
        reply(f"class Registry:\n{textwrap.indent(new, '    ')}", header=""),
    ):
        result = parse_reply(text, METHOD_REQUEST)
        assert isinstance(result, ParsedEdit), result
        assert result.edits[0].target == "Registry.lookup" and result.edits[0].code == new


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the reply is empty"),
        ("   \n\t ", "the reply is empty"),
        ("You should handle more languages, e.g. Go and Zig.", "no ```python code block (prose only)"),
        (
            reply(NEW_FUNCTION) + f"\n```python\n{NEW_FUNCTION.replace('rust', 'go')}```",
            "2 different code blocks",
        ),
        ("```python\nx = 1\n```\n```python\ny = 2\n```", "2 different code blocks"),
        (
            reply(
                NEW_FUNCTION.replace("detect_language", "detect_lang"),
                header="EDIT replace function lang.py:detect_lang",
            ),
            "wrong symbol: the EDIT line names 'detect_lang'",
        ),
        (
            reply(NEW_FUNCTION.replace("detect_language", "detect_lang"), header=""),
            "wrong symbol: the code defines 'detect_lang'",
        ),
        (reply(NEW_FUNCTION.replace("None:", "None")), "not valid Python: expected ':' (line 1)"),
        (
            reply("class detect_language:\n    pass\n"),
            "wrong node kind: 'detect_language' should be a function",
        ),
        (reply("detect_language = None\n"), "wrong node kind"),
        (reply(MODULE), "unchanged from the current definition"),
        (
            reply(NEW_FUNCTION, header="EDIT replace function mutable/other.py:detect_language"),
            "wrong module",
        ),
        (reply(NEW_FUNCTION, header="EDIT remove function mutable/lang.py:detect_language"), "says 'remove'"),
        (
            reply(NEW_FUNCTION)
            + "EDIT replace function lang.py:detect_language\nEDIT add function lang.py:detect_language",
            "several EDIT lines",
        ),
        (
            reply(NEW_FUNCTION, header="EDIT replace function lang.py:a\nEDIT replace function lang.py:b"),
            "several EDIT lines",
        ),
        ("```rust\nfn main() {}\n```", "tagged 'rust', not python"),
        (reply("x = 1\n"), "wrong symbol: the code defines 'x'"),
        (reply("print('hi')\n"), "no definition of 'detect_language'"),
        (reply("def KEYWORDS() -> None:\n    pass\n" + NEW_FUNCTION), "redefines 'KEYWORDS' as a function"),
        (reply("import os\n"), "no definition"),
        (reply("(" * 300 + ")" * 300 + "\n"), "not valid Python"),
        (reply("x = '\0'\n"), "not valid Python"),
    ],
)
def test_rejections_say_why(text: str, expected: str) -> None:
    assert expected in failure(parse_reply(text, REQUEST))


def test_a_docstring_only_change_is_no_change() -> None:
    original = MODULE[MODULE.index("def detect_language") : MODULE.index("\n\n\nclass")] + "\n"
    redocumented = original.replace("Name the language `text` asks for.", "Count the words in text.")
    assert "unchanged" in failure(parse_reply(reply(redocumented), REQUEST))
    undocumented = original.replace('    """Name the language `text` asks for."""\n', "")
    assert "unchanged" in failure(parse_reply(reply(undocumented), REQUEST))


def test_unchanged_ignores_formatting_and_comments() -> None:
    same = NEW_FUNCTION.replace("lowered = text.lower()", "lowered = text.lower()  # comment")
    module = MODULE.replace(
        '    if "fn main" in text:\n        return "rust"\n    return None\n',
        '    lowered = text.lower()\n    if "fn main" in lowered or "rust" in lowered:\n'
        '        return "rust"\n    return None\n',
    )
    request = EditRequest("mutable/lang.py", "detect_language", EditKind.FUNCTION, module)
    result = parse_reply(reply(same), request)
    assert "unchanged" in failure(result)
    assert isinstance(result, ParseFailure) and result.code  # kept for fingerprinting


# --- hostile and malformed replies (property) -------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        "```python",
        "```",
        "~~~",
        "```py",
        "```rust",
        "````",
        "EDIT replace function mutable/lang.py:detect_language",
        "EDIT replace method mutable/lang.py:Registry.lookup",
        "EDIT add function mutable/lang.py:helper",
        "EDIT: replace function lang.py:detect_lang",
        "WHY: because",
        "WHY:",
        NEW_FUNCTION,
        NEW_FUNCTION.replace("detect_language", "detect_lang"),
        NEW_FUNCTION.replace("None:", "None"),
        MODULE,
        "class detect_language:\n    pass",
        "def detect_language(text):\n\treturn 1\n        return 2",
        "import os, sys\nfrom . import x\nfrom __future__ import annotations",
        "def lookup(self, name: str) -> str:\n    return name",
        "class Registry:\n    def lookup(self, name: str) -> str:\n        return ''",
        "KEYWORDS = 3",
        "if __name__ == '__main__':\n    detect_language('x')",
        "async def detect_language(text: str) -> str | None:\n    return None",
        "@decorator\ndef detect_language(text: str) -> str | None:\n    return 'x'",
        "(" * 120,
        "[" * 60 + "]" * 60,
        "lambda: " * 50 + "0",
        "-" * 400 + "1",
        "x = '\x00'",
        "\ufeff\u202e\u0000\udcff",
        "    ",
        "\t\t",
        "\r\n",
        "def f(:\n",
        "return",
        "***",
        "`" * 7,
    ]
)
REPLIES = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(FRAGMENTS, st.text(max_size=40)), max_size=12).map("\n".join),
    st.lists(FRAGMENTS, min_size=1, max_size=8).map("\n".join),
)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=REPLIES, method=st.booleans())
def test_hostile_replies_never_crash_and_always_explain(text: str, method: bool) -> None:
    request = METHOD_REQUEST if method else REQUEST
    result = parse_reply(text, request)
    if isinstance(result, ParseFailure):
        assert result.reason.strip()
        return
    assert isinstance(result, ParsedEdit) and result.edits
    assert any(e.kind is not EditKind.IMPORT for e in result.edits)
    source = request.module_source
    for edit in result.edits:
        assert edit.path == request.path
        ast.parse(edit.code)
        applied = apply_edit(source, edit)  # the edit engine may refuse, but must not raise
        assert isinstance(applied, (EditApplied, EditRejected))
        if isinstance(applied, EditApplied):
            source = applied.new_source
