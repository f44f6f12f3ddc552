"""Load the agent (`mutable/`) from a workspace and hand it `Tools` built from core's services.

The agent is imported from the given tree (a workspace or a candidate worktree), never from the
installed package, so what runs is exactly what the loop validated. `HostTools` implements the
agent's `Tools` protocol: `complete` goes to the LLM gateway (budgets, cache, ledger), `run` to
the sandbox (one fresh scratch dir per job, toolchains exposed read-only, the language's Docker
image when the docker backend runs it), `recall`/`remember` to the memory store, `now` to the
clock. Results come back as core-side records (`SolveReport`) so the CLI does not depend on the
agent's own record shapes, which the loop may change.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from core.config import Config
from core.errors import RatchetError
from core.procs import run_process, scrub_env
from core.records import Usage
from core.sandbox.base import Sandbox, SandboxRequest
from core.workspace import Workspace

__all__ = [
    "AgentHost",
    "AgentLoadError",
    "AttemptReport",
    "HostTools",
    "LLMClient",
    "LoadedAgent",
    "SolveReport",
    "load_agent",
    "toolchain_paths",
]

logger = logging.getLogger(__name__)

_SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
_SYSTEM_DIRS = (Path("/usr"), Path("/bin"), Path("/sbin"), Path("/lib"), Path("/lib64"), Path("/opt"))


class AgentLoadError(RatchetError):
    """The agent in `mutable/` cannot be imported; the message names the file and the error."""


class LLMClient(Protocol):
    """What the host needs of an LLM: `core.llm.LLMGateway` satisfies it; tests script it."""

    def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        purpose: str,
        temperature: float = 0.2,
        max_tokens: int | None = None,
    ) -> Any: ...


@dataclass(frozen=True)
class AttemptReport:
    number: int
    passed: bool
    code: str
    step: str = ""
    exit_code: int = 0
    output: str = ""
    seconds: float = 0.0
    missing: str = ""
    feedback: str = ""


@dataclass(frozen=True)
class SolveReport:
    """What one `solve` produced, in core's terms (JSON-able with `core.records.to_dict`)."""

    task: str
    language: str
    intent: str
    passed: bool
    code: str
    answer: str = ""
    note: str = ""
    attempts: tuple[AttemptReport, ...] = ()
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0

    @property
    def output(self) -> str:
        best = next((a for a in self.attempts if a.code == self.code), None)
        return best.output if best else ""


@dataclass(frozen=True)
class LoadedAgent:
    """The agent's modules as imported from `root`."""

    root: Path
    agent: ModuleType
    tools: ModuleType
    lang: ModuleType

    def make_task(self, text: str, **fields: Any) -> Any:
        examples = tuple(self.tools.Example(stdin=i, expected=o) for i, o in fields.pop("examples", ()))
        return self.tools.Task(text=text, examples=examples, **fields)


@contextmanager
def _import_root(root: Path) -> Iterator[None]:
    for name in [n for n in sys.modules if n == "mutable" or n.startswith("mutable.")]:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        sys.path.remove(str(root))


def load_agent(root: Path) -> LoadedAgent:
    """Import `mutable.agent`, `mutable.tools`, `mutable.lang` from the tree at `root`."""
    import importlib

    if not (root / "mutable" / "agent.py").is_file():
        raise AgentLoadError(f"{root / 'mutable' / 'agent.py'} is missing; is {root} a ratchet workspace?")
    with _import_root(root):
        try:
            agent = importlib.import_module("mutable.agent")
            tools = importlib.import_module("mutable.tools")
            lang = importlib.import_module("mutable.lang")
        except (ImportError, SyntaxError) as exc:
            raise AgentLoadError(
                f"cannot import the agent from {root / 'mutable'}: {type(exc).__name__}: {exc}; "
                "fix the module or `ratchet reset` to a good checkpoint"
            ) from None
    return LoadedAgent(root=root, agent=agent, tools=tools, lang=lang)


# --- toolchains ------------------------------------------------------------------------------


#: where toolchains commonly live outside PATH (a service or CI job may run with a minimal PATH)
_TOOL_DIRS = ("~/.cargo/bin", "/usr/local/go/bin", "~/go/bin", "~/.local/bin", "/usr/local/cargo/bin")


def find_program(program: str) -> str | None:
    """`program` on PATH, else in the usual toolchain install dirs."""
    extra = os.pathsep.join(os.path.expanduser(d) for d in _TOOL_DIRS)
    return shutil.which(program) or shutil.which(program, path=extra)


def _rustup_real(program: str) -> Path | None:
    """The toolchain binary behind a rustup proxy (`~/.cargo/bin/rustc` -> the real rustc)."""
    rustup = find_program("rustup")
    if rustup is None:
        return None
    result = run_process([rustup, "which", program], cwd="/", timeout=20.0, env=scrub_env())
    return Path(result.stdout.strip()) if result.ok and result.stdout.strip() else None


def toolchain_paths(program: str) -> tuple[Path, Path] | None:
    """(directory to put on PATH, tree to expose read-only) for a program outside the system dirs.

    None when the program is missing. A program under /usr etc. needs no extra mount: the system
    dirs are visible in every backend; then both paths are its own directory.
    """
    found = find_program(program)
    if found is None:
        return None
    path = Path(found)
    real = Path(os.path.realpath(found))
    if real.name == "rustup" and real.name != program:
        real = _rustup_real(program) or real
        path = real
    if any(real.is_relative_to(d) for d in _SYSTEM_DIRS):
        return path.parent, path.parent
    # a toolchain tree: <root>/bin/<program>; expose <root> so its lib/ comes along
    tree = real.parent.parent if real.parent.name == "bin" else real.parent
    return real.parent, tree


# --- the Tools implementation ----------------------------------------------------------------


class HostTools:
    """The agent's `Tools`, backed by an LLM client, a sandbox and (optionally) memory."""

    def __init__(
        self,
        workspace: Workspace,
        config: Config,
        agent: LoadedAgent,
        *,
        llm: LLMClient | None,
        sandbox: Sandbox,
        use_memory: bool = True,
    ) -> None:
        self.workspace = workspace
        self.config = config
        self.agent = agent
        self.llm = llm
        self.sandbox = sandbox
        self.use_memory = use_memory and config.memory.enabled
        self.usage = Usage()
        self._memory: Any = None
        self._toolchains: dict[str, tuple[Path, Path] | None] = {}

    # LLM -------------------------------------------------------------------------------------
    def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        purpose: str,
        temperature: float = 0.2,
        max_tokens: int | None = None,
    ) -> Any:
        from core.llm.errors import LLMError

        if self.llm is None:
            raise self.agent.tools.ToolsError("no LLM is configured for this run")
        try:
            reply = self.llm.complete(
                messages, purpose=f"agent.{purpose}", temperature=temperature, max_tokens=max_tokens
            )
        except LLMError as exc:
            raise self.agent.tools.ToolsError(str(exc)) from None
        usage = getattr(reply, "usage", None)
        if isinstance(usage, Usage):
            self.usage = self.usage + usage
        return self.agent.tools.LLMAnswer(
            text=str(reply.text),
            model=str(getattr(reply, "model", "")),
            cached=bool(getattr(reply, "cached", False)),
        )

    # sandbox ---------------------------------------------------------------------------------
    def _toolchain(self, program: str) -> tuple[Path, Path] | None:
        if program not in self._toolchains:
            self._toolchains[program] = toolchain_paths(program)
        return self._toolchains[program]

    def run(self, job: Any) -> Any:
        """Write the job's files into a fresh scratch dir and run its steps there, in order."""
        result_cls = self.agent.tools.RunResult
        docker = getattr(self.sandbox, "name", "") == "docker" and bool(job.image)
        extra_path: list[str] = []
        read_only: list[Path] = []
        if not docker:
            for program in job.requires:
                found = self._toolchain(program)
                if found is None:
                    return result_cls(ok=False, missing=program)
                bin_dir, tree = found
                if not any(bin_dir.is_relative_to(d) for d in _SYSTEM_DIRS):
                    extra_path.append(str(bin_dir))
                    read_only.append(tree)
        self.workspace.scratch_dir.mkdir(parents=True, exist_ok=True)
        scratch = (self.workspace.scratch_dir / f"run-{uuid.uuid4().hex[:12]}").resolve()
        from core.sandbox import limits_from_config

        limits = limits_from_config(self.config.sandbox)
        limits = replace(limits, wall_seconds=min(float(job.timeout), limits.wall_seconds))
        env = {k: v.replace("{scratch}", str(scratch)) for k, v in dict(job.env).items()}
        if extra_path:
            env["PATH"] = ":".join([*extra_path, str(Path(sys.executable).parent), _SYSTEM_PATH])
        files = {name: text.encode("utf-8") for name, text in dict(job.files).items()}
        started = time.monotonic()
        stdout: list[str] = []
        stderr: list[str] = []
        try:
            for index, step in enumerate(job.steps):
                argv = tuple(_expand(a, scratch) for a in step.argv)
                outcome = self.sandbox.run(
                    SandboxRequest(
                        argv=argv,
                        scratch=scratch,
                        read_only=tuple(read_only),
                        stdin=step.stdin.encode("utf-8"),
                        files=files if index == 0 else {},
                        env=env,
                        limits=limits,
                        image=job.image if docker else "",
                    )
                )
                stdout.append(outcome.stdout)
                stderr.append(outcome.stderr)
                if not outcome.ok:
                    return result_cls(
                        ok=False,
                        step=step.name,
                        exit_code=outcome.exit_code,
                        stdout="".join(stdout),
                        stderr="".join(stderr) + _stop_note(str(outcome.stop_reason)),
                        timed_out=str(outcome.stop_reason) in ("timeout", "cpu"),
                        seconds=time.monotonic() - started,
                    )
            last = job.steps[-1].name if job.steps else ""
            return result_cls(
                ok=True,
                step=last,
                stdout="".join(stdout),
                stderr="".join(stderr),
                seconds=time.monotonic() - started,
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    # memory ----------------------------------------------------------------------------------
    def _open_memory(self) -> Any:
        if self._memory is None and self.use_memory:
            from core.memory import MemoryUnavailable, open_memory

            try:
                self._memory = open_memory(self.workspace)
            except MemoryUnavailable as exc:
                logger.warning("memory unavailable, solving without recall: %s", exc)
                self.use_memory = False
        return self._memory

    def recall(self, text: str, n: int, language: str | None = None) -> Sequence[Any]:
        memory = self._open_memory()
        if memory is None or n <= 0:
            return []
        n = min(n, self.config.memory.recall) if self.config.memory.recall else n
        hits = memory.similar_solutions(text, n, language=language)
        recalled = self.agent.tools.Recalled
        return [recalled(task=h.task, language=h.language, code=h.code, distance=h.distance) for h in hits]

    def remember(self, task: str, language: str, code: str) -> None:
        memory = self._open_memory()
        if memory is not None:
            memory.record_solution(task, language, code)

    def now(self) -> float:
        return time.monotonic()


def _expand(arg: str, scratch: Path) -> str:
    """A step's argument with `{python}` and `{scratch}` filled in."""
    return arg.replace("{python}", sys.executable).replace("{scratch}", str(scratch))


def _stop_note(reason: str) -> str:
    notes = {
        "timeout": "\n[stopped: wall-clock time limit reached]",
        "cpu": "\n[stopped: CPU time limit reached]",
        "memory": "\n[stopped: memory limit reached]",
        "output_cap": "\n[stopped: too much output]",
        "killed": "\n[stopped: killed by a signal]",
    }
    return notes.get(reason, "")


# --- the host ----------------------------------------------------------------------------------


def _report(solution: Any, usage: Usage, seconds: float) -> SolveReport:
    attempts = []
    for a in getattr(solution, "attempts", ()):
        result = getattr(a, "result", None)
        attempts.append(
            AttemptReport(
                number=int(a.number),
                passed=bool(a.passed),
                code=str(a.code),
                step=str(getattr(result, "step", "")) if result else "",
                exit_code=int(getattr(result, "exit_code", 0)) if result else 0,
                output=str(result.output) if result else "",
                seconds=float(getattr(a, "seconds", 0.0)),
                missing=str(getattr(result, "missing", "")) if result else "",
                feedback=str(getattr(a, "feedback", "")),
            )
        )
    return SolveReport(
        task=str(solution.task.text),
        language=str(solution.language),
        intent=str(solution.intent),
        passed=bool(solution.passed),
        code=str(solution.code),
        answer=str(getattr(solution, "answer", "")),
        note=str(getattr(solution, "note", "")),
        attempts=tuple(attempts),
        usage=usage,
        seconds=round(seconds, 3),
    )


class AgentHost:
    """The agent of one tree plus the Tools it runs with. `close()` releases the LLM gateway."""

    def __init__(
        self,
        workspace: Workspace,
        config: Config,
        *,
        root: Path | None = None,
        llm: LLMClient | None = None,
        sandbox: Sandbox | None = None,
        use_memory: bool = True,
    ) -> None:
        self.workspace = workspace
        self.config = config
        self.agent = load_agent(root or workspace.root)
        self._own_llm = llm is None
        if llm is None:
            from core.llm import open_gateway

            llm = open_gateway(workspace, config)
        if sandbox is None:
            from core.sandbox import get_sandbox

            sandbox = get_sandbox(config.sandbox)
        self.llm = llm
        self.tools = HostTools(workspace, config, self.agent, llm=llm, sandbox=sandbox, use_memory=use_memory)

    def solve(
        self,
        text: str,
        *,
        language: str | None = None,
        tests: str = "",
        examples: Sequence[tuple[str, str]] = (),
        entry_point: str = "",
        max_attempts: int = 3,
    ) -> SolveReport:
        if language is not None and self.agent.lang.get_language(language) is None:
            known = ", ".join(lang.name for lang in self.agent.lang.LANGUAGES)
            raise RatchetError(f"unknown language {language!r}; the agent knows: {known}")
        task = self.agent.make_task(
            text,
            language=language,
            tests=tests,
            examples=tuple(examples),
            entry_point=entry_point,
            max_attempts=max_attempts,
        )
        before = self.tools.usage
        started = time.monotonic()
        solution = self.agent.agent.solve(task, self.tools)
        spent = self.tools.usage
        usage = Usage(
            calls=spent.calls - before.calls,
            tokens_in=spent.tokens_in - before.tokens_in,
            tokens_out=spent.tokens_out - before.tokens_out,
            cost_usd=spent.cost_usd - before.cost_usd,
        )
        return _report(solution, usage, time.monotonic() - started)

    def close(self) -> None:
        if self._own_llm:
            close = getattr(self.llm, "close", None)
            if close is not None:
                close()

    def __enter__(self) -> AgentHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
