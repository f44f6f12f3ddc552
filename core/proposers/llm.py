"""The LLM proposer: ask a model for a structured edit of one symbol in `mutable/`.

One proposal: choose a target (`choose_target`), gather context (the module, failing eval
cases, the last gate failure, similar past failures and human notes from memory), ask the
gateway for `config.proposer.candidates` replies, and return the first candidate that parses,
applies cleanly, changes something and is not a repeat of a recorded failure. Every dropped
candidate is recorded in memory with its reason, so the next prompt can say "not this again".
Gateway failures (`BudgetExceeded`, `LLMUnavailable`) propagate: they stop the loop, not a cycle.
"""

from __future__ import annotations

import ast
import difflib
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from core.config import Config
from core.edits import EditRejected, apply_edit
from core.memory import AttemptRecord, Memory, code_fingerprint, diff_fingerprint
from core.proposers.base import FailingCase, NoProposal, Observation
from core.proposers.parse import EditRequest, ParsedEdit, ParseFailure, find_symbol, parse_reply
from core.proposers.prompts import PromptContext, build_messages, estimate_tokens
from core.records import Edit, EditKind, EditOp, Proposal, Usage
from core.workspace import Workspace

__all__ = [
    "CompletionGateway",
    "LLMProposer",
    "ModuleInfo",
    "choose_target",
    "relevant_cases",
    "reply_budget",
    "scan_modules",
]

logger = logging.getLogger(__name__)

_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_STOP = frozenset({"the", "and", "for", "with", "not", "got", "expected", "should", "make", "better", "case"})
_DETAIL_CHARS = 300
_EXCERPT_CHARS = 600
_MIN_REPLY_TOKENS = 256
_MAX_CASES = 8
_PRE_GATE = ("parse", "apply")
_REPLY_OVERHEAD_TOKENS = 120


class _Reply(Protocol):
    @property
    def text(self) -> str: ...
    @property
    def usage(self) -> Usage: ...


class CompletionGateway(Protocol):
    """What the proposer needs of `core.llm.LLMGateway`."""

    @property
    def model_name(self) -> str: ...

    def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        purpose: str,
        temperature: float = 0.2,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> _Reply: ...


@dataclass(frozen=True)
class ModuleInfo:
    path: str  # relative to the workspace root
    source: str
    #: qualified names of the functions and methods a proposal may replace, with their kind
    symbols: tuple[tuple[str, EditKind], ...]


# --- target choice (pure) ---------------------------------------------------------------------


def _tokens(text: str) -> set[str]:
    return {t.lower() for t in _TOKEN.findall(text) if len(t) >= 3 and t.lower() not in _STOP}


def _matches(token: str, words: set[str]) -> bool:
    """`lang` matches `language`, `detect` matches `detection`: a shared prefix of 3+ letters."""
    return any(token.startswith(word) or word.startswith(token) for word in words)


def choose_target(
    observation: Observation,
    modules: Mapping[str, Sequence[str]],
    turn: int = 0,
    failures: Mapping[str, int] | None = None,
) -> str:
    """`path:symbol` to improve next, "" when there is nothing to choose from.

    An explicit `observation.target` wins (`path:symbol`, or a `path` whose best symbol is
    chosen). Otherwise symbols are scored by how many words they share with the failing cases
    (suite names count most) and the human goals, divided by 1 + the failed attempts on them
    (`failures`, by `path:symbol`), so the loop moves on from a target it keeps failing at; ties
    and the no-signal case rotate with `turn`.
    """
    failures = failures or {}
    if ":" in observation.target:
        return observation.target
    pool = {p: s for p, s in modules.items() if not observation.target or p == observation.target}
    pairs = sorted((path, symbol) for path, symbols in pool.items() for symbol in symbols)
    if not pairs:
        return ""
    signals: list[tuple[set[str], float]] = []
    for case in observation.failing_cases:
        signals += [
            (_tokens(case.suite), 3.0),
            (_tokens(case.case_id), 1.0),
            (_tokens(case.detail[:_DETAIL_CHARS]), 0.3),
        ]
    signals += [(_tokens(goal), 2.0) for goal in observation.goals]

    def score(pair: tuple[str, str]) -> float:
        module, symbol = _tokens(Path(pair[0]).stem), _tokens(pair[1])
        raw = sum(
            weight * (_matches(t, module) + _matches(t, symbol)) for toks, weight in signals for t in toks
        )
        return raw / (1 + failures.get(f"{pair[0]}:{pair[1]}", 0))

    scored = [(score(p), not p[1].split(".")[-1].startswith("_"), p) for p in pairs]
    best = max(scored)[:2]
    ties = [p for s, public, p in scored if (s, public) == best]
    if best[0] == 0:
        ties = [p for _, public, p in scored if public] or pairs
    path, symbol = ties[turn % len(ties)]
    return f"{path}:{symbol}"


def relevant_cases(
    cases: Sequence[FailingCase], path: str, symbol: str, limit: int = _MAX_CASES
) -> tuple[FailingCase, ...]:
    """The failing cases about `path:symbol` (by suite and case name), else all; at most `limit`."""
    words = _tokens(Path(path).stem) | _tokens(symbol)
    related = [c for c in cases if any(_matches(t, words) for t in _tokens(f"{c.suite} {c.case_id}"))]
    return tuple((related or list(cases))[:limit])


def scan_modules(workspace: Workspace) -> dict[str, ModuleInfo]:
    """The modules under `mutable/` and their replaceable functions and methods (sorted)."""
    out: dict[str, ModuleInfo] = {}
    for file in sorted(workspace.mutable.glob("*.py")):
        if file.is_symlink() or not file.is_file():
            continue
        source = file.read_text(encoding="utf-8")
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        symbols: list[tuple[str, EditKind]] = []
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                symbols.append((node.name, EditKind.FUNCTION))
            elif isinstance(node, ast.ClassDef) and not any(
                ast.unparse(b).endswith("Protocol") for b in node.bases
            ):
                symbols += [
                    (f"{node.name}.{m.name}", EditKind.METHOD)
                    for m in node.body
                    if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and not m.name.startswith("__")
                ]
        if symbols:
            rel = file.relative_to(workspace.root).as_posix()
            out[rel] = ModuleInfo(path=rel, source=source, symbols=tuple(symbols))
    return out


def reply_budget(source: str, symbol: str, ceiling: int) -> int:
    """Tokens a reply may use: the symbol rewritten at twice its size plus a WHY line, within
    `ceiling` (`[llm] max_tokens`). Small models ramble; a bound keeps a proposal's time
    predictable, and a truncated reply is rejected as unparsable like any other bad reply."""
    try:
        node = find_symbol(ast.parse(source), symbol)
    except (SyntaxError, ValueError, RecursionError):
        node = None
    code = (ast.get_source_segment(source, node) or "") if node is not None else ""
    wanted = max(_MIN_REPLY_TOKENS, 2 * estimate_tokens(code) + _REPLY_OVERHEAD_TOKENS)
    return min(ceiling, wanted) if ceiling > 0 else wanted


# --- the proposer ------------------------------------------------------------------------------


def _unified_diff(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )


def _describe_attempt(attempt: AttemptRecord) -> str:
    if attempt.gate in _PRE_GATE:
        return f"a reply rejected before the gates: {attempt.rationale}"
    why = attempt.rationale or "(no rationale)"
    gate = f" — failed {attempt.gate}" if attempt.gate else f" — {attempt.outcome}"
    excerpt = f": {' '.join(attempt.excerpt.split())[:200]}" if attempt.excerpt else ""
    return f"{why}{gate}{excerpt}"


def _kind_of(node: ast.stmt, symbol: str) -> EditKind:
    if isinstance(node, ast.ClassDef):
        return EditKind.CLASS
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return EditKind.ASSIGNMENT
    return EditKind.METHOD if "." in symbol else EditKind.FUNCTION


@dataclass(frozen=True)
class _Candidate:
    proposal: Proposal | None
    reason: str


class LLMProposer:
    """Proposals from an LLM through the gateway; see the module docstring."""

    name = "llm"

    def __init__(self, gateway: CompletionGateway, memory: Memory | None, config: Config) -> None:
        self._gateway = gateway
        self._memory = memory
        self._config = config
        self._turn = 0
        #: a distinct sampling seed per call: an identical prompt must not give an identical
        #: reply, and a replayed run makes the same calls in the same order (so hits the cache)
        self._calls = 0

    def propose(self, observation: Observation, workspace: Workspace) -> Proposal | NoProposal:
        modules = scan_modules(workspace)
        failures = self._memory.failure_counts() if self._memory is not None else {}
        symbols = {p: [s for s, _ in m.symbols] for p, m in modules.items()}
        target = choose_target(observation, symbols, self._turn, failures)
        self._turn += 1
        path, _, symbol = target.partition(":")
        module = modules.get(path)
        if module is None or not symbol:
            return NoProposal(
                f"no function to improve under mutable/ (target {target or 'none'})", exhausted=True
            )
        kind = dict(module.symbols).get(symbol)
        if kind is None:  # a target named by the supervisor or a human: any symbol of the module
            node = find_symbol(ast.parse(module.source), symbol)
            if node is None:
                return NoProposal(f"{path} has no symbol {symbol!r} to improve")
            kind = _kind_of(node, symbol)
        request = EditRequest(path=path, target=symbol, kind=kind, module_source=module.source)
        messages = build_messages(self._context(observation, request), self._config.proposer.context_tokens)
        max_tokens = reply_budget(module.source, symbol, self._config.llm.max_tokens)
        usage = Usage()
        reasons: list[str] = []
        seen: set[str] = set()
        count = max(1, self._config.proposer.candidates)
        for index in range(count):
            reply = self._gateway.complete(
                messages,
                purpose="propose",
                temperature=self._config.proposer.temperature,
                max_tokens=max_tokens,
                seed=self._calls,
            )
            self._calls += 1
            usage += reply.usage
            candidate = self._check(reply.text, request, seen)
            if candidate.proposal is None:
                reasons.append(f"candidate {index + 1}: {candidate.reason}")
                logger.info("dropped %s candidate %d: %s", target, index + 1, candidate.reason)
                continue
            rationale = candidate.proposal.rationale
            if reasons:
                rationale += "\n\nDropped before the gates: " + "; ".join(reasons)
            return Proposal(
                rationale=rationale,
                target=target,
                edits=candidate.proposal.edits,
                proposer=self.name,
                model=self._gateway.model_name,
                usage=usage,
                title=candidate.proposal.title,
            )
        return NoProposal("; ".join(reasons) or "no candidate")

    # --- context -----------------------------------------------------------------------------
    def _context(self, observation: Observation, request: EditRequest) -> PromptContext:
        target = f"{request.path}:{request.target}"
        cases = tuple(
            dict.fromkeys(
                f"{c.suite}/{c.case_id}: {c.detail[:_DETAIL_CHARS]}".rstrip(": ")
                for c in relevant_cases(observation.failing_cases, request.path, request.target)
            )
        )
        feedback = ""
        if observation.feedback is not None:
            fb = observation.feedback
            feedback = f"{fb.name}: {fb.summary}\n{fb.output}".strip()
        past = [
            f"{a.summary} — {a.outcome}" + (f" at {a.gate}: {a.excerpt[:200]}" if a.gate else "")
            for a in observation.recent_attempts
            if a.target in (target, request.path) and a.outcome != "accepted"
        ]
        notes = list(observation.notes)
        if self._memory is not None:
            query = " ".join([target, *cases[:5], feedback[:500]])
            recall = max(1, self._config.memory.recall)
            found = self._memory.similar_attempts(query, n=recall * 2, target=target)
            # replies rejected before the gates say nothing about the code: they would only
            # distract the model (a 0.5B model echoed them back as its rationale)
            failed = [a for a in found if a.outcome in ("rejected", "error") and a.gate not in _PRE_GATE][
                :recall
            ]
            past += [_describe_attempt(a) for a in failed if _describe_attempt(a) not in past]
            for hit in self._memory.search(query, n=3, kind="note"):
                if (
                    str(hit.metadata.get("target", "")) in ("", request.path, target)
                    and hit.text not in notes
                ):
                    notes.append(hit.text)
        return PromptContext(
            path=request.path,
            symbol=request.target,
            kind=request.kind,
            module_source=request.module_source,
            failing_cases=cases,
            feedback=feedback,
            past_attempts=tuple(past),
            goals=observation.goals,
            notes=tuple(notes),
        )

    # --- candidates --------------------------------------------------------------------------
    def _check(self, text: str, request: EditRequest, seen: set[str]) -> _Candidate:
        target = f"{request.path}:{request.target}"
        parsed = parse_reply(text, request)
        if isinstance(parsed, ParseFailure):
            edit = Edit(EditOp.REPLACE, request.kind, request.path, request.target, parsed.code)
            fingerprint = code_fingerprint([edit]) if parsed.code else ""
            self._record(target, parsed.reason, "parse", text, fingerprint=fingerprint, diff="")
            return _Candidate(None, parsed.reason)
        new_source = self._apply(request.module_source, parsed)
        if isinstance(new_source, EditRejected):
            reason = f"the edit does not apply: {new_source.reason}"
            self._record(target, reason, "apply", text, fingerprint=code_fingerprint(parsed.edits), diff="")
            return _Candidate(None, reason)
        if new_source == request.module_source:
            reason = f"the code of {request.target!r} is unchanged"
            self._record(target, reason, "parse", text, fingerprint=code_fingerprint(parsed.edits), diff="")
            return _Candidate(None, reason)
        diff = _unified_diff(request.path, request.module_source, new_source)
        prints = [code_fingerprint(parsed.edits), diff_fingerprint(diff)]
        if any(p in seen for p in prints):
            return _Candidate(None, "the same code as an earlier candidate")
        seen.update(prints)
        if self._memory is not None and self._memory.has_failed(prints):
            return _Candidate(None, "the same code as a past attempt that failed")
        rationale = parsed.rationale or f"Rewrite {request.target} in {request.path}"
        title = f"{request.target}: {rationale}"[:72]
        proposal = Proposal(
            rationale=rationale, target=target, edits=parsed.edits, proposer=self.name, title=title
        )
        return _Candidate(proposal, "")

    @staticmethod
    def _apply(source: str, parsed: ParsedEdit) -> str | EditRejected:
        for edit in parsed.edits:
            result = apply_edit(source, edit)
            if isinstance(result, EditRejected):
                return result
            source = result.new_source
        return source

    def _record(
        self, target: str, reason: str, gate: str, reply: str, *, fingerprint: str, diff: str
    ) -> None:
        if self._memory is None:
            return
        self._memory.record_attempt(
            AttemptRecord(
                target=target,
                rationale=reason,
                diff=diff,
                outcome="rejected",
                gate=gate,
                excerpt=reply[:_EXCERPT_CHARS],
                proposer=self.name,
                fingerprint=fingerprint,
            )
        )
