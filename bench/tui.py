"""TUI latency in a real pseudo-terminal (80x24): first frame after launch, key press → repaint.

First frame: `ratchet --repo WS` is started N times; the time until the dashboard's text reaches
the terminal. Key → repaint: one cycle runs on the real gate pipeline (ruff, mypy, pytest, evals in
the sandbox); while a gate runs, `a` (toggle the review mode) is pressed repeatedly and the time
until the loop panel shows the new mode is measured. Targets: first frame ≤ 1 s, repaint ≤ 100 ms.
Run: .venv/bin/python bench/tui.py [--launches N] [--presses N]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.init import init_workspace

RATCHET = Path(sys.executable).with_name("ratchet")
ANSI = re.compile(
    rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[@-Z\\-_])"
)
FIRST_FRAME = b"evals across checkpoints"
RUNNING = re.compile(rb"run (ruff|mypy|pytest|evals)")
MODES = (b"only when policy asks", b"every change")


#: the floor under the first-frame figure: a bare Textual app showing one line, on this machine now
HELLO = (
    "from textual.app import App\nfrom textual.widgets import Static\n"
    "class Hello(App):\n    def compose(self):\n        yield Static('evals across checkpoints')\n"
    "Hello().run()\n"
)


class Terminal:
    """A command on the slave side of a pty of a fixed size; reads what it draws (escapes removed)."""

    def __init__(self, argv: list[str], columns: int = 80, lines: int = 24) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env.update(TERM="xterm-256color", LITELLM_LOCAL_MODEL_COST_MAP="True")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.text = b""

    def read_until(self, pattern: bytes | re.Pattern[bytes], timeout: float, since: int = 0) -> float:
        """Seconds until `pattern` appears in the output after offset `since`."""
        start = time.perf_counter()
        deadline = start + timeout
        while True:
            found = (
                pattern.search(self.text, since)
                if isinstance(pattern, re.Pattern)
                else (self.text.find(pattern, since) >= 0)
            )
            if found:
                return time.perf_counter()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                tail = self.text[-1500:].decode("utf-8", "replace")
                raise TimeoutError(f"{pattern!r} did not appear within {timeout}s; screen ends with:\n{tail}")
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise TimeoutError(f"ratchet exited before {pattern!r} appeared")
                self.text += ANSI.sub(b"", chunk)

    def press(self, key: bytes) -> int:
        offset = len(self.text)
        os.write(self.master, key)
        return offset

    def close(self) -> None:
        os.write(self.master, b"q")
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def ratchet(workspace: Path) -> list[str]:
    return [str(RATCHET), "--repo", str(workspace)]


def first_frames(workspace: Path, launches: int) -> list[float]:
    times = []
    for _ in range(launches):
        term = Terminal(ratchet(workspace))
        times.append(term.read_until(FIRST_FRAME, 30) - term.started)
        term.read_until(b"writer (lock held here)", 30)
        term.close()
    return times


def bare_textual_frames(launches: int) -> list[float]:
    times = []
    for _ in range(launches):
        term = Terminal([sys.executable, "-c", HELLO])
        times.append(term.read_until(FIRST_FRAME, 30) - term.started)
        term.proc.kill()
        term.proc.wait()
        os.close(term.master)
    return times


def write_script(workspace: Path, tmp: Path) -> Path:
    """A scripted proposal that passes through every gate (a comment added to `extract_code`)."""
    source = (workspace / "mutable" / "extract.py").read_text()
    start = source.index("def extract_code(")
    end = source.find("\ndef ", start + 1)
    func = source[start:] if end == -1 else source[start : end + 1]
    lines = func.rstrip("\n").splitlines()
    body = "\n".join([lines[0], "    # benchmark edit", *lines[1:]]) + "\n"
    script = tmp / "proposal.json"
    edit = {"op": "replace", "kind": "function", "path": "mutable/extract.py", "target": "extract_code"}
    proposal = {"title": "benchmark edit", "rationale": "A comment, to keep the gates busy."}
    script.write_text(json.dumps({**proposal, "edits": [{**edit, "code": body}]}))
    return script


def repaints(workspace: Path, presses: int) -> list[float]:
    term = Terminal(ratchet(workspace))
    times: list[float] = []
    try:
        term.read_until(b"writer (lock held here)", 30)
        term.press(b"n")
        term.read_until(RUNNING, 120)
        for i in range(presses):
            want = MODES[i % 2]
            offset = term.press(b"a")
            sent = time.perf_counter()
            times.append(term.read_until(want, 5, since=offset) - sent)
            time.sleep(0.05)
        still = RUNNING.search(term.text, len(term.text) - 4000)
        if still is None:
            print("  note: the gates finished during the presses; some were measured while idle")
    finally:
        term.close()
    return times


def describe(name: str, values: list[float], limit: float | None = None) -> None:
    ms = sorted(v * 1000 for v in values)
    p90 = ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))]
    target = ""
    if limit is not None:
        target = (
            f" (target ≤ {limit * 1000:.0f} ms: {'ok' if statistics.median(ms) <= limit * 1000 else 'OVER'})"
        )
    print(
        f"{name}: median {statistics.median(ms):.0f} ms, p90 {p90:.0f} ms, max {max(ms):.0f} ms "
        f"over {len(ms)}{target}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--launches", type=int, default=5)
    parser.add_argument("--presses", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ratchet-bench-tui-") as tmp:
        root = Path(tmp) / "ws"
        init_workspace(root)
        script = write_script(root, Path(tmp))
        (root / ".agent" / "local.toml").write_text(f'[proposer]\nkind = "scripted"\nscript = "{script}"\n')
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        describe("first frame of a bare Textual app (the floor)", bare_textual_frames(args.launches))
        describe("first frame after launch", first_frames(root, args.launches), 1.0)
        describe("key press -> repaint while a gate runs", repaints(root, args.presses), 0.1)


if __name__ == "__main__":
    main()
