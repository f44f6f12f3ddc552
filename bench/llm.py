"""LLM benchmarks. Section `model`: the embedded model's load time and tokens/s (prompt, generation).

Each section is a function `(args) -> list[Row]` registered in SECTIONS; more sections (seconds per
proposal, share of proposals reaching each gate) plug in the same way.
Run: .venv/bin/python bench/llm.py [--section model] [--runs N] [--threads 1,2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from core.config import Config, ModelConfig
from core.llm import open_gateway
from core.llm.embedded import EmbeddedServer, ensure_weights, model_settings
from core.workspace import Workspace


@dataclass(frozen=True)
class Row:
    label: str
    value: str


#: a proposer-sized prompt: a module and a request for a structured edit (~400 tokens)
PROMPT = [
    {
        "role": "system",
        "content": "You improve Python modules. Reply with one complete function in a code block.",
    },
    {
        "role": "user",
        "content": (
            "Module mutable/lang.py:\n```python\n"
            + "\n".join(
                f"def detect_{name}(source: str) -> bool:\n"
                f"    markers = ({', '.join(repr(m) for m in markers)})\n"
                f"    return any(m in source for m in markers)\n"
                for name, markers in [
                    ("python", ["def ", "import ", "self."]),
                    ("rust", ["fn ", "let mut", "impl "]),
                    ("go", ["func ", "package ", ":= "]),
                    ("javascript", ["function ", "const ", "=> "]),
                    ("ruby", ["def ", "end\n", "puts "]),
                    ("c", ["#include", "int main", "printf("]),
                ]
            )
            + "```\nThe eval case `rust-closure` fails: `let add = |a, b| a + b;` is detected as "
            "javascript.\n"
            "Replace detect_rust so that it also recognises closures and `fn main`. Keep it short."
        ),
    },
]


def _post(api_base: str, max_tokens: int) -> dict[str, float]:
    """One chat completion straight to llama.cpp's server; its own timings, not ours."""
    body = {"messages": PROMPT, "max_tokens": max_tokens, "temperature": 0.0, "cache_prompt": False}
    request = urllib.request.Request(
        f"{api_base}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=600) as resp:
        timings: dict[str, float] = json.loads(resp.read())["timings"]
    return timings


def section_model(args: argparse.Namespace) -> list[Row]:
    """Server start (spawn + model load until /health answers), prompt and generation tokens/s."""
    rows: list[Row] = []
    settings = model_settings(ModelConfig())
    started = time.monotonic()
    ensure_weights(settings)
    rows.append(Row("prepare (already assembled: size + stamp)", f"{time.monotonic() - started:.3f} s"))
    for threads in args.threads:
        with tempfile.TemporaryDirectory(prefix="ratchet-bench-llm-") as tmp:
            workspace = Workspace(Path(tmp))
            server = EmbeddedServer(workspace, replace(settings, n_threads=threads))
            started = time.monotonic()
            api_base = server.api_base()
            load = time.monotonic() - started
            try:
                _post(api_base, 4)  # warm-up
                runs = [_post(api_base, args.max_tokens) for _ in range(args.runs)]
                # a gateway on the same workspace finds the running server and reuses it
                gateway = open_gateway(workspace, Config(model=replace(ModelConfig(), n_threads=threads)))
                started = time.monotonic()
                reply = gateway.complete(PROMPT, purpose="bench", temperature=0.0, max_tokens=args.max_tokens)
                gateway_seconds = time.monotonic() - started
            finally:
                server.close()
        prompt_tps = statistics.median(r["prompt_per_second"] for r in runs)
        gen_tps = statistics.median(r["predicted_per_second"] for r in runs)
        prompt_n = int(runs[0]["prompt_n"])
        gen_n = statistics.median(r["predicted_n"] for r in runs)
        rows += [
            Row(f"[n_threads={threads}] server start + model load", f"{load:.2f} s"),
            Row(f"[n_threads={threads}] prompt processing ({prompt_n} tokens)", f"{prompt_tps:.1f} tokens/s"),
            Row(f"[n_threads={threads}] generation ({gen_n:.0f} tokens)", f"{gen_tps:.1f} tokens/s"),
            Row(
                f"[n_threads={threads}] one call through the gateway (first call imports litellm)",
                f"{gateway_seconds:.2f} s for {reply.usage.tokens_out} tokens",
            ),
        ]
    return rows


SECTIONS: dict[str, Callable[[argparse.Namespace], list[Row]]] = {
    "model": section_model,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--section", action="append", choices=sorted(SECTIONS), help="default: all")
    parser.add_argument("--runs", type=int, default=3, help="completions per measurement (median)")
    parser.add_argument("--max-tokens", type=int, default=64, help="tokens to generate per completion")
    parser.add_argument(
        "--threads",
        type=lambda s: [int(t) for t in s.split(",")],
        default=[1],
        help="llama.cpp thread counts to compare, e.g. 1,2",
    )
    args = parser.parse_args()
    for name in args.section or list(SECTIONS):
        print(f"== {name}")
        for row in SECTIONS[name](args):
            print(f"  {row.label:<72} {row.value}")


if __name__ == "__main__":
    main()
