from __future__ import annotations

import pytest

from mutable.lang import LANGUAGES, detect_language, get_language, missing_toolchain_message, run_job


def test_registry_has_the_24_seed_languages() -> None:
    names = {lang.name for lang in LANGUAGES}
    seed = {
        "rust", "c", "cpp", "zig", "python", "ruby", "elixir", "javascript", "typescript", "haskell",
        "ocaml", "fsharp", "java", "kotlin", "scala", "csharp", "nim", "haxe", "go", "swift", "sql",
        "glsl", "wgsl", "wasm",
    }  # fmt: skip
    assert seed <= names
    for lang in LANGUAGES:
        assert lang.file and lang.run, lang.name
        assert lang.name == "python" or lang.requires, lang.name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Write a Rust function for Fibonacci with memoization", "rust"),
        ("write a javascript function that deep-clones an object", "javascript"),
        ("Write a Java method that reverses a list", "java"),
        ("in c++ write a template function max3", "cpp"),
        ("Write a C# method that uses LINQ", "csharp"),
        ("write a c program that prints hello world", "c"),
        ("Implement a rate limiter in Go using a token bucket", "go"),
        ("Write a function that goes through a list and removes duplicates", None),
        ("Fix this:\n```rust\nfn main() {}\n```", "rust"),
    ],
)
def test_detect_language(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected


def test_aliases_resolve() -> None:
    assert get_language("c++") is get_language("cpp")
    assert get_language("golang") is get_language("go")
    assert get_language("brainfuck") is None


def test_run_job_builds_then_runs() -> None:
    rust = get_language("rust")
    assert rust is not None
    job = run_job(rust, {"main.rs": "fn main() {}"}, stdin="1\n")
    assert [s.name for s in job.steps] == ["build", "run"]
    assert job.steps[-1].stdin == "1\n"
    assert job.requires == ("rustc",)


def test_missing_toolchain_message_says_what_to_do() -> None:
    zig = get_language("zig")
    assert zig is not None
    message = missing_toolchain_message(zig, "zig")
    assert "install" in message and "Docker" in message
