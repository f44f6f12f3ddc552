"""Watching a workspace's `protected/` and `mutable/` for changes made from outside (watchdog).

`WorkspaceWatcher` reports every content change (create, modify, delete, move, close-after-write)
as a `WatchEvent` naming the area and the path relative to the workspace root; reads, attribute
changes, directory mtime updates and Python bytecode caches are not changes. The callback runs on
watchdog's thread: keep it short and thread-safe. Deciding whether a change came from ratchet
itself is the caller's job (see `core.daemon`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from core.seal import SEAL_NAME, hash_protected

__all__ = ["AREAS", "WatchEvent", "WorkspaceWatcher", "protected_fingerprint"]

logger = logging.getLogger(__name__)

#: the top-level directories watched
AREAS = ("protected", "mutable")

_CHANGES = frozenset(
    {EVENT_TYPE_CREATED, EVENT_TYPE_DELETED, EVENT_TYPE_MODIFIED, EVENT_TYPE_MOVED, EVENT_TYPE_CLOSED}
)


@dataclass(frozen=True)
class WatchEvent:
    area: str  # "protected" | "mutable"
    path: str  # relative to the workspace root, posix
    kind: str  # watchdog's event type: created, modified, deleted, moved, closed


def protected_fingerprint(protected: Path) -> dict[str, str]:
    """Digests of every file under protected/, the seal file included."""
    digests = hash_protected(protected)
    seal = protected / SEAL_NAME
    digests[SEAL_NAME] = hashlib.sha256(seal.read_bytes()).hexdigest() if seal.is_file() else "missing"
    return digests


def _text(path: str | bytes) -> str:
    return path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else path


class _Handler(FileSystemEventHandler):
    def __init__(self, root: Path, on_event: Callable[[WatchEvent], None]) -> None:
        self._root = root
        self._on_event = on_event

    def _relative(self, raw: str | bytes) -> str | None:
        try:
            rel = Path(_text(raw)).resolve().relative_to(self._root).as_posix()
        except ValueError:
            return None
        parts = rel.split("/")
        if parts[0] not in AREAS or "__pycache__" in parts or rel.endswith((".pyc", ".pyo")):
            return None
        return rel

    def dispatch(self, event: FileSystemEvent) -> None:
        if event.event_type not in _CHANGES:
            return
        if event.is_directory and event.event_type in (EVENT_TYPE_MODIFIED, EVENT_TYPE_CLOSED):
            return  # a directory's mtime moved because something inside changed: reported on its own
        paths = [event.src_path] + ([event.dest_path] if event.event_type == EVENT_TYPE_MOVED else [])
        for raw in paths:
            rel = self._relative(raw)
            if rel is not None:
                self._on_event(WatchEvent(rel.split("/")[0], rel, event.event_type))


class WorkspaceWatcher:
    """Observers on `protected/` and `mutable/` of the workspace at `root` (recursive)."""

    def __init__(self, root: Path, on_event: Callable[[WatchEvent], None]) -> None:
        self.root = root.resolve()
        self._handler = _Handler(self.root, on_event)
        self._observer: BaseObserver | None = None

    @property
    def running(self) -> bool:
        return self._observer is not None

    def start(self) -> WorkspaceWatcher:
        try:
            self._observer = self._schedule(Observer())
        except OSError as exc:  # inotify watch or instance limit reached
            logger.warning("inotify unavailable (%s); watching by polling every 0.5 s", exc)
            self._observer = self._schedule(PollingObserver(timeout=0.5))
        return self

    def _schedule(self, observer: BaseObserver) -> BaseObserver:
        for area in AREAS:
            path = self.root / area
            if path.is_dir():
                observer.schedule(self._handler, str(path), recursive=True)
        observer.start()
        return observer

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None

    def __enter__(self) -> WorkspaceWatcher:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
