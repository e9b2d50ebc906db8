"""A progress bar on a terminal: bytes read of all audit files, redrawn at most ten times a second.

Drawn on stderr and only when stderr is a terminal, so pipes, logs and CI output stay clean.
"""

from __future__ import annotations

import time
from typing import TextIO

__all__ = ["TerminalProgress"]

_WIDTH = 30
_EVERY_SECS = 0.1


class TerminalProgress:
    """Call it with the bytes done so far; :meth:`finish` ends the line."""

    __slots__ = ("_drawn", "_last", "_start", "_stream", "_total")

    def __init__(self, total: int, stream: TextIO) -> None:
        self._total = max(total, 1)
        self._stream = stream
        self._start = self._last = time.monotonic()
        self._drawn = False

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self._last < _EVERY_SECS:
            return
        self._last = now
        share = min(done / self._total, 1.0)
        filled = int(share * _WIDTH)
        elapsed = now - self._start
        rate = done / elapsed / 1e6 if elapsed > 0 else 0.0
        self._stream.write(
            f"\r[{'#' * filled}{'.' * (_WIDTH - filled)}] {share:4.0%}  "
            f"{done / 1e6:,.1f} of {self._total / 1e6:,.1f} MB  {rate:,.1f} MB/s "
        )
        self._stream.flush()
        self._drawn = True

    def finish(self) -> None:
        """Clear the bar's line (the report's own message follows)."""
        if self._drawn:
            self._stream.write("\r" + " " * (_WIDTH + 50) + "\r")
            self._stream.flush()
