"""Suite `repair`: common syntax slips fixed without an LLM (`mutable.repair.repair_syntax`).

Python cases pass when the repaired code parses to the same AST as the intended code; brace
language cases pass when the repaired code equals the intended code up to whitespace. Cases that
already parse must come back unchanged in meaning.
"""

# ruff: noqa: E501  (fixture strings read best unbroken)

from __future__ import annotations

import ast
import logging
import re
from dataclasses import dataclass

from evals.common import CaseOutcome, CaseResult, score_each

__all__ = ["CASES", "Case", "evaluate", "judge", "same_code"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Case:
    id: str
    language: str
    broken: str
    fixed: str


def _c(id: str, language: str, broken: str, fixed: str) -> Case:
    return Case(id=id, language=language, broken=broken, fixed=fixed)


CASES: tuple[Case, ...] = (
    # --- Python: missing colons -------------------------------------------------------------
    _c("py-def-colon", "python", "def add(a, b)\n    return a + b\n", "def add(a, b):\n    return a + b\n"),
    _c("py-if-colon", "python", "if x > 1\n    y = 2\n", "if x > 1:\n    y = 2\n"),
    _c(
        "py-else-colon",
        "python",
        "if x:\n    y = 1\nelse\n    y = 2\n",
        "if x:\n    y = 1\nelse:\n    y = 2\n",
    ),
    _c("py-for-colon", "python", "for i in range(3)\n    print(i)\n", "for i in range(3):\n    print(i)\n"),
    _c("py-while-colon", "python", "while n > 0\n    n -= 1\n", "while n > 0:\n    n -= 1\n"),
    _c(
        "py-class-colon",
        "python",
        "class Point\n    x: int = 0\n",
        "class Point:\n    x: int = 0\n",
    ),
    _c(
        "py-try-colon",
        "python",
        "try\n    f()\nexcept ValueError:\n    pass\n",
        "try:\n    f()\nexcept ValueError:\n    pass\n",
    ),
    _c(
        "py-except-colon",
        "python",
        "try:\n    f()\nexcept ValueError as e\n    print(e)\n",
        "try:\n    f()\nexcept ValueError as e:\n    print(e)\n",
    ),
    _c(
        "py-elif-colon",
        "python",
        "if a:\n    b = 1\nelif c\n    b = 2\n",
        "if a:\n    b = 1\nelif c:\n    b = 2\n",
    ),
    _c(
        "py-with-colon",
        "python",
        "with lock\n    count += 1\n",
        "with lock:\n    count += 1\n",
    ),
    _c(
        "py-nested-colon",
        "python",
        "def f(xs):\n    for x in xs\n        if x\n            return x\n    return None\n",
        "def f(xs):\n    for x in xs:\n        if x:\n            return x\n    return None\n",
    ),
    _c(
        "py-method-colon",
        "python",
        "class A:\n    def run(self)\n        return 1\n",
        "class A:\n    def run(self):\n        return 1\n",
    ),
    _c(
        "py-async-colon",
        "python",
        "async def main()\n    await go()\n",
        "async def main():\n    await go()\n",
    ),
    _c(
        "py-typed-def-colon",
        "python",
        "def mean(xs: list[float]) -> float\n    return sum(xs) / len(xs)\n",
        "def mean(xs: list[float]) -> float:\n    return sum(xs) / len(xs)\n",
    ),
    # --- Python 2 print ----------------------------------------------------------------------
    _c("py-print2", "python", 'print "hello"\n', 'print("hello")\n'),
    _c("py-print2-expr", "python", "x = 3\nprint x * 2\n", "x = 3\nprint(x * 2)\n"),
    _c(
        "py-print2-indented",
        "python",
        "def f(n):\n    print n\n    return n\n",
        "def f(n):\n    print(n)\n    return n\n",
    ),
    _c("py-print2-comma", "python", 'print "a", 1\n', 'print("a", 1)\n'),
    # --- Python brackets -------------------------------------------------------------------
    _c("py-paren", "python", "print(len(xs)\n", "print(len(xs))\n"),
    _c("py-bracket", "python", "xs = [1, 2, 3\nprint(xs)\n", "xs = [1, 2, 3]\nprint(xs)\n"),
    _c("py-brace", "python", "d = {'a': 1\n", "d = {'a': 1}\n"),
    _c(
        "py-paren-in-return",
        "python",
        "def f(x):\n    return max(x, min(x, 3)\n",
        "def f(x):\n    return max(x, min(x, 3))\n",
    ),
    _c(
        "py-paren-and-colon",
        "python",
        "if (a and (b or c)\n    pass\n",
        "if (a and (b or c)):\n    pass\n",
    ),
    _c(
        "py-multiline-call",
        "python",
        "result = compute(\n    a,\n    b,\nprint(result)\n",
        "result = compute(\n    a,\n    b,\n)\nprint(result)\n",
    ),
    # --- Python tabs and misc -----------------------------------------------------------------
    _c(
        "py-tabs",
        "python",
        "def f():\n\tif True:\n        return 1\n",
        "def f():\n    if True:\n        return 1\n",
    ),
    _c(
        "py-else-if",
        "python",
        "if a:\n    x = 1\nelse if b:\n    x = 2\n",
        "if a:\n    x = 1\nelif b:\n    x = 2\n",
    ),
    _c("py-assign-in-if", "python", "if x = 3:\n    pass\n", "if x == 3:\n    pass\n"),
    _c("py-missing-comma", "python", "xs = [1, 2 3]\n", "xs = [1, 2, 3]\n"),
    _c("py-unclosed-string", "python", "name = 'bob\nprint(name)\n", "name = 'bob'\nprint(name)\n"),
    _c("py-js-true", "python", "flag = true\nif flag:\n    pass\n", "flag = True\nif flag:\n    pass\n"),
    _c(
        "py-semicolon-harmless",
        "python",
        "x = 1;\ny = 2;\n",
        "x = 1\ny = 2\n",
    ),
    _c(
        "py-already-ok",
        "python",
        "def ok(a):\n    return [a, (a, {a: a})]\n",
        "def ok(a):\n    return [a, (a, {a: a})]\n",
    ),
    _c(
        "py-already-ok-print",
        "python",
        "print('x')\nprint = None\n",
        "print('x')\nprint = None\n",
    ),
    _c(
        "py-lambda-ok",
        "python",
        "f = lambda x: x + 1\nprint(f(2))\n",
        "f = lambda x: x + 1\nprint(f(2))\n",
    ),
    _c(
        "py-fence-left",
        "python",
        "```python\ndef f():\n    return 1\n```\n",
        "def f():\n    return 1\n",
    ),
    _c(
        "py-dict-colon-ok",
        "python",
        "for k, v in d.items()\n    print(k, v)\n",
        "for k, v in d.items():\n    print(k, v)\n",
    ),
    _c(
        "py-two-slips",
        "python",
        "def f(x)\n    print x\n",
        "def f(x):\n    print(x)\n",
    ),
    _c(
        "py-comment-header",
        "python",
        "if ready  # check first\n    go()\n",
        "if ready:  # check first\n    go()\n",
    ),
    _c(
        "py-string-colon-header",
        "python",
        "if s == ':'\n    pass\n",
        "if s == ':':\n    pass\n",
    ),
    _c(
        "py-indexing-bracket",
        "python",
        "total = sum(xs[1:]\n",
        "total = sum(xs[1:])\n",
    ),
    # --- C / C++ / Java / C#: semicolons and braces -------------------------------------------
    _c(
        "c-semicolon",
        "c",
        "int main(void) {\n    int x = 1\n    return x;\n}\n",
        "int main(void) {\n    int x = 1;\n    return x;\n}\n",
    ),
    _c(
        "c-return-semicolon",
        "c",
        "int f(int a) {\n    return a * 2\n}\n",
        "int f(int a) {\n    return a * 2;\n}\n",
    ),
    _c(
        "c-call-semicolon",
        "c",
        '#include <stdio.h>\nint main(void) {\n    printf("hi\\n")\n    return 0;\n}\n',
        '#include <stdio.h>\nint main(void) {\n    printf("hi\\n");\n    return 0;\n}\n',
    ),
    _c(
        "c-missing-brace",
        "c",
        "int main(void) {\n    if (1) {\n        return 0;\n    }\n",
        "int main(void) {\n    if (1) {\n        return 0;\n    }\n}\n",
    ),
    _c(
        "c-ok",
        "c",
        "int add(int a, int b) {\n    return a + b;\n}\n",
        "int add(int a, int b) {\n    return a + b;\n}\n",
    ),
    _c(
        "c-for-ok",
        "c",
        "int s(int n) {\n    int t = 0;\n    for (int i = 0; i < n; i++)\n        t += i;\n    return t;\n}\n",
        "int s(int n) {\n    int t = 0;\n    for (int i = 0; i < n; i++)\n        t += i;\n    return t;\n}\n",
    ),
    _c(
        "cpp-cout",
        "cpp",
        '#include <iostream>\nint main() {\n    std::cout << "hi" << std::endl\n    return 0;\n}\n',
        '#include <iostream>\nint main() {\n    std::cout << "hi" << std::endl;\n    return 0;\n}\n',
    ),
    _c(
        "cpp-vector",
        "cpp",
        "#include <vector>\nint main() {\n    std::vector<int> v\n    v.push_back(1);\n    return 0;\n}\n",
        "#include <vector>\nint main() {\n    std::vector<int> v;\n    v.push_back(1);\n    return 0;\n}\n",
    ),
    _c(
        "cpp-two-braces",
        "cpp",
        "int main() {\n    for (int i = 0; i < 3; i++) {\n        i++;\n",
        "int main() {\n    for (int i = 0; i < 3; i++) {\n        i++;\n}\n}\n",
    ),
    _c(
        "cpp-class-semicolon",
        "cpp",
        "struct P {\n    int x;\n}\nint main() { return 0; }\n",
        "struct P {\n    int x;\n};\nint main() { return 0; }\n",
    ),
    _c(
        "java-semicolon",
        "java",
        "class Main {\n    public static void main(String[] a) {\n        int x = 2\n"
        "        System.out.println(x);\n    }\n}\n",
        "class Main {\n    public static void main(String[] a) {\n        int x = 2;\n"
        "        System.out.println(x);\n    }\n}\n",
    ),
    _c(
        "java-println",
        "java",
        'class Main {\n    public static void main(String[] a) {\n        System.out.println("x")\n    }\n}\n',
        'class Main {\n    public static void main(String[] a) {\n        System.out.println("x");\n    }\n}\n',
    ),
    _c(
        "java-missing-close",
        "java",
        "class Main {\n    static int f() {\n        return 1;\n    }\n",
        "class Main {\n    static int f() {\n        return 1;\n    }\n}\n",
    ),
    _c(
        "java-ok",
        "java",
        "class Main {\n    static int sq(int x) {\n        return x * x;\n    }\n}\n",
        "class Main {\n    static int sq(int x) {\n        return x * x;\n    }\n}\n",
    ),
    _c(
        "csharp-semicolon",
        "csharp",
        "class P {\n    static void Main() {\n        var n = 3\n        System.Console.WriteLine(n);\n    }\n}\n",
        "class P {\n    static void Main() {\n        var n = 3;\n        System.Console.WriteLine(n);\n    }\n}\n",
    ),
    _c(
        "c-multiline-call-ok",
        "c",
        'int main(void) {\n    printf("%d %d\\n",\n           1, 2);\n    return 0;\n}\n',
        'int main(void) {\n    printf("%d %d\\n",\n           1, 2);\n    return 0;\n}\n',
    ),
    _c(
        "c-do-while",
        "c",
        "int main(void) {\n    int i = 0;\n    do {\n        i++;\n    } while (i < 3)\n    return i;\n}\n",
        "int main(void) {\n    int i = 0;\n    do {\n        i++;\n    } while (i < 3);\n    return i;\n}\n",
    ),
    _c(
        "js-missing-brace",
        "javascript",
        "function f(x) {\n  if (x) {\n    return 1;\n  }\n",
        "function f(x) {\n  if (x) {\n    return 1;\n  }\n}\n",
    ),
    _c(
        "js-ok",
        "javascript",
        "const add = (a, b) => a + b\nconsole.log(add(1, 2))\n",
        "const add = (a, b) => a + b\nconsole.log(add(1, 2))\n",
    ),
    _c(
        "ts-missing-brace",
        "typescript",
        "function id<T>(x: T): T {\n  return x;\n",
        "function id<T>(x: T): T {\n  return x;\n}\n",
    ),
    _c(
        "rust-missing-brace",
        "rust",
        'fn main() {\n    let x = 1;\n    println!("{}", x);\n',
        'fn main() {\n    let x = 1;\n    println!("{}", x);\n}\n',
    ),
    _c(
        "rust-let-semicolon",
        "rust",
        'fn main() {\n    let x = 5\n    println!("{}", x);\n}\n',
        'fn main() {\n    let x = 5;\n    println!("{}", x);\n}\n',
    ),
    _c(
        "rust-ok-tail-expr",
        "rust",
        "fn sq(x: i32) -> i32 {\n    x * x\n}\n",
        "fn sq(x: i32) -> i32 {\n    x * x\n}\n",
    ),
)


def same_code(got: str, want: str, language: str) -> bool:
    if language == "python":
        try:
            return ast.dump(ast.parse(got)) == ast.dump(ast.parse(want))
        except SyntaxError:
            return False
    return re.sub(r"\s+", " ", got).strip() == re.sub(r"\s+", " ", want).strip()


def judge(case: Case) -> CaseOutcome:
    from mutable.repair import repair_syntax

    got = repair_syntax(case.broken, case.language)
    ok = same_code(got, case.fixed, case.language)
    detail = (
        f"broken ({case.language}):\n{case.broken[:300]}\nexpected:\n{case.fixed[:300]}\ngot:\n{got[:300]}"
    )
    return CaseOutcome(ok, "" if ok else detail)


def evaluate(trials: int = 1) -> tuple[list[CaseResult], list[float]]:
    return score_each(CASES, lambda c: c.id, judge), []
