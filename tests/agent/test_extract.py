from __future__ import annotations

from mutable.extract import extract_code, find_blocks


def test_fenced_block_with_prose_around() -> None:
    reply = "Here you go:\n\n```python\ndef f():\n    return 1\n```\n\nThis returns one."
    assert extract_code(reply, "python") == "def f():\n    return 1\n"


def test_prefers_block_tagged_with_the_language() -> None:
    reply = "Run it with:\n```bash\npython main.py\n```\nCode:\n```python\nprint('hi')\n```"
    assert extract_code(reply, "python") == "print('hi')\n"


def test_untagged_fence() -> None:
    assert extract_code("```\nfn main() {}\n```", "rust") == "fn main() {}\n"


def test_shell_only_gives_nothing() -> None:
    assert extract_code("```bash\nls -la\n```", "python") == ""


def test_bare_code_drops_leading_prose() -> None:
    reply = "Sure! Here is the function.\ndef add(a, b):\n    return a + b"
    assert extract_code(reply, "python") == "def add(a, b):\n    return a + b\n"


def test_unterminated_fence_is_a_block() -> None:
    blocks = find_blocks("```rust\nfn main() {\n}\n")
    assert len(blocks) == 1 and blocks[0].tag == "rust"


def test_prose_only_reply_gives_nothing() -> None:
    assert extract_code("I cannot help with that.", "python") == ""
