"""Proposal benchmark: seconds per proposal, share reaching each gate, share accepted.

Runs the real loop (`Supervisor.run_cycle`, every gate, policy decisions) with the configured
proposer on a fresh seed workspace made by `ratchet init` in a temp dir, for N proposals, and
prints the figures. Default: the embedded model (Qwen2.5-Coder-0.5B), one candidate per proposal.

Run: .venv/bin/python bench/proposals.py [--proposals 20] [--kind embedded|codemod|llm]
     [--candidates 1] [--temperature 0.7] [--keep DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from core.config import Config, load_config
from core.decide import policy_decider
from core.events import Event, GateFinished, GateStarted
from core.init import init_workspace
from core.proposers.base import NoProposal, Observation, Proposer
from core.proposers.factory import make_proposer
from core.records import Proposal
from core.session import make_supervisor
from core.workspace import Workspace

_CANDIDATE = re.compile(r"^candidate \d+: ")


@dataclass
class Tally:
    """What happened to every proposal (mutable: filled in as the loop runs)."""

    propose_seconds: list[float] = field(default_factory=list)
    no_proposal: Counter[str] = field(default_factory=Counter)
    reached: Counter[str] = field(default_factory=Counter)
    passed: Counter[str] = field(default_factory=Counter)
    gate_order: list[str] = field(default_factory=list)
    decisions: Counter[str] = field(default_factory=Counter)
    tokens_in: int = 0
    tokens_out: int = 0
    exhausted: bool = False
    skipped: int = 0

    def sink(self, event: Event) -> None:
        if isinstance(event, GateStarted):
            self.reached[event.name] += 1
            if event.name not in self.gate_order:
                self.gate_order.append(event.name)
        elif isinstance(event, GateFinished) and event.result.passed:
            self.passed[event.result.name] += 1


class TimedProposer:
    """Wraps a proposer to time each call and count what it returned."""

    def __init__(self, inner: Proposer, tally: Tally) -> None:
        self.inner = inner
        self.name = inner.name
        self.tally = tally

    def propose(self, observation: Observation, workspace: Workspace) -> Proposal | NoProposal:
        started = time.monotonic()
        result = self.inner.propose(observation, workspace)
        self.tally.propose_seconds.append(time.monotonic() - started)
        if isinstance(result, NoProposal):
            self.tally.skipped += 1
            for reason in re.split(r"; (?=candidate \d+: )", result.reason):
                self.tally.no_proposal[_CANDIDATE.sub("", reason).split(":")[0][:60]] += 1
            self.tally.exhausted = self.tally.exhausted or result.exhausted
        else:
            self.tally.tokens_in += result.usage.tokens_in
            self.tally.tokens_out += result.usage.tokens_out
        return result


def _config(root: Path, args: argparse.Namespace) -> Config:
    config = load_config(
        root,
        overrides={
            "proposer.kind": args.kind,
            "proposer.candidates": args.candidates,
            "proposer.temperature": args.temperature,
        },
    )
    # one proposal per cycle, so the shares below are per proposal (retries are proposals too)
    return replace(config, gates=replace(config.gates, max_retries=args.retries))


def run(args: argparse.Namespace) -> dict[str, object]:
    tally = Tally()
    with ExitStack() as stack:
        base = Path(args.keep) if args.keep else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        root = base / "ws"
        started = time.monotonic()
        init_workspace(root)
        init_seconds = time.monotonic() - started
        workspace = Workspace(root)
        config = _config(root, args)
        proposer = TimedProposer(make_proposer(workspace, config, stack=stack), tally)
        supervisor = stack.enter_context(make_supervisor(workspace, config, role="bench", sink=tally.sink))
        decide = policy_decider(supervisor.policy.approval)
        cycles_started = time.monotonic()
        while len(tally.propose_seconds) < args.proposals:
            outcome = supervisor.run_cycle(proposer, decide)
            if outcome.proposal is not None:
                tally.decisions[str(outcome.verdict.decision)] += 1
            done = len(tally.propose_seconds)
            print(
                f"[{done}/{args.proposals}] {outcome.verdict.decision}: {outcome.verdict.reason[:100]}",
                file=sys.stderr,
                flush=True,
            )
            if tally.exhausted:
                break  # the proposer has nothing left to try
        total = time.monotonic() - cycles_started
    proposals = len(tally.propose_seconds)
    made = proposals - tally.skipped
    return {
        "proposer": args.kind,
        "candidates": args.candidates,
        "temperature": args.temperature,
        "init_seconds": round(init_seconds, 1),
        "proposals": proposals,
        "seconds_total": round(total, 1),
        "seconds_per_proposal_median": round(statistics.median(tally.propose_seconds), 1),
        "seconds_per_proposal_mean": round(statistics.mean(tally.propose_seconds), 1),
        "seconds_per_cycle_mean": round(total / proposals, 1),
        "usable_proposals": made,
        "dropped_candidate_reasons": dict(tally.no_proposal.most_common()),
        "reached_gate": {g: tally.reached[g] for g in tally.gate_order},
        "passed_gate": {g: tally.passed[g] for g in tally.gate_order},
        "share_reaching_gate": {g: round(tally.reached[g] / proposals, 3) for g in tally.gate_order},
        "decisions": dict(tally.decisions),
        "accepted": tally.decisions.get("accept", 0),
        "share_accepted": round(tally.decisions.get("accept", 0) / proposals, 3),
        "tokens_in_of_usable_proposals": tally.tokens_in,
        "tokens_out_of_usable_proposals": tally.tokens_out,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--proposals", type=int, default=20)
    parser.add_argument("--kind", default="embedded", choices=("embedded", "llm", "codemod"))
    parser.add_argument("--candidates", type=int, default=1)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--retries", type=int, default=0, help="gate-feedback retries per cycle")
    parser.add_argument("--keep", default="", help="make the workspace under DIR and keep it")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        print(f"{key:32} {value}")


if __name__ == "__main__":
    main()
