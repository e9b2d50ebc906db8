"""``--keep``: a filtered copy of the archives, record by record, byte for byte.

Kept records are copied from the input as they are stored (a gzip member is copied without being
recompressed), so their digests and every header stay as the crawler wrote them. Only when the
input and the output differ in compression is a record compressed (one gzip member per record, as
the WARC standard recommends) or decompressed. An output named ``*.gz`` is gzipped.

Records are written in input order. A record whose group is not decided yet (a request record
before its response) waits in a small queue until its response has been decided.
"""

from __future__ import annotations

import zlib
from collections import deque
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["KeepWriter", "RecordCopier"]

_DROP = "\0drop"  # the group of records dropped whatever is decided


class KeepWriter:
    """The output archive; records are appended from :class:`RecordCopier` objects."""

    __slots__ = ("gzipped", "out", "path", "records")

    def __init__(self, path: str, *, gzipped: bool | None = None) -> None:
        self.path = path
        self.gzipped = path.endswith(".gz") if gzipped is None else gzipped
        self.out: BinaryIO = open(path, "wb")  # noqa: SIM115  (closed by close())
        self.records = 0

    def write(self, data: bytes, *, gzipped: bool) -> None:
        """Append one record's bytes, stored ``gzipped`` or not in the input."""
        if gzipped and not self.gzipped:
            data = zlib.decompressobj(wbits=31).decompress(data)
        elif self.gzipped and not gzipped:
            compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
            data = compressor.compress(data) + compressor.flush()
        self.out.write(data)
        self.records += 1

    def append_file(self, path: str) -> None:
        """Append a part written by another process (same compression)."""
        with open(path, "rb") as part:
            while chunk := part.read(1 << 20):
                self.out.write(chunk)

    def close(self) -> None:
        self.out.close()

    def __enter__(self) -> KeepWriter:  # noqa: PYI034  (3.10: no typing.Self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class RecordCopier:
    """Copies the records of one input file to a :class:`KeepWriter` as their fate is decided.

    Feed it every readable record's (offset, group) in file order with :meth:`record`, the offsets
    of unreadable stretches with :meth:`bad`, each decided HTTP response with :meth:`decided`,
    then :meth:`finish`. A record spans from its offset to the next record's (or bad stretch's).
    A group is kept when none of its responses is reserved; a group whose response could not be
    read is dropped with it; records of no group (warcinfo, a lone resource) are kept.
    """

    __slots__ = ("_fates", "_gzipped", "_last", "_pending", "_remaining", "_source", "_writer")

    def __init__(
        self,
        writer: KeepWriter,
        source: BinaryIO,
        *,
        gzipped: bool,
        responses: dict[str, int],
    ) -> None:
        self._writer = writer
        self._source = source
        self._gzipped = gzipped
        self._remaining = dict(responses)  # group -> HTTP responses not decided yet
        self._fates: dict[str, bool] = {}  # group -> keep
        self._pending: deque[tuple[int, int, str | None]] = deque()  # (start, end, group)
        self._last: tuple[int, str | None] | None = None  # the record whose end is not known

    def record(self, offset: int, group: str | None, *, drop: bool = False) -> None:
        """The next readable record starts at ``offset``; ``group`` None: it stands alone.

        ``drop``: a record that goes whatever is decided (a request whose response is lost).
        """
        self._close_last(offset)
        self._last = (offset, _DROP if drop else group)

    def bad(self, offset: int) -> None:
        """Unreadable bytes start at ``offset``: the record before them ends there."""
        self._close_last(offset)

    def decided(self, group: str, *, keep: bool) -> None:
        """One HTTP response of ``group`` was decided."""
        self._fates[group] = self._fates.get(group, True) and keep
        left = self._remaining.get(group, 1) - 1
        if left > 0:
            self._remaining[group] = left
        else:
            self._remaining.pop(group, None)
        self._flush(final=False)

    def finish(self, end: int) -> None:
        """The file ends at ``end``; a group still undecided (its response unreadable) is dropped."""
        self._close_last(end)
        self._flush(final=True)

    def _close_last(self, end: int) -> None:
        if self._last is not None:
            start, group = self._last
            self._last = None
            if end > start:
                self._pending.append((start, end, group))
                self._flush(final=False)

    def _flush(self, *, final: bool) -> None:
        pending = self._pending
        while pending:
            start, end, group = pending[0]
            if group is None:
                keep = True
            elif group is _DROP:
                keep = False
            elif group in self._remaining:
                if not final:
                    return
                keep = False
            else:
                keep = self._fates.get(group, True)
            pending.popleft()
            if keep:
                self._source.seek(start)
                self._writer.write(self._source.read(end - start), gzipped=self._gzipped)
