"""The policy in force, swapped atomically on reload.

``PolicyStore.current`` is a plain attribute read: a request takes one reference
at the start (``policy = store.current``) and is judged entirely by that complete,
validated Policy object, whatever reloads happen meanwhile.  A reload builds and
validates the new Policy completely before the single reference assignment; an
invalid file leaves the running policy in place and ``reload()`` says why.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from dlp_proxy.policy.engine import Policy, load_policy
from dlp_proxy.policy.schema import PolicyError

log = logging.getLogger("dlp_proxy.policy")


class PolicyStore:
    def __init__(
        self,
        path: Path | None = None,
        *,
        hash_key: bytes | None = None,
        on_reload: Callable[[bool, str], None] | None = None,
    ) -> None:
        if path is None:
            from dlp_proxy.settings import config_dir

            path = config_dir() / "policy.yaml"
        self.path = Path(path)
        self._hash_key = hash_key
        self._on_reload = on_reload
        self._lock = threading.Lock()  # serializes reloads; readers never take it
        self._current: Policy = load_policy(self.path, hash_key=hash_key)  # invalid at start: raise
        self._stamp = self._file_stamp()
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def current(self) -> Policy:
        return self._current

    @property
    def version(self) -> str:
        return self._current.version

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def reload(self) -> tuple[bool, str]:
        """Re-read the file.  Returns (ok, message); on failure the old policy stays."""
        with self._lock:
            self._stamp = self._file_stamp()
            old = self._current
            try:
                new = load_policy(self.path, hash_key=self._hash_key)
            except PolicyError as exc:
                self.last_error = str(exc)
                message = f"policy {self.path} is invalid; keeping version {old.version}:\n{exc}"
                log.error("%s", message)
                self._notify(False, message)
                return False, message
            if new.version == old.version:
                self.last_error = None
                return True, f"policy unchanged (version {old.version})"
            self._current = new  # the one atomic swap
            self.last_error = None
            message = f"policy reloaded: {old.version} -> {new.version}"
            log.info("%s", message)
            self._notify(True, message)
            return True, message

    def _notify(self, ok: bool, message: str) -> None:
        if self._on_reload is not None:
            self._on_reload(ok, message)

    def check(self) -> tuple[bool, str] | None:
        """Reload if the file changed (mtime, size, inode, then content hash); None if unchanged.
        Cheap enough to call on a timer or before each batch of requests."""
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return None
        try:
            raw = self.path.read_bytes()
        except OSError:
            raw = b""
        if stamp is not None and (self._file_stamp() != stamp or len(raw) != stamp[1]):
            # The file changed while it was read: a writer is still at it.  Loading
            # now could take a truncated file that happens to be valid YAML (fewer
            # rules); the next check sees the finished file.
            return None
        if "sha256:" + hashlib.sha256(raw).hexdigest()[:16] == self._current.version:
            self._stamp = stamp
            return None
        return self.reload()

    def watch(self, interval: float = 2.0) -> threading.Thread:
        """Poll the file in a daemon thread until ``stop()``."""
        if self._thread is not None and self._thread.is_alive():
            return self._thread
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.check()
                except Exception:  # the watcher must survive; reload() already keeps the old policy
                    log.exception("policy watch failed")

        self._thread = threading.Thread(target=loop, name="policy-watch", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
