"""The embedded local model: an xllamacpp server on loopback speaking the OpenAI chat API.

One server per workspace, recorded in `.agent/model.json` (pid, port, model) so every ratchet
process reuses it. The gateway starts one on demand (`EmbeddedServer`) as a child process
(`python -m core.llm`) that stops when asked, when its owner exits, or when the owner's
`close()` runs; `ratchet model serve` runs the same server in the foreground until Ctrl-C.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from core.config import ModelConfig
from core.journal import pid_alive
from core.llm.errors import LLMUnavailable
from core.llm.weights import (
    QWEN_CODER_05B,
    ProgressFactory,
    WeightsError,
    default_model_path,
    prepare_weights,
)
from core.procs import scrub_env
from core.records import from_dict, to_dict
from core.workspace import Workspace

__all__ = [
    "EmbeddedServer",
    "ModelSettings",
    "ServerRecord",
    "ensure_weights",
    "live_record",
    "model_settings",
    "read_record",
    "serve",
    "server_answers",
    "state_path",
    "stop_server",
    "workspace_lock",
]

logger = logging.getLogger(__name__)

_HOST = "127.0.0.1"
_GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class ModelSettings:
    """What to serve and how: a GGUF file, the name clients ask for, llama.cpp threads and context."""

    path: Path
    alias: str
    n_threads: int
    n_ctx: int
    #: the packaged Qwen weights (assembled and checksum-verified) rather than a user's GGUF file
    bundled: bool


@dataclass(frozen=True)
class ServerRecord:
    """A running server as recorded in `.agent/model.json`; `owner_pid` 0 means `ratchet model serve`."""

    pid: int
    port: int
    alias: str
    model_path: str
    started_at: str
    owner_pid: int = 0

    @property
    def url(self) -> str:
        return f"http://{_HOST}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.url}/v1"


def model_settings(config: ModelConfig, environ: Mapping[str, str] | None = None) -> ModelSettings:
    """`[model] path` when set (any GGUF file), else the bundled model in the model cache."""
    if config.path:
        return ModelSettings(
            Path(config.path).expanduser(), config.alias, config.n_threads, config.n_ctx, False
        )
    path = default_model_path(QWEN_CODER_05B, environ)
    return ModelSettings(path, config.alias, config.n_threads, config.n_ctx, True)


def ensure_weights(settings: ModelSettings, *, progress: ProgressFactory | None = None) -> Path:
    """The model file, ready to load: bundled weights assembled and verified, a custom file checked."""
    if settings.bundled:
        return prepare_weights(settings.path, QWEN_CODER_05B, progress=progress)
    try:
        with settings.path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise WeightsError(
            f"[model] path {settings.path} cannot be read ({exc.strerror}); point it at a GGUF file "
            f"or remove it to use the bundled model"
        ) from None
    if magic != _GGUF_MAGIC:
        raise WeightsError(f"[model] path {settings.path} is not a GGUF file (it does not start with GGUF)")
    return settings.path


# --- the record in .agent/model.json --------------------------------------------------------------


def state_path(workspace: Workspace) -> Path:
    return workspace.agent_dir / "model.json"


def _log_path(workspace: Workspace) -> Path:
    return workspace.agent_dir / "model-server.log"


def read_record(workspace: Workspace) -> ServerRecord | None:
    path = state_path(workspace)
    try:
        return from_dict(ServerRecord, json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        logger.warning("ignoring an unreadable %s: %s", path, exc)
        return None


def _write_record(workspace: Workspace, record: ServerRecord) -> None:
    path = state_path(workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".model-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(to_dict(record), fh, indent=2)
    os.replace(tmp, path)


def _forget_record(workspace: Workspace, pid: int) -> None:
    """Remove the record if it still describes the server `pid` (never someone else's)."""
    record = read_record(workspace)
    if record is not None and record.pid == pid:
        state_path(workspace).unlink(missing_ok=True)


def server_answers(port: int, timeout: float = 2.0) -> bool:
    """The llama.cpp server on `port` reports itself healthy (model loaded)."""
    try:
        with urllib.request.urlopen(f"http://{_HOST}:{port}/health", timeout=timeout) as resp:
            return int(resp.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def live_record(workspace: Workspace) -> ServerRecord | None:
    """The recorded server if its process is alive and it answers; a stale record is removed."""
    record = read_record(workspace)
    if record is None:
        return None
    if pid_alive(record.pid) and server_answers(record.port):
        return record
    if not pid_alive(record.pid):
        logger.info("removing the stale record of model server pid %d", record.pid)
        _forget_record(workspace, record.pid)
    return None


def _is_our_server(pid: int) -> bool:
    """Guard against a recycled pid: the process must be `python -m core.llm` or `ratchet ... serve`."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return pid_alive(pid)  # no /proc: trust the record
    if b"core.llm" in args:
        return True
    cli = b"core.cli" in args or any(Path(a.decode(errors="replace")).name == "ratchet" for a in args)
    return cli and b"serve" in args


def stop_server(workspace: Workspace, timeout: float = 15.0) -> ServerRecord | None:
    """Stop the recorded server (SIGTERM, then SIGKILL after `timeout`); None when none was running."""
    record = read_record(workspace)
    if record is None:
        return None
    if not pid_alive(record.pid) or not _is_our_server(record.pid):
        _forget_record(workspace, record.pid)
        return None
    with contextlib.suppress(ProcessLookupError):
        os.kill(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(record.pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(record.pid, os.WNOHANG)  # reap it when it is our own child
        time.sleep(0.05)
    if pid_alive(record.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, signal.SIGKILL)
    _forget_record(workspace, record.pid)
    return record


@contextlib.contextmanager
def workspace_lock(workspace: Workspace) -> Iterator[None]:
    """Serialises find-or-start between processes, so two gateways never start two servers."""
    workspace.agent_dir.mkdir(parents=True, exist_ok=True)
    with (workspace.agent_dir / "model.lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --- starting on demand ------------------------------------------------------------------------------


class EmbeddedServer:
    """The embedded server one gateway talks to: reused when running, started on demand otherwise.

    A server this object started is stopped by `close()` (also registered with `atexit`); one
    it found running belongs to someone else and is left alone.
    """

    def __init__(
        self, workspace: Workspace, settings: ModelSettings, *, start_timeout: float = 180.0
    ) -> None:
        self.workspace = workspace
        self.settings = settings
        self.start_timeout = start_timeout
        self._record: ServerRecord | None = None
        self._child: subprocess.Popen[bytes] | None = None
        self._lock = threading.RLock()

    @property
    def started(self) -> bool:
        """This object started the server it uses."""
        return self._child is not None

    def api_base(self) -> str:
        """`http://127.0.0.1:PORT/v1` of a live server, starting one when none answers."""
        with self._lock:
            if self._child is not None and self._child.poll() is not None:
                logger.warning("the embedded model server (pid %d) died; starting another", self._child.pid)
                self.close()  # reap it and forget its record
            record = self._record
            if record is not None and pid_alive(record.pid):
                return record.api_base
            with workspace_lock(self.workspace):
                found = live_record(self.workspace) or self._start()
                self._record = found
            return found.api_base

    def _start(self) -> ServerRecord:
        model = ensure_weights(self.settings)
        core_root = str(Path(__file__).resolve().parents[2])
        pythonpath = os.pathsep.join(p for p in (core_root, os.environ.get("PYTHONPATH", "")) if p)
        argv = [
            sys.executable, "-m", "core.llm",
            "--workspace", str(self.workspace.root),
            "--model", str(model),
            "--alias", self.settings.alias,
            "--threads", str(self.settings.n_threads),
            "--ctx", str(self.settings.n_ctx),
            "--owner-pid", str(os.getpid()),
        ]  # fmt: skip
        log_path = _log_path(self.workspace)
        logger.info("starting the embedded model server (%s); log in %s", model.name, log_path)
        with log_path.open("ab") as log:
            self._child = subprocess.Popen(
                argv,
                cwd=self.workspace.root,
                env=scrub_env(extra={"PYTHONPATH": pythonpath}),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        atexit.register(self.close)
        return self._wait_ready(self._child, log_path)

    def _wait_ready(self, child: subprocess.Popen[bytes], log_path: Path) -> ServerRecord:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if child.poll() is not None:
                self.close()
                raise LLMUnavailable(
                    f"the embedded model server exited with status {child.returncode} while starting; "
                    f"see {log_path}:\n{_tail(log_path)}"
                )
            record = read_record(self.workspace)
            if record is not None and record.pid == child.pid and server_answers(record.port):
                logger.info("embedded model server ready at %s (pid %d)", record.api_base, record.pid)
                return record
            time.sleep(0.1)
        self.close()
        raise LLMUnavailable(
            f"the embedded model server did not answer within {self.start_timeout:.0f} s; see {log_path}"
        )

    def close(self) -> None:
        """Stop the server this object started (idempotent); leave a reused one running."""
        with self._lock:
            child, self._child = self._child, None
            self._record = None
        if child is None:
            return
        atexit.unregister(self.close)
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        _forget_record(self.workspace, child.pid)


def _tail(path: Path, lines: int = 12) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


# --- serving (in the child process, or in the foreground for `ratchet model serve`) ---------------


def serve(
    workspace: Workspace,
    settings: ModelSettings,
    model: Path,
    *,
    port: int = 0,
    owner_pid: int = 0,
    on_ready: Callable[[ServerRecord], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Load `model` and serve it on 127.0.0.1:`port` (0: any free port) until stopped.

    Stops on SIGTERM/SIGINT, when `stop` is set, or when `owner_pid` (if not 0) exits. The
    record in `.agent/model.json` is written once the server answers and removed on the way out.
    """
    from xllamacpp import CommonParams, Server

    params = CommonParams()
    params.model.path = str(model)
    params.model_alias = {settings.alias}
    params.hostnames = [_HOST]
    params.port = port
    params.n_ctx = settings.n_ctx
    params.cpuparams.n_threads = settings.n_threads
    params.cpuparams_batch.n_threads = settings.n_threads
    try:
        server = Server(params)
    except RuntimeError as exc:
        raise LLMUnavailable(f"llama.cpp could not load {model}: {exc}") from None
    stop = stop or threading.Event()
    previous = _install_stop_handlers(stop)
    try:
        bound = int(str(server.listening_address).rsplit(":", 1)[1])
        record = ServerRecord(
            pid=os.getpid(),
            port=bound,
            alias=settings.alias,
            model_path=str(model),
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            owner_pid=owner_pid,
        )
        while not server_answers(bound, timeout=1.0) and not stop.is_set():
            time.sleep(0.05)
        _write_record(workspace, record)
        if on_ready is not None:
            on_ready(record)
        while not stop.wait(0.5):
            if owner_pid and not pid_alive(owner_pid):
                logger.info("owner pid %d exited; stopping the model server", owner_pid)
                break
    finally:
        _restore_handlers(previous)
        _forget_record(workspace, os.getpid())
        del server


_Handler = Callable[[int, FrameType | None], object] | int | None


def _install_stop_handlers(stop: threading.Event) -> dict[int, _Handler]:
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    return {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}


def _restore_handlers(previous: Mapping[int, _Handler]) -> None:
    for sig, old in previous.items():
        signal.signal(sig, old)
