"""The LLM proposer through the real gateway against a loopback OpenAI-compatible server."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from core.config import BudgetConfig, Config, LLMConfig, MemoryConfig, ProposerConfig
from core.llm import BudgetExceeded, open_gateway
from core.llm.testing import FakeChatServer
from core.memory import AttemptRecord, Memory, code_fingerprint, open_memory
from core.proposers.base import FailingCase, NoProposal, Observation, PastAttempt
from core.proposers.llm import LLMProposer, choose_target, relevant_cases, reply_budget, scan_modules
from core.proposers.prompts import CHARS_PER_TOKEN, SYSTEM_PROMPT, PromptContext, build_messages
from core.records import Edit, EditKind, EditOp, GateResult, Proposal, Scores, to_json
from core.workspace import Workspace

CALC = textwrap.dedent(
    '''\
    """Arithmetic helpers of the test agent."""

    from __future__ import annotations


    def add(a: int, b: int) -> int:
        return a + b


    def is_even(n: int) -> bool:
        return n % 2 == 0


    def classify(n: int) -> str:
        """Sign of `n` as a word."""
        if n < 0:
            return "negative"
        return "positive"
    '''
)
GOOD_CODE = textwrap.dedent(
    '''\
    def classify(n: int) -> str:
        """Sign of `n` as a word."""
        if n < 0:
            return "negative"
        if n == 0:
            return "zero"
        return "positive"
    '''
)
GOOD = (
    f"WHY: zero is neither sign\nEDIT replace function mutable/calc.py:classify\n```python\n{GOOD_CODE}```\n"
)
OTHER_GOOD = GOOD.replace('"zero"', '"nil"').replace("zero is neither sign", "call zero nil")
PROSE = "I would add a branch for zero."
UNCHANGED = (
    "EDIT replace function mutable/calc.py:classify\n```python\n"
    + CALC[CALC.index("def classify") :]
    + "```\n"
)
PROJECT_ROOT = Path(__file__).resolve().parents[2]
FAILING = (FailingCase("calc", "classify-zero", "classify(0): expected 'zero', got 'positive'"),)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A workspace layout with one small module (the proposer needs nothing more)."""
    root = tmp_path / "ws"
    (root / "mutable").mkdir(parents=True)
    (root / "protected").mkdir()
    (root / "mutable" / "__init__.py").write_text("")
    (root / "mutable" / "calc.py").write_text(CALC)
    return Workspace(root)


@pytest.fixture
def memory(ws: Workspace) -> Memory:
    return open_memory(ws)


def make_config(server: FakeChatServer, **proposer: object) -> Config:
    return Config(
        llm=LLMConfig(model="openai/fake", api_base=server.api_base, max_retries=0),
        proposer=replace(ProposerConfig(kind="llm"), **proposer),  # type: ignore[arg-type]
        memory=MemoryConfig(recall=4),
    )


@pytest.fixture
def serve() -> Iterator[object]:
    servers: list[FakeChatServer] = []

    def start(*replies: str) -> FakeChatServer:
        server = FakeChatServer(replies).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def propose(ws: Workspace, memory: Memory | None, config: Config, obs: Observation) -> Proposal | NoProposal:
    gateway = open_gateway(ws, config)
    try:
        return LLMProposer(gateway, memory, config).propose(obs, ws)
    finally:
        gateway.close()


def user_prompt(server: FakeChatServer, index: int = 0) -> str:
    return str(server.chat_requests[index].body["messages"][1]["content"])


# --- target choice -----------------------------------------------------------------------------

SEED_LIKE = {
    "mutable/agent.py": ["classify_intent", "solve", "check_run", "_best"],
    "mutable/extract.py": ["extract_code", "find_blocks", "_bare_code"],
    "mutable/lang.py": ["detect_language", "get_language", "language_for_tag", "_mentions"],
}


def obs(**kw: object) -> Observation:
    return Observation(scores=Scores(), **kw)  # type: ignore[arg-type]


def test_choose_target_from_failing_suite() -> None:
    cases = (FailingCase("lang-detect", "java-vs-javascript", "expected javascript, got java"),)
    assert choose_target(obs(failing_cases=cases), SEED_LIKE) == "mutable/lang.py:detect_language"
    extract = (FailingCase("extract", "two-blocks", "picked the wrong block"),)
    assert choose_target(obs(failing_cases=extract), SEED_LIKE) == "mutable/extract.py:extract_code"


def test_choose_target_moves_on_from_a_target_that_keeps_failing() -> None:
    cases = (FailingCase("lang-detect", "rust-01", "expected rust, got None"),)
    assert choose_target(obs(failing_cases=cases), SEED_LIKE) == "mutable/lang.py:detect_language"
    failing = {"mutable/lang.py:detect_language": 3}
    assert choose_target(obs(failing_cases=cases), SEED_LIKE, 0, failing) == "mutable/lang.py:get_language"
    explicit = obs(failing_cases=cases, target="mutable/lang.py:detect_language")
    assert choose_target(explicit, SEED_LIKE, 0, failing) == "mutable/lang.py:detect_language"


def test_choose_target_from_goal_explicit_and_round_robin() -> None:
    assert (
        choose_target(obs(goals=("make Rust detection better",)), SEED_LIKE)
        == "mutable/lang.py:detect_language"
    )
    assert (
        choose_target(obs(target="mutable/extract.py:find_blocks"), SEED_LIKE)
        == "mutable/extract.py:find_blocks"
    )
    assert choose_target(obs(target="mutable/extract.py"), SEED_LIKE) == "mutable/extract.py:extract_code"
    public = [
        f"{p}:{s}" for p, names in sorted(SEED_LIKE.items()) for s in sorted(names) if not s.startswith("_")
    ]
    picks = [choose_target(obs(), SEED_LIKE, turn) for turn in range(len(public) + 1)]
    assert picks[:-1] == public and picks[-1] == public[0]
    assert choose_target(obs(), {}) == ""


def test_relevant_cases_keep_the_targets_suite() -> None:
    lang = [FailingCase("lang-detect", f"rust-{i}", "expected rust") for i in range(12)]
    other = [FailingCase("extract", "two-blocks", "wrong block")]
    assert relevant_cases([*other, *lang], "mutable/lang.py", "detect_language") == tuple(lang[:8])
    assert relevant_cases(other, "mutable/lang.py", "detect_language") == tuple(other)  # nothing closer
    assert relevant_cases([], "mutable/lang.py", "detect_language") == ()


def test_scan_modules_lists_functions_and_methods(ws: Workspace) -> None:
    (ws.mutable / "reg.py").write_text(
        "from typing import Protocol\n\nclass P(Protocol):\n    def f(self) -> int: ...\n\n"
        "class R:\n    def __init__(self) -> None:\n        self.x = 1\n\n"
        "    def get(self) -> int:\n        return self.x\n"
    )
    (ws.mutable / "broken.py").write_text("def (:\n")
    modules = scan_modules(ws)
    assert sorted(modules) == ["mutable/calc.py", "mutable/reg.py"]
    assert modules["mutable/reg.py"].symbols == (("R.get", EditKind.METHOD),)
    assert [s for s, _ in modules["mutable/calc.py"].symbols] == ["add", "is_even", "classify"]


def test_reply_budget_scales_with_the_symbol_within_bounds() -> None:
    small = reply_budget(CALC, "classify", 1024)
    assert small == 256  # the floor: a short function still gets room for a WHY line and helpers
    big = CALC + "\n\ndef big(x: int) -> int:\n" + "    x += 1\n" * 200 + "    return x\n"
    assert reply_budget(big, "big", 1024) == 1024  # the ceiling is [llm] max_tokens
    assert (
        256 < reply_budget(big, "big", 0) == 2 * ((len(big[big.index("def big") :].rstrip()) + 3) // 4) + 120
    )
    assert reply_budget("def (:", "f", 1024) == 256


# --- prompt context ----------------------------------------------------------------------------


def test_prompt_carries_every_kind_of_context_within_budget() -> None:
    context = PromptContext(
        path="mutable/calc.py",
        symbol="classify",
        kind=EditKind.FUNCTION,
        module_source=CALC,
        failing_cases=("calc/classify-zero: expected 'zero'",),
        feedback="pytest: 1 failed\nE   AssertionError: 'nil' != 'zero'",
        past_attempts=("call zero nil — failed pytest",),
        goals=("name zero",),
        notes=("keep the docstring",),
    )
    messages = build_messages(context, 2500)
    assert messages[0] == {"role": "system", "content": SYSTEM_PROMPT}
    text = messages[1]["content"]
    order = [
        "def classify",
        "classify-zero",
        "AssertionError",
        "call zero nil",
        "name zero",
        "keep the docstring",
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert text.rstrip().endswith("then one ```python block with the new code.")
    assert "EDIT replace function calc.py:classify" in text and "mutable" not in text


def test_big_module_becomes_target_plus_outline() -> None:
    filler = "".join(
        f'\n\ndef helper_{i}(x: int) -> int:\n    """Helper {i}."""\n'
        + "    x += 1\n" * 30
        + "    return x\n"
        for i in range(40)
    )
    context = PromptContext(
        "mutable/calc.py", "classify", EditKind.FUNCTION, CALC + filler, failing_cases=("c" * 5000,)
    )
    budget = 1500
    messages = build_messages(context, budget)
    total = sum(len(m["content"]) for m in messages)
    assert total <= budget * CHARS_PER_TOKEN
    text = messages[1]["content"]
    assert 'return "positive"' in text  # the target's full code
    assert "- function helper_39(x: int) -> int  # Helper 39." in text or "[... clipped]" in text
    assert "x += 1\n    x += 1" not in text  # other bodies are left out
    assert "(an outline, not code)" in text


# --- proposing ---------------------------------------------------------------------------------


def test_first_surviving_candidate_is_returned_and_failures_remembered(
    ws: Workspace, memory: Memory, serve: object
) -> None:
    server = serve(PROSE, UNCHANGED, GOOD)  # type: ignore[operator]
    result = propose(ws, memory, make_config(server, candidates=3), obs(failing_cases=FAILING))
    assert isinstance(result, Proposal), result
    assert result.proposer == "llm" and result.model == "openai/fake"
    assert result.target == "mutable/calc.py:classify"
    assert result.edits == (
        Edit(EditOp.REPLACE, EditKind.FUNCTION, "mutable/calc.py", "classify", GOOD_CODE),
    )
    assert result.rationale.startswith("zero is neither sign")
    assert "candidate 1: the reply has no ```python code block" in result.rationale
    assert "candidate 2: the code of 'classify' is unchanged" in result.rationale
    assert result.usage.calls == 3 and result.usage.tokens_in > 0
    assert len(server.chat_requests) == 3
    assert [r.body.get("temperature") for r in server.chat_requests] == [0.7] * 3
    assert [r.body.get("max_tokens") for r in server.chat_requests] == [
        reply_budget(CALC, "classify", 1024)
    ] * 3
    remembered = memory.similar_attempts("classify", n=10, outcome="rejected")
    assert sorted(a.gate for a in remembered) == ["parse", "parse"]
    assert all(a.proposer == "llm" and a.target == "mutable/calc.py:classify" for a in remembered)


def test_stops_sampling_at_the_first_survivor(ws: Workspace, memory: Memory, serve: object) -> None:
    server = serve(GOOD, OTHER_GOOD)  # type: ignore[operator]
    result = propose(ws, memory, make_config(server, candidates=4), obs(failing_cases=FAILING))
    assert isinstance(result, Proposal) and result.usage.calls == 1
    assert len(server.chat_requests) == 1


def test_all_candidates_bad_is_a_reasoned_no_proposal(ws: Workspace, memory: Memory, serve: object) -> None:
    server = serve("", PROSE, "```python\ndef classify(n: int) -> str:\n    return (\n```")  # type: ignore[operator]
    result = propose(ws, memory, make_config(server, candidates=3), obs(failing_cases=FAILING))
    assert isinstance(result, NoProposal) and not result.exhausted
    assert result.reason.startswith(
        "candidate 1: the reply is empty; candidate 2: the reply has no ```python"
    )
    assert "candidate 3: the code is not valid Python" in result.reason
    assert memory.count() == 3


def test_duplicates_of_past_failures_and_of_each_other_are_dropped(
    ws: Workspace, memory: Memory, serve: object
) -> None:
    failed = Edit(EditOp.REPLACE, EditKind.FUNCTION, "mutable/calc.py", "classify", GOOD_CODE)
    memory.record_attempt(
        AttemptRecord(
            target="mutable/calc.py:classify",
            rationale="zero is neither sign",
            diff="",
            outcome="rejected",
            gate="evals",
            excerpt="calc 0.9 -> 0.8",
            fingerprint=code_fingerprint([failed]),
        )
    )
    reformatted = GOOD.replace(
        'if n == 0:\n        return "zero"', 'if n == 0:  # new\n        return ("zero")'
    )
    server = serve(reformatted, OTHER_GOOD, OTHER_GOOD)  # type: ignore[operator]
    result = propose(
        ws,
        memory,
        make_config(server, candidates=2),
        obs(failing_cases=FAILING, target="mutable/calc.py:classify"),
    )
    assert isinstance(result, Proposal)
    assert '"nil"' in result.edits[0].code
    assert "candidate 1: the same code as a past attempt that failed" in result.rationale
    prompt = user_prompt(server)
    assert "Past attempts that failed (do not repeat them)" in prompt and "calc 0.9 -> 0.8" in prompt

    twice = serve(reformatted, GOOD)  # type: ignore[operator]
    uncached = make_config(twice, candidates=2)
    uncached = replace(uncached, llm=replace(uncached.llm, cache=False))
    again = propose(ws, memory, uncached, obs(failing_cases=FAILING, target="mutable/calc.py:classify"))
    assert isinstance(again, NoProposal)
    assert again.reason == (
        "candidate 1: the same code as a past attempt that failed; "
        "candidate 2: the same code as an earlier candidate"
    )


def test_prompt_has_feedback_goals_notes_and_recent_attempts(
    ws: Workspace, memory: Memory, serve: object
) -> None:
    memory.record_note("never change add()", target="mutable/calc.py")
    memory.record_note("unrelated note about extract", target="mutable/extract.py")
    server = serve(GOOD)  # type: ignore[operator]
    observation = obs(
        failing_cases=FAILING,
        goals=("handle zero",),
        notes=("keep docstrings",),
        recent_attempts=(
            PastAttempt("mutable/calc.py:classify", "used 'nil'", "rejected", "pytest", "1 failed"),
        ),
        feedback=GateResult("pytest", False, 1.0, "1 failed", "E  assert classify(0) == 'zero'"),
        target="mutable/calc.py:classify",
    )
    assert isinstance(propose(ws, memory, make_config(server), observation), Proposal)
    prompt = user_prompt(server)
    for needle in (
        "handle zero",
        "keep docstrings",
        "never change add()",
        "used 'nil'",
        "assert classify(0) == 'zero'",
    ):
        assert needle in prompt
    assert "unrelated note about extract" not in prompt


def test_an_explicit_class_or_constant_target(ws: Workspace, serve: object) -> None:
    (ws.mutable / "calc.py").write_text(CALC + "\n\nLIMIT = 10\n\n\nclass Box:\n    size: int = 1\n")
    server = serve("```python\nclass Box:\n    size: int = 2\n```", "```python\nLIMIT = 20\n```")  # type: ignore[operator]
    box = propose(ws, None, make_config(server), obs(target="mutable/calc.py:Box"))
    assert isinstance(box, Proposal) and box.edits[0].kind is EditKind.CLASS
    limit = propose(ws, None, make_config(server), obs(target="mutable/calc.py:LIMIT"))
    assert isinstance(limit, Proposal) and limit.edits[0].kind is EditKind.ASSIGNMENT
    missing = propose(ws, None, make_config(server), obs(target="mutable/calc.py:nothing"))
    assert missing == NoProposal("mutable/calc.py has no symbol 'nothing' to improve")


def test_nothing_to_improve_is_exhausted(tmp_path: Path, serve: object) -> None:
    root = tmp_path / "empty"
    (root / "mutable").mkdir(parents=True)
    (root / "mutable" / "consts.py").write_text("X = 1\n")
    server = serve(GOOD)  # type: ignore[operator]
    result = propose(Workspace(root), None, make_config(server), obs())
    assert isinstance(result, NoProposal) and result.exhausted
    assert server.chat_requests == []


def test_cache_replay_gives_a_byte_identical_proposal(ws: Workspace, memory: Memory, serve: object) -> None:
    server = serve(GOOD)  # type: ignore[operator]
    config = make_config(server, candidates=2)
    first = propose(ws, memory, config, obs(failing_cases=FAILING))
    server.stop()
    replay = replace(config, llm=replace(config.llm, replay=True))
    second = propose(ws, memory, replay, obs(failing_cases=FAILING))
    assert isinstance(first, Proposal)
    assert to_json(second) == to_json(first)


def test_budget_exhaustion_stops_the_proposer_with_a_clear_message(
    ws: Workspace, memory: Memory, serve: object
) -> None:
    server = serve(PROSE)  # type: ignore[operator]
    config = replace(make_config(server, candidates=3), budget=BudgetConfig(calls_per_hour=2))
    with pytest.raises(BudgetExceeded) as caught:
        propose(ws, memory, config, obs(failing_cases=FAILING))
    assert "calls_per_hour" in str(caught.value)
    assert len(server.chat_requests) == 2


def test_target_and_context_on_the_seed_agent(tmp_path: Path, serve: object) -> None:
    """On a copy of the seed agent's modules, a lang-detect failure asks for detect_language."""
    root = tmp_path / "seed"
    shutil.copytree(PROJECT_ROOT / "mutable", root / "mutable", ignore=shutil.ignore_patterns("__pycache__"))
    workspace = Workspace(root)
    source = (workspace.mutable / "lang.py").read_text()
    start = source.index("def detect_language")
    end = source.find("\n\n\n", start)
    original = source[start : end if end != -1 else len(source)].rstrip() + "\n"
    changed = original.replace("_mentions(text)", "_mentions(text.strip())")
    assert changed != original
    server = serve(f"WHY: ignore surrounding blanks\n```python\n{changed}```")  # type: ignore[operator]
    cases = (FailingCase("lang-detect", "rust-01", "expected rust, got None"),)
    result = propose(workspace, None, make_config(server), obs(failing_cases=cases))
    assert isinstance(result, Proposal), result
    assert result.target == "mutable/lang.py:detect_language"
    prompt = user_prompt(server)
    assert "lang-detect/rust-01" in prompt and "def detect_language" in prompt
    assert len(prompt) + len(SYSTEM_PROMPT) <= ProposerConfig().context_tokens * CHARS_PER_TOKEN
