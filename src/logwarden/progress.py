"""A progress bar on a terminal, silence otherwise."""

from __future__ import annotations

import sys
from typing import Any, Self


class Progress:
    def __init__(self, total: int):
        self.total = total
        self._bar: Any = None
        if sys.stderr.isatty() and total > (8 << 20):
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            # The bar lives on stderr (the terminal); per-file lines stay on stdout for pipes.
            self._bar = RichProgress("ingest", BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                                     transient=True, console=Console(stderr=True),
                                     redirect_stdout=False, redirect_stderr=False)
            self._task = self._bar.add_task("ingest", total=total)

    def __enter__(self) -> Self:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, n: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, n)

    def print(self, line: str) -> None:
        print(line, flush=self._bar is not None)
