"""One process owns a data directory: an exclusive lock file that names its holder."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from logwarden.errors import DataDirBusy


class DirLock:
    """An exclusive, non-blocking lock on `<data_dir>/lock`, released when the process ends."""

    def __init__(self, data_dir: Path):
        self.path = data_dir / "lock"
        self._fd: int | None = None

    def acquire(self, purpose: str) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise DataDirBusy(
                f"data directory {self.path.parent} is in use by {holder}. "
                "Stop that process, wait for it to finish, or use another --data-dir."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} ({purpose})\n".encode())
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
