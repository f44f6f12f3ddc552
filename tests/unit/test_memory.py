"""Memory: chromadb under .agent/memory with the offline embedding, filters, secrets, restarts."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.memory import (
    AttemptRecord,
    Memory,
    MemoryUnavailable,
    code_fingerprint,
    diff_fingerprint,
    embed_text,
    open_memory,
    scrub_secrets,
)
from core.records import Edit, EditKind, EditOp
from core.workspace import Workspace

PLANTED = "sk-test-PLANTED0123456789abcdefXYZ"
ENV_SECRET = "hunter2-very-secret-value"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def memory(tmp_path: Path) -> Memory:
    return open_memory(Workspace(tmp_path), environ={"MY_SERVICE_TOKEN": ENV_SECRET})


def _attempt(target: str, rationale: str, outcome: str, **kw: str) -> AttemptRecord:
    return AttemptRecord(target=target, rationale=rationale, diff=kw.pop("diff", ""), outcome=outcome, **kw)


def test_embedding_is_deterministic_unit_and_similarity_ranks() -> None:
    a = embed_text("detect the Rust language from fn main")
    assert a == embed_text("detect the Rust language from fn main")
    assert abs(sum(v * v for v in a) - 1.0) < 1e-9
    near = embed_text("rust detection: fn main and let mut")
    far = embed_text("sympy integrate a polynomial symbolically")

    def dot(x: list[float], y: list[float]) -> float:
        return sum(p * q for p, q in zip(x, y, strict=True))

    assert dot(a, near) > dot(a, far)
    assert abs(sum(v * v for v in embed_text("")) - 1.0) < 1e-9


def test_attempts_round_trip_with_metadata_filters(memory: Memory) -> None:
    memory.record_attempt(
        _attempt(
            "mutable/lang.py:detect_language",
            "add rust keywords",
            "rejected",
            gate="pytest",
            excerpt="1 failed",
        )
    )
    memory.record_attempt(_attempt("mutable/lang.py:detect_language", "score go keywords", "accepted"))
    memory.record_attempt(
        _attempt("mutable/extract.py:extract_code", "accept ~~~ fences", "rejected", gate="ruff")
    )

    rejected = memory.similar_attempts("rust language detection", n=10, outcome="rejected")
    assert {a.rationale for a in rejected} == {"add rust keywords", "accept ~~~ fences"}
    assert all(a.outcome == "rejected" for a in rejected)

    on_lang = memory.similar_attempts("anything", n=10, target="mutable/lang.py:detect_language")
    assert {a.rationale for a in on_lang} == {"add rust keywords", "score go keywords"}

    both = memory.similar_attempts("rust", n=10, outcome="rejected", target="mutable/lang.py:detect_language")
    assert [(a.rationale, a.gate, a.excerpt) for a in both] == [("add rust keywords", "pytest", "1 failed")]
    assert both[0].created_at  # filled in when recorded

    top = memory.similar_attempts("add rust keywords", n=1)
    assert top[0].rationale == "add rust keywords"


def test_solutions_filter_by_language_and_upsert(memory: Memory) -> None:
    memory.record_solution("reverse a string", "python", "def rev(s: str) -> str:\n    return s[::-1]\n")
    memory.record_solution(
        "reverse a string", "python", "def rev(s: str) -> str:\n    return ''.join(reversed(s))\n"
    )
    memory.record_solution(
        "reverse a string", "rust", "fn rev(s: &str) -> String { s.chars().rev().collect() }"
    )
    memory.record_solution("sum of primes below n", "python", "def f(n: int) -> int: ...")

    python = memory.similar_solutions("reverse the string", n=5, language="python")
    assert [s.task for s in python] == ["reverse a string", "sum of primes below n"]
    assert "reversed" in python[0].code  # the second recording replaced the first
    assert python[0].distance < python[1].distance
    rust = memory.similar_solutions("reverse", n=5, language="rust")
    assert [s.language for s in rust] == ["rust"]


def test_search_across_kinds_and_by_kind(memory: Memory) -> None:
    memory.record_note("never remove the python fallback in detect_language", target="mutable/lang.py")
    memory.record_solution("detect language of a snippet", "python", "print(1)")
    memory.record_attempt(_attempt("mutable/lang.py:detect_language", "drop python fallback", "rejected"))
    kinds = {hit.kind for hit in memory.search("python fallback detect language", n=10)}
    assert kinds == {"note", "solution", "attempt"}
    notes = memory.search("python fallback", n=10, kind="note")
    assert [h.kind for h in notes] == ["note"]
    assert notes[0].metadata["target"] == "mutable/lang.py"
    assert memory.search("x", n=0) == []
    assert memory.count() == 3


def test_secrets_never_reach_the_store(tmp_path: Path) -> None:
    memory = open_memory(Workspace(tmp_path), environ={"MY_SERVICE_TOKEN": ENV_SECRET})
    memory.record_attempt(
        _attempt(
            "mutable/lang.py:detect_language",
            f"used key {PLANTED} and {ENV_SECRET}",
            "error",
            excerpt=f"Authorization: Bearer {PLANTED}",
            diff=f"+API_KEY = '{PLANTED}'\n",
        )
    )
    memory.record_solution(f"call the api with {PLANTED}", "python", f"key = '{ENV_SECRET}'")
    memory.record_note(f"the key is {PLANTED}")
    hits = memory.search("key", n=10)
    rendered = json.dumps([(h.text, dict(h.metadata)) for h in hits])
    assert "[REDACTED]" in rendered
    assert PLANTED not in rendered and ENV_SECRET not in rendered
    del memory
    for file in (tmp_path / ".agent" / "memory").rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            assert PLANTED.encode() not in data, file
            assert ENV_SECRET.encode() not in data, file


def test_scrub_secrets_patterns() -> None:
    env = {"OPENAI_API_KEY": "abcdef123456", "PATH": "/usr/bin", "SHORT_TOKEN": "abc"}
    text = "sk-ant-api03-abcdefghijklmnop AKIAABCDEFGHIJKLMNOP ghp_" + "a" * 30 + " abcdef123456 /usr/bin abc"
    clean = scrub_secrets(text, env)
    assert clean == "[REDACTED] [REDACTED] [REDACTED] [REDACTED] /usr/bin abc"


def test_fingerprints_ignore_formatting() -> None:
    a = Edit(
        EditOp.REPLACE, EditKind.FUNCTION, "mutable/m.py", "f", "def f(x: int) -> int:\n    return x+1  # c\n"
    )
    b = Edit(
        EditOp.REPLACE,
        EditKind.FUNCTION,
        "mutable/m.py",
        "f",
        "def f(x: int) -> int:\n\n    return (x + 1)\n",
    )
    c = Edit(
        EditOp.REPLACE, EditKind.FUNCTION, "mutable/m.py", "f", "def f(x: int) -> int:\n    return x + 2\n"
    )
    assert code_fingerprint([a]) == code_fingerprint([b]) != code_fingerprint([c])
    assert diff_fingerprint("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a  =1\n+a = 2\n") == diff_fingerprint(
        "-a = 1\n+a =  2\n"
    )
    assert diff_fingerprint("--- a/x\n+++ b/x\n") == ""


def test_failure_counts_per_target(memory: Memory) -> None:
    for outcome in ("rejected", "error", "accepted", "needs_approval", "rejected"):
        memory.record_attempt(_attempt("mutable/m.py:f", "x", outcome))
    memory.record_attempt(_attempt("mutable/m.py:g", "y", "rejected", gate="parse"))
    memory.record_note("a note is not an attempt", target="mutable/m.py:f")
    assert memory.failure_counts() == {"mutable/m.py:f": 3, "mutable/m.py:g": 1}


def test_has_failed_matches_only_failures(memory: Memory) -> None:
    bad = "code:" + "1" * 32
    good = "code:" + "2" * 32
    memory.record_attempt(_attempt("mutable/m.py:f", "bad", "rejected", fingerprint=bad))
    memory.record_attempt(_attempt("mutable/m.py:f", "good", "accepted", fingerprint=good))
    memory.record_attempt(_attempt("mutable/m.py:f", "via diff", "error", diff="+x = 1\n"))
    assert memory.has_failed([bad])
    assert not memory.has_failed([good])
    assert memory.has_failed(["", diff_fingerprint("+x  = 1")])
    assert not memory.has_failed([])


WRITER = """
from pathlib import Path
from core.memory import AttemptRecord, open_memory
from core.workspace import Workspace
m = open_memory(Workspace(Path({root!r})))
m.record_attempt(AttemptRecord(target="mutable/lang.py:detect_language", rationale="teach it zig",
                               diff="+zig\\n", outcome="rejected", gate="evals",
                               excerpt="lang-detect 0.70->0.68"))
m.record_solution("fizzbuzz", "python", "print('fizz')")
"""

READER = """
import json
from pathlib import Path
import chromadb
from chromadb.config import Settings
from core.memory import _hashed_embedding_class, open_memory
from core.workspace import Workspace
m = open_memory(Workspace(Path({root!r})))
attempts = m.similar_attempts("zig language", outcome="rejected")
solutions = m.similar_solutions("fizz buzz", language="python")
# a plain chromadb client (no embedding function passed) rebuilds ours from the persisted config
client = chromadb.PersistentClient(path={memdir!r}, settings=Settings(anonymized_telemetry=False))
collection = client.get_collection("ratchet-memory")
hits = collection.query(query_texts=["zig"], n_results=1)
print(json.dumps({{"attempts": [a.rationale for a in attempts], "gate": attempts[0].gate,
                   "solutions": [s.code for s in solutions], "raw": hits["documents"][0][0]}}))
"""


@pytest.mark.slow
def test_memory_survives_a_process_restart(tmp_path: Path) -> None:
    memdir = str(tmp_path / ".agent" / "memory")
    for script in (WRITER, READER):
        code = textwrap.dedent(script).format(root=str(tmp_path), memdir=memdir)
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["attempts"] == ["teach it zig"]
    assert result["gate"] == "evals"
    assert result["solutions"] == ["print('fizz')"]
    assert "teach it zig" in result["raw"]


def test_importing_core_memory_does_not_import_chromadb() -> None:
    code = "import sys, core.memory; print('chromadb' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "False", proc.stderr


def test_an_unusable_store_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / ".agent").mkdir()
    (tmp_path / ".agent" / "memory").write_text("not a directory")
    with pytest.raises(MemoryUnavailable, match=r"cannot open the memory store at .*move it away"):
        open_memory(Workspace(tmp_path))
