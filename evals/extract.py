"""Suite `extract`: pull the program out of LLM replies (`mutable.extract.extract_code`).

Real replies of the embedded model to the agent's prompts (`fixtures/embedded_replies.json`, 8
languages) plus replies written the way small code models answer (Qwen2.5-Coder style:
"Certainly! Here's ...", a fenced block, an explanation, an example-usage block), plus the edge
cases: untagged or wrongly tagged fences, several blocks, bare code, shell and output blocks,
unterminated fences, tilde fences, indented fences, CRLF, refusals. A case passes when the
extracted code equals the intended program up to trailing whitespace and surrounding blank lines.
"""

# ruff: noqa: E501  (fixture strings read best unbroken)

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from evals.common import CaseOutcome, CaseResult, score_each

__all__ = ["CASES", "RECORDED", "Case", "evaluate", "judge", "normalize", "recorded_cases"]

logger = logging.getLogger(__name__)

F = "```"

PY_ADD = "def add(a, b):\n    return a + b"
PY_FIB = (
    "def fibonacci(n, memo={}):\n    if n in memo:\n        return memo[n]\n    if n <= 1:\n        return n\n"
    "    memo[n] = fibonacci(n - 1, memo) + fibonacci(n - 2, memo)\n    return memo[n]"
)
PY_PRIME = (
    "def is_prime(n: int) -> bool:\n    if n < 2:\n        return False\n    i = 2\n    while i * i <= n:\n"
    "        if n % i == 0:\n            return False\n        i += 1\n    return True"
)
RS_FIB = (
    "use std::collections::HashMap;\n\nfn fib(n: u64, memo: &mut HashMap<u64, u64>) -> u64 {\n"
    "    if n <= 1 {\n        return n;\n    }\n    if let Some(&v) = memo.get(&n) {\n        return v;\n    }\n"
    "    let v = fib(n - 1, memo) + fib(n - 2, memo);\n    memo.insert(n, v);\n    v\n}\n\nfn main() {\n"
    '    let mut memo = HashMap::new();\n    println!("{}", fib(50, &mut memo));\n}'
)
C_REV = (
    "#include <stdio.h>\n#include <string.h>\n\nvoid reverse(char *s) {\n    size_t n = strlen(s);\n"
    "    for (size_t i = 0; i < n / 2; i++) {\n        char t = s[i];\n        s[i] = s[n - 1 - i];\n"
    '        s[n - 1 - i] = t;\n    }\n}\n\nint main(void) {\n    char s[] = "hello";\n    reverse(s);\n'
    '    printf("%s\\n", s);\n    return 0;\n}'
)
CPP_MEDIAN = (
    "#include <algorithm>\n#include <iostream>\n#include <vector>\n\nint main() {\n"
    "    std::vector<int> v{5, 1, 4, 2, 3};\n    std::sort(v.begin(), v.end());\n"
    "    std::cout << v[v.size() / 2] << std::endl;\n    return 0;\n}"
)
JS_DEBOUNCE = (
    "function debounce(fn, wait) {\n  let timer;\n  return (...args) => {\n    clearTimeout(timer);\n"
    "    timer = setTimeout(() => fn(...args), wait);\n  };\n}"
)
TS_GROUP = (
    "function groupBy<T, K extends string>(items: T[], key: (item: T) => K): Record<K, T[]> {\n"
    "  const out = {} as Record<K, T[]>;\n  for (const item of items) {\n    (out[key(item)] ??= []).push(item);\n"
    "  }\n  return out;\n}"
)
GO_FIB = (
    'package main\n\nimport "fmt"\n\nfunc fib(n int) int {\n\tif n < 2 {\n\t\treturn n\n\t}\n'
    "\treturn fib(n-1) + fib(n-2)\n}\n\nfunc main() {\n\tfmt.Println(fib(10))\n}"
)
JAVA_MAIN = (
    "public class Main {\n    public static void main(String[] args) {\n        for (int i = 2; i < 20; i++) {\n"
    "            if (isPrime(i)) System.out.println(i);\n        }\n    }\n\n    static boolean isPrime(int n) {\n"
    "        for (int d = 2; d * d <= n; d++) if (n % d == 0) return false;\n        return true;\n    }\n}"
)
RB_GROUP = "def group_by_first(words)\n  words.group_by { |w| w[0] }\nend\n\nputs group_by_first(%w[apple avocado bean]).inspect"
SQL_TOP = (
    "SELECT c.name, SUM(o.amount) AS total\nFROM customers c\nJOIN orders o ON o.customer_id = c.id\n"
    "GROUP BY c.id\nORDER BY total DESC\nLIMIT 5;"
)
HS_PRIMES = (
    "primes :: [Int]\nprimes = sieve [2..]\n  where sieve (p:xs) = p : sieve [x | x <- xs, x `mod` p /= 0]"
)
KT_POINT = (
    "data class Point(val x: Double, val y: Double)\n\nfun distance(a: Point, b: Point): Double =\n"
    "    kotlin.math.hypot(a.x - b.x, a.y - b.y)"
)
CS_DUP = (
    "using System.Linq;\n\nstatic class Emails {\n    public static string[] Duplicates(string[] emails) =>\n"
    "        emails.GroupBy(e => e.ToLower()).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();\n}"
)


@dataclass(frozen=True)
class Case:
    id: str
    language: str
    reply: str
    expected: str


def _c(id: str, language: str, reply: str, expected: str) -> Case:
    return Case(id=id, language=language, reply=reply, expected=expected)


def _fence(code: str, tag: str = "") -> str:
    return f"{F}{tag}\n{code}\n{F}"


CASES: tuple[Case, ...] = (
    # --- one tagged block, prose around it ---------------------------------------------------
    _c(
        "qwen-py-certainly",
        "python",
        f"Certainly! Below is a Python function that adds two numbers:\n\n{_fence(PY_ADD, 'python')}\n\n"
        "This function takes two arguments `a` and `b` and returns their sum.",
        PY_ADD,
    ),
    _c(
        "qwen-py-fib",
        "python",
        f"Here's a Python function that computes Fibonacci numbers using memoization:\n\n"
        f"{_fence(PY_FIB, 'python')}\n\n### Explanation:\n1. **Memoization**: results are cached in `memo`.\n"
        "2. **Base case**: `n <= 1` returns `n`.",
        PY_FIB,
    ),
    _c("bare-fence-only", "python", _fence(PY_PRIME, "python"), PY_PRIME),
    _c(
        "rust-fib",
        "rust",
        f"To implement Fibonacci with memoization in Rust, use a `HashMap`:\n\n{_fence(RS_FIB, 'rust')}\n\n"
        "The `memo` map stores computed values so each `fib(n)` is computed once.",
        RS_FIB,
    ),
    _c("c-reverse", "c", f"Sure.\n\n{_fence(C_REV, 'c')}\n", C_REV),
    _c("cpp-median", "cpp", f"{_fence(CPP_MEDIAN, 'cpp')}\n\nOutput:\n3", CPP_MEDIAN),
    _c(
        "js-debounce",
        "javascript",
        f"A debounce function delays calls until `wait` ms have passed:\n\n{_fence(JS_DEBOUNCE, 'javascript')}",
        JS_DEBOUNCE,
    ),
    _c(
        "ts-group",
        "typescript",
        f"Here you go:\n{_fence(TS_GROUP, 'typescript')}\nHope this helps!",
        TS_GROUP,
    ),
    _c("go-fib", "go", f"Here is the Go program:\n\n{_fence(GO_FIB, 'go')}", GO_FIB),
    _c("java-main", "java", f"```java\n{JAVA_MAIN}\n```\n\nCompile with `javac Main.java`.", JAVA_MAIN),
    _c("ruby-group", "ruby", f"In Ruby:\n\n{_fence(RB_GROUP, 'ruby')}\n", RB_GROUP),
    _c(
        "sql-top",
        "sql",
        f"You can use this query:\n\n{_fence(SQL_TOP, 'sql')}\n\nIt joins and sums.",
        SQL_TOP,
    ),
    _c("haskell-primes", "haskell", f"{_fence(HS_PRIMES, 'haskell')}\n\nThis is lazy.", HS_PRIMES),
    _c("kotlin-point", "kotlin", f"Kotlin version:\n{_fence(KT_POINT, 'kotlin')}", KT_POINT),
    _c("csharp-dup", "csharp", f"Using LINQ:\n\n{_fence(CS_DUP, 'csharp')}", CS_DUP),
    # --- short or unusual tags for the right language ------------------------------------------
    _c("tag-py", "python", f"{_fence(PY_ADD, 'py')}", PY_ADD),
    _c("tag-python3", "python", f"Code:\n{_fence(PY_ADD, 'python3')}", PY_ADD),
    _c("tag-Python-caps", "python", f"Code:\n{_fence(PY_ADD, 'Python')}", PY_ADD),
    _c("tag-rs", "rust", f"{_fence(RS_FIB, 'rs')}", RS_FIB),
    _c("tag-cplusplus", "cpp", f"{_fence(CPP_MEDIAN, 'c++')}", CPP_MEDIAN),
    _c("tag-golang", "go", f"{_fence(GO_FIB, 'golang')}", GO_FIB),
    _c("tag-js", "javascript", f"{_fence(JS_DEBOUNCE, 'js')}", JS_DEBOUNCE),
    _c("tag-cs", "csharp", f"{_fence(CS_DUP, 'cs')}", CS_DUP),
    _c("tag-space-before", "python", f"``` python\n{PY_ADD}\n```", PY_ADD),
    _c("tag-filename", "python", f'```python title="add.py"\n{PY_ADD}\n```', PY_ADD),
    _c("tag-colon-filename", "rust", f"```rust:src/main.rs\n{RS_FIB}\n```", RS_FIB),
    # --- untagged and wrongly tagged ---------------------------------------------------------
    _c("untagged-py", "python", f"Here it is:\n\n{_fence(PY_FIB)}\n", PY_FIB),
    _c("untagged-c", "c", f"{_fence(C_REV)}", C_REV),
    _c("wrong-tag-js-for-ts", "typescript", f"{_fence(TS_GROUP, 'javascript')}", TS_GROUP),
    _c("wrong-tag-c-for-cpp", "cpp", f"Here:\n{_fence(CPP_MEDIAN, 'c')}", CPP_MEDIAN),
    _c("wrong-tag-text", "python", f"{_fence(PY_PRIME, 'text')}", PY_PRIME),
    _c("wrong-tag-plaintext", "go", f"{_fence(GO_FIB, 'plaintext')}", GO_FIB),
    _c("wrong-tag-java-for-kotlin", "kotlin", f"{_fence(KT_POINT, 'java')}", KT_POINT),
    _c("wrong-tag-bash-for-py", "python", f"{_fence(PY_ADD, 'bash')}", PY_ADD),
    # --- several blocks ----------------------------------------------------------------------
    _c(
        "code-then-usage",
        "python",
        f"{_fence(PY_ADD, 'python')}\n\nExample usage:\n\n{_fence('print(add(2, 3))  # 5', 'python')}",
        PY_ADD + "\n\n\nprint(add(2, 3))  # 5",
    ),
    _c(
        "shell-then-code",
        "python",
        f"First install nothing, just run:\n{_fence('python main.py', 'bash')}\nwith main.py:\n{_fence(PY_ADD, 'python')}",
        PY_ADD,
    ),
    _c(
        "code-then-output",
        "rust",
        f"{_fence(RS_FIB, 'rust')}\n\nOutput:\n{_fence('12586269025')}",
        RS_FIB,
    ),
    _c(
        "code-then-output-tagged",
        "c",
        f"{_fence(C_REV, 'c')}\n\nRunning it prints:\n{_fence('olleh', 'text')}",
        C_REV,
    ),
    _c(
        "other-lang-then-target",
        "rust",
        f"In Python this would be:\n{_fence(PY_ADD, 'python')}\nIn Rust:\n{_fence(RS_FIB, 'rust')}",
        RS_FIB,
    ),
    _c(
        "split-program",
        "go",
        f"First the function:\n{_fence(GO_FIB.split('func main')[0].rstrip(), 'go')}\n"
        f"Then main:\n{_fence('func main() {' + GO_FIB.split('func main() {')[1], 'go')}",
        GO_FIB.split("func main")[0].rstrip() + "\n\nfunc main() {" + GO_FIB.split("func main() {")[1],
    ),
    _c(
        "tests-block-after",
        "python",
        _fence(PY_PRIME, "python")
        + "\n\nTests:\n"
        + _fence("assert is_prime(7)\nassert not is_prime(8)", "python"),
        PY_PRIME + "\n\n\nassert is_prime(7)\nassert not is_prime(8)",
    ),
    _c(
        "improved-version-last",
        "python",
        "A first attempt:\n"
        + _fence("def add(a, b):\n    pass", "python")
        + f"\nThat is incomplete. The corrected version:\n{_fence(PY_ADD, 'python')}",
        PY_ADD,
    ),
    _c(
        "json-then-code",
        "javascript",
        "Given input like:\n"
        + _fence('{"wait": 100}', "json")
        + f"\nthe function is:\n{_fence(JS_DEBOUNCE, 'js')}",
        JS_DEBOUNCE,
    ),
    # --- bare code ---------------------------------------------------------------------------
    _c("bare-py", "python", PY_FIB, PY_FIB),
    _c("bare-py-prose-before", "python", f"Sure! Here is the function.\n{PY_PRIME}", PY_PRIME),
    _c(
        "bare-py-prose-after",
        "python",
        f"{PY_ADD}\n\nThis adds two numbers.",
        PY_ADD,
    ),
    _c("bare-c", "c", f"Here's the code:\n\n{C_REV}\n\nCompile with gcc.", C_REV),
    _c("bare-rust", "rust", RS_FIB, RS_FIB),
    _c("bare-sql", "sql", f"Query:\n{SQL_TOP}", SQL_TOP),
    _c("bare-js", "javascript", f"{JS_DEBOUNCE}\n\nUse it like debounce(save, 200).", JS_DEBOUNCE),
    _c("bare-java", "java", JAVA_MAIN, JAVA_MAIN),
    # --- edge cases --------------------------------------------------------------------------
    _c("unterminated", "python", f"Here's the code:\n```python\n{PY_FIB}\n", PY_FIB),
    _c("unterminated-after-prose", "rust", f"Sure.\n\n```rust\n{RS_FIB}", RS_FIB),
    _c("tilde-fence", "python", f"~~~python\n{PY_ADD}\n~~~", PY_ADD),
    _c("four-backticks", "python", f"````python\n{PY_ADD}\n````", PY_ADD),
    _c(
        "indented-fence-in-list",
        "python",
        f"1. Define the function:\n\n    ```python\n    {PY_ADD.replace(chr(10), chr(10) + '    ')}\n    ```\n",
        PY_ADD,
    ),
    _c(
        "crlf",
        "python",
        f"Here:\r\n```python\r\n{PY_ADD.replace(chr(10), chr(13) + chr(10))}\r\n```\r\n",
        PY_ADD,
    ),
    _c(
        "backticks-in-string",
        "python",
        '```python\ndef fence(code):\n    return "```\\n" + code + "\\n```"\n```',
        'def fence(code):\n    return "```\\n" + code + "\\n```"',
    ),
    _c(
        "inline-code-prose",
        "python",
        f"Use `add(a, b)` like this:\n\n{_fence(PY_ADD, 'python')}",
        PY_ADD,
    ),
    _c(
        "blockquote-fence",
        "python",
        "> Here is the fix:\n>\n> ```python\n> " + PY_ADD.replace("\n", "\n> ") + "\n> ```\n",
        PY_ADD,
    ),
    _c(
        "repl-prompts",
        "python",
        "```python\n>>> def add(a, b):\n...     return a + b\n```",
        PY_ADD,
    ),
    _c(
        "shell-heredoc",
        "python",
        "Create the file and run it:\n```bash\ncat > main.py <<'EOF'\n"
        + PY_ADD
        + "\nEOF\npython main.py\n```",
        PY_ADD,
    ),
    _c("refusal", "python", "I'm sorry, but I can't help with that request.", ""),
    _c("empty", "python", "", ""),
    _c("only-shell", "python", f"Run:\n{_fence('pip install numpy', 'bash')}", ""),
    _c(
        "html-code-tags",
        "python",
        f"<code>\n{PY_ADD}\n</code>",
        PY_ADD,
    ),
    _c(
        "think-then-code",
        "python",
        f"<think>The user wants addition. I will write a function.</think>\n\n{_fence(PY_ADD, 'python')}",
        PY_ADD,
    ),
    _c(
        "explanation-heading-before",
        "c",
        f"## Solution\n\nWe swap characters from both ends.\n\n### Code\n\n{_fence(C_REV, 'c')}\n\n### Complexity\n\nO(n).",
        C_REV,
    ),
)


#: real replies of the embedded model to the agent's prompts, labelled by hand
RECORDED = Path(__file__).with_name("fixtures") / "embedded_replies.json"


def recorded_cases(path: Path = RECORDED) -> tuple[Case, ...]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        Case(id=r["id"], language=r["language"], reply=r["reply"], expected=r["expected"])
        for r in data["replies"]
    )


def normalize(code: str) -> str:
    lines = [line.rstrip() for line in code.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def judge(case: Case) -> CaseOutcome:
    from mutable.extract import extract_code

    got = extract_code(case.reply, case.language)
    ok = normalize(got) == normalize(case.expected)
    detail = (
        f"reply ({case.language}):\n{case.reply[:400]}\nexpected:\n{case.expected[:300]}\ngot:\n{got[:300]}"
    )
    return CaseOutcome(ok, "" if ok else detail)


def evaluate(trials: int = 1) -> tuple[list[CaseResult], list[float]]:
    return score_each((*CASES, *recorded_cases()), lambda c: c.id, judge), []
