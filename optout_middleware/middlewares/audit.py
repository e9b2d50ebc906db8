"""The audit trail: one JSON line per URL decided, written as it happens.

Each record names its worker (``OPTOUT_WORKER_ID``, by default ``hostname:pid``) and starts
with its UTC time at a fixed width, so the files of a cluster's workers merge into one
time-ordered file with ``LC_ALL=C sort -m -s worker-*.jsonl`` (each file is already in order).
Each line is flushed when written, so a crawl killed hard still leaves every line before the
kill intact (at most the line being written is lost). A record holds the full verdict with all
of its evidence, so a decision can be re-checked later without re-crawling.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from pathlib import Path

    from optout_middleware.verdict import Verdict

__all__ = ["AuditWriter"]


class AuditWriter:
    """Appends JSON Lines records to ``path`` (created with its parent directories)."""

    __slots__ = ("_file", "path", "worker")

    def __init__(self, path: Path, *, worker: str = "") -> None:
        # Several workers on one machine each need their own file: "%(worker)s" in the path
        # becomes the worker id (OPTOUT_WORKER_ID, "/" made safe).
        if "%(worker)s" in str(path):
            path = type(path)(str(path).replace("%(worker)s", worker.replace(os.sep, "_")))
        self.path = path
        self.worker = worker
        path.parent.mkdir(parents=True, exist_ok=True)
        # Line buffered: every record reaches the OS at its newline.
        self._file: TextIO | None = path.open("a", encoding="utf-8", buffering=1)

    def write(
        self,
        url: str,
        verdict: Verdict,
        *,
        action: str,
        stage: str,
        status: int | None = None,
        reason: str | None = None,
    ) -> None:
        """Record the decision on ``url``: ``stage`` is "request" or "response"."""
        if self._file is None:
            return
        record: dict[str, Any] = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "worker": self.worker,  # OPTOUT_WORKER_ID: which process of a cluster decided
            "url": url,
            "purpose": verdict.purpose.value,
            "reserved": verdict.reserved,
            "action": action,
            "stage": stage,
            "status": status,
            "decided_by": verdict.decided_by.to_dict() if verdict.decided_by else None,
            "verdict": verdict.to_dict(),
        }
        if reason is not None:
            record["reason"] = reason
        self._file.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")

    def write_header(self, fields: dict[str, Any]) -> None:
        """Record a crawl header (``"type": "crawl"``, README "Audit file"): once per crawl,
        before its decisions. Decision records have no ``type``."""
        if self._file is None:
            return
        # "time" and "worker" lead, as in decision records, so `sort -m` keeps the header first.
        record = {"time": fields.get("time"), "worker": self.worker, "type": "crawl", **fields}
        self._file.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")

    def close(self) -> None:
        """Close the file; later writes are ignored."""
        if self._file is not None:
            self._file.close()
            self._file = None
