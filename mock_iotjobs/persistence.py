"""``serve --state-dir DIR``: the whole store survives a restart.

After each request that may have changed something, the whole
:class:`BackendStore` (every account and region, the clock's offset, jobs,
executions, timers, notifications, whatever stores the Backend grows) is
pickled while every backend's lock is held, written to a temporary file,
fsync'd and renamed over ``DIR/state.pickle`` (then the directory is fsync'd).
A crash at any moment leaves either the previous file or the new one, so it
loses at most the request in flight; the answer is sent only after the write.

Why a whole snapshot rather than per-store code: other stores are being added
to the Backend all the time, and a generic pickle needs nothing from them.
Locks are recreated on load; timers are closures (``lambda when: ...``), which
``cloudpickle`` serialises by value where the standard pickler cannot.

The file starts with a header naming the format and a SHA-256 of the payload:
a file that is corrupt, truncated, not ours or from a newer format stops
start-up with a message instead of being silently replaced.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import pickle
import sys
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Optional, Tuple

import cloudpickle

from .backend.state import BackendStore

FORMAT = 1
_MAGIC = b"mock_iotjobs-state"
FILE_NAME = "state.pickle"

_LOCKS = {
    type(threading.Lock()): threading.Lock,
    type(threading.RLock()): threading.RLock,
}


class StateError(Exception):
    """The state directory cannot be used; the message says why and what to do."""


class _StatePickler(cloudpickle.Pickler):  # type: ignore[misc]
    """cloudpickle, plus what plain pickle refuses in a live store: locks (recreated
    unlocked) and counters (kept at their next value)."""

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        factory = _LOCKS.get(kind)
        if factory is not None:
            return factory, ()
        if kind is itertools.count:
            return _counter, (repr(obj),)
        return super().reducer_override(obj)


def _counter(text: str) -> "itertools.count[int]":
    # repr is "count(5)" or "count(5, 2)": the only way to read a count without consuming it.
    numbers = [int(part) for part in text[len("count(") : -1].split(",")]
    return itertools.count(*numbers)


def dumps(store: BackendStore) -> bytes:
    """The whole store as bytes, taken while every backend is locked (a consistent copy)."""
    buffer = io.BytesIO()
    with ExitStack() as locks:
        for _, backend in sorted(store.all().items()):
            locks.enter_context(backend.lock)
        _StatePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(store)
    return buffer.getvalue()


def loads(payload: bytes) -> BackendStore:
    store = pickle.loads(payload)
    if not isinstance(store, BackendStore):
        raise TypeError(f"the file holds a {type(store).__name__}, not a BackendStore")
    return store


class StateDir:
    """The state file of one directory; ``save`` may be called from any thread."""

    def __init__(self, path: "str | os.PathLike[str]") -> None:
        self.path = Path(path)
        self.file = self.path / FILE_NAME
        self._write_lock = threading.Lock()
        self._lock_file: Optional[Any] = None
        self._last_error: Optional[str] = None
        self.saves = 0

    def open(self) -> Optional[BackendStore]:
        """Create the directory, take its lock, and load the store it holds (None: empty)."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StateError(f"cannot use --state-dir {self.path}: {error}") from None
        self._take_lock()
        if not self.file.exists():
            return None
        try:
            raw = self.file.read_bytes()
        except OSError as error:
            raise StateError(f"cannot read {self.file}: {error}") from None
        version, payload = _unwrap(raw, self.file)
        if version > FORMAT:
            raise StateError(
                f"{self.file} was written by a newer mock_iotjobs (state format {version}; this one reads "
                f"format {FORMAT}). Upgrade mock_iotjobs, or move the file away to start empty."
            )
        try:
            return loads(payload)
        except Exception as error:
            raise StateError(
                f"{self.file} cannot be loaded ({type(error).__name__}: {error}); it may come from an "
                "incompatible version of mock_iotjobs. Move it away to start empty."
            ) from None

    def save(self, store: BackendStore) -> bool:
        """Write the store atomically; False (and one message on stderr) if it failed."""
        with self._write_lock:
            try:
                payload = dumps(store)
                _write_atomically(self.file, _wrap(payload))
            except Exception as error:
                message = f"mock_iotjobs: could not save state to {self.file}: {type(error).__name__}: {error}"
                if message != self._last_error:
                    print(message, file=sys.stderr, flush=True)
                    self._last_error = message
                return False
            self.saves += 1
            self._last_error = None
            return True

    def close(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _take_lock(self) -> None:
        # Two servers on one directory would overwrite each other's state.
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory lock
            return
        handle = open(self.path / "lock", "a+b")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise StateError(f"{self.path} is in use by another mock_iotjobs server") from None
        self._lock_file = handle


def _wrap(payload: bytes) -> bytes:
    digest = hashlib.sha256(payload).hexdigest().encode()
    return b"%s %d %s\n" % (_MAGIC, FORMAT, digest) + payload


def _unwrap(raw: bytes, where: Path) -> Tuple[int, bytes]:
    header, _, payload = raw.partition(b"\n")
    parts = header.split(b" ")
    if len(parts) != 3 or parts[0] != _MAGIC or not parts[1].isdigit():
        raise StateError(f"{where} is not a mock_iotjobs state file (or its header is damaged); refusing to start")
    version = int(parts[1])
    if version <= FORMAT and hashlib.sha256(payload).hexdigest().encode() != parts[2]:
        raise StateError(f"{where} is corrupt (its checksum does not match: truncated or altered); refusing to start")
    return version, payload


def _write_atomically(target: Path, data: bytes) -> None:
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    try:
        directory = os.open(target.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
