"""Suite `lang-detect`: which language a task asks for, judged on realistic task texts.

Covers the 24 registry languages plus the traps: "java" inside "javascript", "go" as an English
verb, c / c++ / c#, porting tasks that mention two languages, and tasks that name no language
(expected None, so the agent falls back to its default).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from evals.common import CaseOutcome, CaseResult, score_each

__all__ = ["CASES", "Case", "evaluate", "judge"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    expected: str | None


def _c(id: str, expected: str | None, text: str) -> Case:
    return Case(id=id, text=text, expected=expected)


CASES: tuple[Case, ...] = (
    # --- one language, named plainly --------------------------------------------------------
    _c("rust-fib", "rust", "Write a Rust function for Fibonacci with memoization"),
    _c("rust-lower", "rust", "implement a binary heap in rust without using std::collections::BinaryHeap"),
    _c("c-strrev", "c", "Write a C function that reverses a string in place."),
    _c("c-ansi", "c", "Implement a linked list in ANSI C with insert and delete."),
    _c("cpp-vector", "cpp", "Write a C++ program that sorts a vector of ints and prints the median."),
    _c("cpp-spelled", "cpp", "Show me how to use std::unordered_map in cpp to count words"),
    _c("zig-alloc", "zig", "Write a Zig program that uses an arena allocator to build a list of strings"),
    _c(
        "python-csv",
        "python",
        "Write a Python script that reads a CSV file and prints the average of column 3",
    ),
    _c(
        "python3-async",
        "python",
        "In python3, fetch three URLs concurrently with asyncio and print their sizes",
    ),
    _c("ruby-hash", "ruby", "Write a Ruby method that groups words by their first letter"),
    _c("elixir-genserver", "elixir", "Implement a counter GenServer in Elixir"),
    _c("js-debounce", "javascript", "Write a JavaScript debounce function"),
    _c("js-node", "javascript", "Create a Node.js script that lists the files of a directory recursively"),
    _c("ts-generic", "typescript", "Write a TypeScript generic function that groups an array by a key"),
    _c("haskell-primes", "haskell", "Write a Haskell function that returns the infinite list of primes"),
    _c("ocaml-tree", "ocaml", "Define a binary search tree in OCaml with insert and member"),
    _c("fsharp-pipe", "fsharp", "Using F#, sum the squares of the odd numbers in a list with pipelines"),
    _c("java-stream", "java", "Write a Java method that returns the top 3 most frequent words using streams"),
    _c("kotlin-data", "kotlin", "Write a Kotlin data class for a 2D point and a function for distance"),
    _c("scala-case", "scala", "In Scala, model a shopping cart with case classes and compute the total"),
    _c("csharp-linq", "csharp", "Write a C# method that uses LINQ to find duplicate emails"),
    _c("nim-seq", "nim", "Write a Nim proc that reverses a seq of ints"),
    _c("haxe-class", "haxe", "Write a Haxe class with a static method that checks for palindromes"),
    _c("go-http", "go", "Write a Go function that returns the n-th Fibonacci number"),
    _c("golang-chan", "go", "golang: fan out work to 4 goroutines with channels and collect results"),
    _c("swift-struct", "swift", "Write a Swift struct for a stack with push and pop"),
    _c(
        "sql-top",
        "sql",
        "Write an SQL query that returns the 5 customers with the highest total order amount",
    ),
    _c("glsl-frag", "glsl", "Write a GLSL fragment shader that draws a checkerboard"),
    _c("wgsl-compute", "wgsl", "Write a WGSL compute shader that doubles every element of a storage buffer"),
    _c("wasm-add", "wasm", "Write a WebAssembly text module that exports an add function"),
    # --- java vs javascript ----------------------------------------------------------------
    _c("javascript-not-java", "javascript", "Write a javascript function that deep-clones an object"),
    _c(
        "java-then-js-mention",
        "java",
        "Port this to Java: a function that flattens a nested array (like lodash)",
    ),
    _c("js-abbrev", "javascript", "Quick JS snippet to shuffle an array in place"),
    _c("java-script-split", "javascript", "I need a Java Script function that validates an email address"),
    _c("java-jvm", "java", "Write a Java class Main whose main method prints the primes below 100"),
    _c(
        "ecmascript", "javascript", "Using modern ECMAScript, write a generator that yields Fibonacci numbers"
    ),
    # --- go as a verb -------------------------------------------------------------------------
    _c("go-verb-python", "python", "Go ahead and write a Python function that checks if a number is prime"),
    _c("go-verb-rust", "rust", "Let's go step by step: write a Rust function to parse an integer safely"),
    _c("go-verb-none", None, "Write a function that goes through a list and removes duplicates"),
    _c("go-verb-over", "ruby", "Go over each line of a file and count the vowels, in Ruby"),
    _c("go-in", "go", "Implement a rate limiter in Go using a token bucket"),
    _c("go-program", "go", "Write a small go program that prints the current time in UTC"),
    _c("go-verb-to", "c", "I want to go to the basics: write a C function that computes strlen"),
    _c(
        "go-back",
        "typescript",
        "Write a TypeScript function to go back n steps in a browser-like history stack",
    ),
    # --- c vs c++ vs c# -------------------------------------------------------------------
    _c("c-plain-lower", "c", "write a c program that prints hello world"),
    _c("c-sharp-spelled", "csharp", "Write a C Sharp function that reverses a string"),
    _c("cpp-plusplus-lower", "cpp", "in c++ write a template function max3"),
    _c("c-vs-cpp", "c", "Write this in C, not C++: a function that swaps two ints through pointers"),
    _c(
        "csharp-dotnet", "csharp", "Create a .NET console app in C# that reads a number and prints its square"
    ),
    _c(
        "c-option-letter",
        "python",
        "Answer option (c) is wrong; write a Python function that returns the mode of a list",
    ),
    _c("fsharp-vs-csharp", "fsharp", "Write the F# version of this C# snippet: sum of a list"),
    # --- porting: the target language is the one after "to"/"into" --------------------------
    _c("port-py-to-rust", "rust", "Port this Python function to Rust: def add(a, b): return a + b"),
    _c("translate-js-to-ts", "typescript", "Translate this JavaScript into TypeScript with proper types"),
    _c("convert-java-to-kotlin", "kotlin", "Convert this Java class to idiomatic Kotlin"),
    _c("rewrite-c-in-zig", "zig", "Rewrite this C function in Zig: int sum(int *a, int n)"),
    _c("port-ruby-to-elixir", "elixir", "Port my Ruby method that parses log lines into Elixir"),
    # --- code fences and snippets name the language ------------------------------------------
    _c("fence-rust", "rust", "Fix this:\n```rust\nfn main() { let x = 5 x += 1; }\n```"),
    _c("fence-py", "python", "Why does this crash?\n```py\nprint(1/0)\n```"),
    _c("fence-cpp", "cpp", "Make this faster:\n```cpp\nfor (int i = 0; i < n; i++) v.push_back(i);\n```"),
    _c("snippet-def", "python", "Add type hints to: def greet(name): return 'hi ' + name"),
    _c("snippet-fn", "rust", "Make this compile: fn add(a: i32, b: i32) -> i32 { a + b; }"),
    _c("snippet-console", "javascript", "What's wrong with console.log(arr.length()) ?"),
    _c(
        "snippet-include", "c", 'Fix the warning in: #include <stdio.h>\nint main() { printf("%d\\n", 3.5); }'
    ),
    _c(
        "snippet-select",
        "sql",
        "Speed up: SELECT * FROM orders WHERE customer_id IN (SELECT id FROM customers)",
    ),
    # --- other names and tools -----------------------------------------------------------
    _c("sqlite", "sql", "Using sqlite, create a table of books and insert three rows"),
    _c("postgres", "sql", "Write a PostgreSQL query that counts orders per day for the last week"),
    _c("wasm-short", "wasm", "Hand-write a wasm module in WAT that computes factorial"),
    _c("cargo", "rust", "Write a small cargo project whose main prints the sum of its arguments"),
    _c("ghc", "haskell", "A program for GHC that reads lines and prints them reversed"),
    _c("dotnet-fsharp", "fsharp", "write an fsharp script that prints the first 10 squares"),
    _c("shader-opengl", "glsl", "Write an OpenGL Shading Language vertex shader that applies a MVP matrix"),
    _c("webgpu", "wgsl", "Write a WebGPU Shading Language vertex shader that passes through colors"),
    _c("ts-abbrev", "typescript", "Write a TS type guard for a union of Cat | Dog"),
    _c("kotlin-android", "kotlin", "For Android, write a kotlin extension function that capitalizes words"),
    _c("scala-spark-free", "scala", "Write a tail-recursive factorial in scala"),
    _c("swiftui-free", "swift", "Write a swift function that returns the GCD of two ints"),
    _c("nim-proc-lower", "nim", "nim: write a proc that counts words in a string"),
    _c("haxe-lower", "haxe", "in haxe, write a function that sums an array of floats"),
    _c("elixir-pipe-lower", "elixir", "elixir pipe operator example: sum of squares of 1..10"),
    _c("ocaml-lower", "ocaml", "write an ocaml function to compute the length of a list without List.length"),
    # --- no language named ---------------------------------------------------------------------
    _c("none-fib", None, "Write a function that returns the n-th Fibonacci number"),
    _c("none-sort", None, "Implement merge sort and explain its complexity"),
    _c("none-regex", None, "Write a regular expression that matches an IPv4 address"),
    _c("none-cache", None, "Design an LRU cache with get and put in O(1)"),
    _c(
        "none-vitamin-c", None, "Write a program that lists foods rich in vitamin C from a table of nutrients"
    ),
    _c("none-plus", None, "Add two numbers given on standard input and print the sum"),
    _c("none-rusty", None, "My bike chain is rusty; write a function that estimates wear from mileage"),
    _c("none-swiftly", None, "Write code that swiftly finds the maximum of a list"),
    _c("none-go-ahead", None, "Go ahead and implement a stack with push, pop and peek"),
    _c("none-ruby-gem", None, "Count how many times the word ruby appears in a text about gems and jewels"),
)


def judge(case: Case) -> CaseOutcome:
    from mutable.lang import detect_language

    got = detect_language(case.text)
    return CaseOutcome(
        got == case.expected, f"task {case.text[:240]!r}: expected {case.expected!r}, got {got!r}"
    )


def evaluate(trials: int = 1) -> tuple[list[CaseResult], list[float]]:
    return score_each(CASES, lambda c: c.id, judge), []
