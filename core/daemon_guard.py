"""What other threads tell the daemon's loop: signals, the STOP file, watchdog events, stop requests.

A `Guard` runs beside the loop for one run: a monitor thread polls the signal flag (the handler
itself only stores the number) and `.agent/STOP`; watchdog's thread reports file changes. A change
in `protected/` that alters its digests requests a TAMPERED stop; an edit in `mutable/` outside
ratchet's own commit window cancels the candidate in flight (its base is stale). A stop request
aborts the candidate through `Supervisor.abort` (processes are killed only while the gates run;
a commit already under way is never interrupted).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from core.cycle import Supervisor
from core.daemon_rules import Stop
from core.daemon_state import ExitCode
from core.watch import WatchEvent, WorkspaceWatcher, protected_fingerprint
from core.workspace import Workspace

__all__ = ["SELF_WRITE_GRACE", "STOP_FILE", "Guard"]

logger = logging.getLogger(__name__)

#: the file under .agent/ that stops a running daemon (the TUI writes it too)
STOP_FILE = "STOP"
#: events in mutable/ this long after ratchet's own commit are its own checkout catching up
SELF_WRITE_GRACE = 0.5


class Guard:
    """Thread-safe control state of one daemon run (see the module docstring)."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        on_stop: Callable[[Stop], None],
        on_outside_edit: Callable[[WatchEvent], None],
        poll_seconds: float = 0.05,
    ) -> None:
        self.workspace = workspace
        self.poll_seconds = poll_seconds
        self._on_stop = on_stop
        self._on_outside_edit = on_outside_edit
        self._lock = threading.Lock()
        self._stop: Stop | None = None
        self._signal = 0
        self._sup: Supervisor | None = None
        self._committing = False
        self._committed_at = 0.0
        self._outside_edit_at = 0.0
        self._fingerprint: dict[str, str] = {}
        self._done = threading.Event()
        self._monitor: threading.Thread | None = None
        self._watcher: WorkspaceWatcher | None = None
        self._previous: dict[int, object] = {}

    @property
    def stop(self) -> Stop | None:
        return self._stop

    # --- lifetime ------------------------------------------------------------------------------
    def start(self, sup: Supervisor, *, handle_signals: bool) -> None:
        """Watch the workspace `sup` holds; catch SIGTERM/SIGINT when asked and on the main thread."""
        self._sup = sup
        self._fingerprint = protected_fingerprint(self.workspace.protected)
        if handle_signals and threading.current_thread() is threading.main_thread():

            def handler(signum: int, frame: FrameType | None) -> None:
                self._signal = signum  # only a plain store here: the monitor thread acts on it

            self._previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
        self._watcher = WorkspaceWatcher(self.workspace.root, self._on_watch).start()
        self._monitor = threading.Thread(target=self._poll, name="ratchet-daemon-monitor", daemon=True)
        self._monitor.start()

    def close(self) -> None:
        self._done.set()
        if self._watcher is not None:
            self._watcher.stop()
        if self._monitor is not None and self._monitor.is_alive():
            self._monitor.join(timeout=5)
        for sig, old in self._previous.items():
            signal.signal(sig, old)  # type: ignore[arg-type]
        self._previous = {}
        self._sup = None

    def wait(self, seconds: float) -> None:
        """Sleep up to `seconds`, waking early when the run is closing."""
        self._done.wait(seconds)

    # --- stop requests -------------------------------------------------------------------------
    def request_stop(self, code: ExitCode, reason: str, *, abort: bool = True) -> None:
        """The first request wins; with `abort` the candidate in flight is aborted."""
        with self._lock:
            if self._stop is not None:
                return
            self._stop = Stop(code, reason)
        self._on_stop(self._stop)
        if abort:
            self.abort_candidate()

    def abort_candidate(self) -> None:
        """`Supervisor.abort`: kills processes only while gates run; a commit under way finishes."""
        with self._lock:
            sup = self._sup
        if sup is not None:
            sup.abort()

    # --- what the loop reports ----------------------------------------------------------------

    def committing(self) -> None:
        with self._lock:
            self._committing = True

    def cycle_finished(self) -> None:
        with self._lock:
            if self._committing:
                self._committing = False
                self._committed_at = time.monotonic()

    def recent_outside_edit(self, seconds: float) -> bool:
        with self._lock:
            return time.monotonic() - self._outside_edit_at < seconds

    # --- the other threads ------------------------------------------------------------------
    def _poll(self) -> None:
        while not self._done.wait(self.poll_seconds):
            signum = self._signal
            if signum:
                code = ExitCode.SIGINT if signum == signal.SIGINT else ExitCode.SIGTERM
                self.request_stop(code, f"{signal.Signals(signum).name} received")
            elif (self.workspace.agent_dir / STOP_FILE).exists():
                self.request_stop(ExitCode.DONE, f"stopped by request (.agent/{STOP_FILE})")
            if self._stop is not None:
                self.abort_candidate()

    def _on_watch(self, event: WatchEvent) -> None:
        if event.area == "protected":
            try:
                now = protected_fingerprint(self.workspace.protected)
            except OSError:
                now = {}
            before = self._fingerprint
            if now != before:
                changed = sorted(k for k in set(now) | set(before) if now.get(k) != before.get(k))
                self.request_stop(
                    ExitCode.TAMPERED,
                    f"protected/ changed while the daemon ran ({', '.join(changed) or event.path}); "
                    "restore it (`git checkout -- protected/`) or review and `ratchet seal`, then restart",
                )
            return
        with self._lock:
            if self._committing or time.monotonic() - self._committed_at < SELF_WRITE_GRACE:
                return
            self._outside_edit_at = time.monotonic()
            sup = self._sup
        if sup is not None:
            sup.cancelled.set()  # the candidate's base is stale: it must not be committed
        self._on_outside_edit(event)
