"""The language registry (24+ languages) and language detection from a task's text.

Each `Language` says how to write, build and run a program: the source file name, the build and
run steps (argv; `{python}` is the host interpreter, `{scratch}` the sandbox scratch dir), the
programs a local toolchain needs, and the Docker image to use instead when Docker is enabled.
`detect_language(text)` reads a task in natural language and names the language it asks for.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from mutable.tools import RunJob, Step

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Language",
    "detect_language",
    "get_language",
    "language_for_tag",
    "missing_toolchain_message",
    "run_job",
]

logger = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "python"


@dataclass(frozen=True)
class Language:
    """How to build and run one language. `name` is the canonical id (`cpp`, `csharp`)."""

    name: str
    display: str
    file: str
    run: tuple[tuple[str, ...], ...]
    build: tuple[tuple[str, ...], ...] = ()
    requires: tuple[str, ...] = ()
    image: str = ""
    #: code-fence tags an LLM may use for this language
    tags: tuple[str, ...] = ()
    #: words in a task's text that name this language (lowercase regexes, matched on word edges)
    names: tuple[str, ...] = ()
    install: str = ""
    env: tuple[tuple[str, str], ...] = field(default=())
    #: a line comment starts with this
    comment: str = "//"

    @property
    def compiled(self) -> bool:
        return bool(self.build)


#: the JVM reserves gigabytes of address space by default, more than the sandbox's memory limit
_JVM_FLAGS = (
    "-Xmx512m",
    "-XX:CompressedClassSpaceSize=64m",
    "-XX:ReservedCodeCacheSize=64m",
    "-XX:+UseSerialGC",
)
_JVM_FLAGS_JAVAC = tuple("-J" + flag for flag in _JVM_FLAGS)


def _lang(**kwargs: object) -> Language:
    return Language(**kwargs)  # type: ignore[arg-type]


LANGUAGES: tuple[Language, ...] = (
    _lang(
        name="python",
        display="Python",
        file="main.py",
        run=(("{python}", "main.py"),),
        requires=(),
        image="python:3.11-slim",
        tags=("python", "py", "python3"),
        names=(r"python3?", r"py", r"cpython", r"pypy"),
        install="python3",
        comment="#",
    ),
    _lang(
        name="rust",
        display="Rust",
        file="main.rs",
        build=(("rustc", "--edition", "2021", "-O", "-o", "main", "main.rs"),),
        run=(("./main",),),
        requires=("rustc",),
        image="rust:1-slim",
        tags=("rust", "rs"),
        names=(r"rust", r"rustlang", r"cargo"),
        install="rustc (https://rustup.rs)",
    ),
    _lang(
        name="c",
        display="C",
        file="main.c",
        build=(("gcc", "-O1", "-std=c11", "-o", "main", "main.c", "-lm"),),
        run=(("./main",),),
        requires=("gcc",),
        image="gcc:13",
        tags=("c", "h"),
        names=(r"c(?![+#])", r"ansi c", r"c99", r"c11"),
        install="gcc",
    ),
    _lang(
        name="cpp",
        display="C++",
        file="main.cpp",
        build=(("g++", "-O1", "-std=c++17", "-o", "main", "main.cpp"),),
        run=(("./main",),),
        requires=("g++",),
        image="gcc:13",
        tags=("cpp", "c++", "cxx", "cc", "hpp"),
        names=(r"c\+\+", r"cpp", r"cxx"),
        install="g++",
    ),
    _lang(
        name="zig",
        display="Zig",
        file="main.zig",
        build=(("zig", "build-exe", "main.zig", "--cache-dir", "{scratch}/.zig-cache"),),
        run=(("./main",),),
        requires=("zig",),
        image="euantorano/zig:0.13.0",
        tags=("zig",),
        names=(r"zig",),
        install="zig (https://ziglang.org/download)",
    ),
    _lang(
        name="ruby",
        display="Ruby",
        file="main.rb",
        run=(("ruby", "main.rb"),),
        requires=("ruby",),
        image="ruby:3.3-slim",
        tags=("ruby", "rb"),
        names=(r"ruby",),
        install="ruby",
        comment="#",
    ),
    _lang(
        name="elixir",
        display="Elixir",
        file="main.exs",
        run=(("elixir", "main.exs"),),
        requires=("elixir",),
        image="elixir:1.17-slim",
        tags=("elixir", "ex", "exs"),
        names=(r"elixir",),
        install="elixir",
        comment="#",
    ),
    _lang(
        name="javascript",
        display="JavaScript",
        file="main.js",
        run=(("node", "main.js"),),
        requires=("node",),
        image="node:20-slim",
        tags=("javascript", "js", "node", "nodejs", "mjs"),
        names=(r"javascript", r"js", r"node\.?js", r"node", r"ecmascript"),
        install="nodejs",
    ),
    _lang(
        name="typescript",
        display="TypeScript",
        file="main.ts",
        build=(("tsc", "--strict", "--target", "es2020", "--module", "commonjs", "main.ts"),),
        run=(("node", "main.js"),),
        requires=("tsc", "node"),
        image="node:20-slim",
        tags=("typescript", "ts"),
        names=(r"typescript", r"ts"),
        install="typescript (npm install -g typescript)",
    ),
    _lang(
        name="haskell",
        display="Haskell",
        file="Main.hs",
        build=(("ghc", "-O0", "-outputdir", "{scratch}/.ghc", "-o", "main", "Main.hs"),),
        run=(("./main",),),
        requires=("ghc",),
        image="haskell:9-slim",
        tags=("haskell", "hs"),
        names=(r"haskell", r"ghc"),
        install="ghc",
        comment="--",
    ),
    _lang(
        name="ocaml",
        display="OCaml",
        file="main.ml",
        run=(("ocaml", "main.ml"),),
        requires=("ocaml",),
        image="ocaml/opam:debian-ocaml-5.2",
        tags=("ocaml", "ml"),
        names=(r"ocaml",),
        install="ocaml",
        comment="(*",
    ),
    _lang(
        name="fsharp",
        display="F#",
        file="main.fsx",
        run=(("dotnet", "fsi", "--quiet", "main.fsx"),),
        requires=("dotnet",),
        image="mcr.microsoft.com/dotnet/sdk:8.0",
        tags=("fsharp", "f#", "fs", "fsx"),
        names=(r"f#", r"fsharp", r"f sharp"),
        install="the .NET SDK (dotnet)",
    ),
    _lang(
        name="java",
        display="Java",
        file="Main.java",
        build=(("javac", *_JVM_FLAGS_JAVAC, "Main.java"),),
        run=(("java", *_JVM_FLAGS, "-Xss16m", "-cp", ".", "Main"),),
        requires=("javac", "java"),
        image="eclipse-temurin:21-jdk",
        tags=("java",),
        names=(r"java(?!\s*script)",),
        install="a JDK (openjdk-17-jdk)",
    ),
    _lang(
        name="kotlin",
        display="Kotlin",
        file="main.kt",
        build=(("kotlinc", "main.kt", "-include-runtime", "-d", "main.jar"),),
        run=(("java", *_JVM_FLAGS, "-jar", "main.jar"),),
        requires=("kotlinc", "java"),
        image="zenika/kotlin:1.9",
        tags=("kotlin", "kt", "kts"),
        names=(r"kotlin",),
        install="kotlinc",
    ),
    _lang(
        name="scala",
        display="Scala",
        file="main.scala",
        run=(("scala-cli", "run", "main.scala"),),
        requires=("scala-cli",),
        image="virtuslab/scala-cli:latest",
        tags=("scala", "sc"),
        names=(r"scala",),
        install="scala-cli",
    ),
    _lang(
        name="csharp",
        display="C#",
        file="main.cs",
        build=(("mcs", "-out:main.exe", "main.cs"),),
        run=(("mono", "main.exe"),),
        requires=("mcs", "mono"),
        image="mono:6",
        tags=("csharp", "c#", "cs"),
        names=(r"c#", r"csharp", r"c sharp"),
        install="mono-devel (mcs) or the .NET SDK",
    ),
    _lang(
        name="nim",
        display="Nim",
        file="main.nim",
        build=(("nim", "c", "--hints:off", "--nimcache:{scratch}/.nimcache", "-o:main", "main.nim"),),
        run=(("./main",),),
        requires=("nim",),
        image="nimlang/nim:2.0.8",
        tags=("nim",),
        names=(r"nim",),
        install="nim",
        comment="#",
    ),
    _lang(
        name="haxe",
        display="Haxe",
        file="Main.hx",
        run=(("haxe", "--main", "Main", "--interp"),),
        requires=("haxe",),
        image="haxe:4.3",
        tags=("haxe", "hx"),
        names=(r"haxe",),
        install="haxe",
    ),
    _lang(
        name="go",
        display="Go",
        file="main.go",
        run=(("go", "run", "main.go"),),
        requires=("go",),
        image="golang:1.22",
        tags=("go", "golang"),
        names=(r"golang", r"go"),
        install="golang-go",
        env=(("GOCACHE", "{scratch}/.gocache"), ("GOPATH", "{scratch}/.gopath"), ("GO111MODULE", "off")),
    ),
    _lang(
        name="swift",
        display="Swift",
        file="main.swift",
        build=(("swiftc", "-o", "main", "main.swift"),),
        run=(("./main",),),
        requires=("swiftc",),
        image="swift:5.10",
        tags=("swift",),
        names=(r"swift",),
        install="swift (https://swift.org/install)",
    ),
    _lang(
        name="sql",
        display="SQL",
        file="main.sql",
        run=(("sqlite3", "-bail", ":memory:", ".read main.sql"),),
        requires=("sqlite3",),
        image="keinos/sqlite3:latest",
        tags=("sql", "sqlite", "sqlite3"),
        names=(r"sql", r"sqlite3?", r"postgres(?:ql)?", r"mysql"),
        install="sqlite3",
        comment="--",
    ),
    _lang(
        name="glsl",
        display="GLSL",
        file="main.frag",
        run=(("glslangValidator", "main.frag"),),
        requires=("glslangValidator",),
        image="",
        tags=("glsl", "frag", "vert"),
        names=(r"glsl", r"opengl shading language"),
        install="glslang-tools (glslangValidator)",
    ),
    _lang(
        name="wgsl",
        display="WGSL",
        file="main.wgsl",
        run=(("naga", "main.wgsl"),),
        requires=("naga",),
        image="",
        tags=("wgsl",),
        names=(r"wgsl", r"webgpu shading language"),
        install="naga (cargo install naga-cli)",
    ),
    _lang(
        name="wasm",
        display="WebAssembly",
        file="main.wat",
        build=(("wat2wasm", "main.wat", "-o", "main.wasm"),),
        run=(("wasmtime", "main.wasm"),),
        requires=("wat2wasm", "wasmtime"),
        image="",
        tags=("wat", "wasm", "wast", "webassembly"),
        names=(r"webassembly", r"wasm", r"wat"),
        install="wabt (wat2wasm) and wasmtime",
        comment=";;",
    ),
)

_BY_NAME = {lang.name: lang for lang in LANGUAGES}
_BY_TAG = {tag: lang for lang in LANGUAGES for tag in (lang.name, *lang.tags)}


def get_language(name: str) -> Language | None:
    """The registry entry for a canonical name or a common alias (`c++`, `golang`, `ts`)."""
    key = name.strip().lower()
    return _BY_NAME.get(key) or _BY_TAG.get(key)


def language_for_tag(tag: str) -> Language | None:
    """The language a code-fence tag (```rs, ```c++) stands for."""
    return _BY_TAG.get(tag.strip().lower())


def missing_toolchain_message(language: Language, program: str) -> str:
    return (
        f"{language.display} needs `{program}`, which is not installed here: "
        f'install {language.install or program} or enable Docker (sandbox.backend = "docker")'
    )


def run_job(language: Language, files: dict[str, str], *, stdin: str = "", timeout: float = 20.0) -> RunJob:
    """A sandbox job that builds and runs `files` (which contain `language.file`)."""
    steps = tuple(Step(argv=argv, name="build") for argv in language.build)
    steps += tuple(Step(argv=argv, name="run", stdin=stdin) for argv in language.run)
    return RunJob(
        language=language.name,
        files=files,
        steps=steps,
        requires=language.requires,
        image=language.image,
        timeout=timeout,
        env=dict(language.env),
    )


# --- detection -----------------------------------------------------------------------------

_EDGE_BEFORE = r"(?<![\w+#.])"
_EDGE_AFTER = r"(?![\w+#])"
_PATTERNS: tuple[tuple[Language, re.Pattern[str]], ...] = tuple(
    (lang, re.compile(_EDGE_BEFORE + "(?:" + "|".join(lang.names) + ")" + _EDGE_AFTER)) for lang in LANGUAGES
)
_FENCE_TAG = re.compile(r"```\s*([\w+#.-]+)")
#: "go" is also an English verb; these contexts make it the language
_GO_LANGUAGE = re.compile(
    r"(?:\b(?:in|using|with|to|into)\s+go\b(?!\s+(?:ahead|through|over|back|on|up|down|out|away)\b))"
    r"|(?:\bgo\s+(?:program|function|code|module|package|routine|struct|script|version|implementation)s?\b)"
    r"|(?:\bGo\b)"
)


def _mentions(text: str) -> list[tuple[int, Language]]:
    lowered = text.lower()
    found: list[tuple[int, Language]] = []
    for lang, pattern in _PATTERNS:
        if lang.name == "go":
            match = _GO_LANGUAGE.search(text) or re.search(r"\bgolang\b", lowered)
            if match:
                found.append((match.start(), lang))
            continue
        hit = pattern.search(lowered)
        if hit:
            found.append((hit.start(), lang))
    return sorted(found, key=lambda item: item[0])


def detect_language(text: str) -> str | None:
    """The canonical name of the language a task asks for, or None when it names none.

    A code fence's tag wins; otherwise the first language the text mentions.
    """
    for tag in _FENCE_TAG.findall(text):
        lang = language_for_tag(tag)
        if lang is not None:
            return lang.name
    mentions = _mentions(text)
    if not mentions:
        return None
    return mentions[0][1].name
