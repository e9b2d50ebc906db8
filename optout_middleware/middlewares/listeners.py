"""Who is listening: the checks that let the hot path skip work nobody would see.

Sending a Scrapy signal to no handler, or building a DEBUG log record that no handler takes,
costs microseconds per page; the downloader middleware asks these once per crawl (and the
signal check again when handlers change) instead of doing the work on every response.
"""

from __future__ import annotations

import logging

from pydispatch import dispatcher  # type: ignore[import-untyped]

__all__ = ["debug_reaches_a_handler", "has_receivers"]


def has_receivers(sender: object, signal: object) -> bool:
    """Whether a handler is connected for ``signal`` (from ``sender`` or from any sender).

    Sending costs several microseconds per page even to nobody; this asks PyDispatcher's
    connection table (what ``send_catch_log`` reads) in well under one. If that table is not
    where PyDispatcher kept it, the answer is yes: the signal is then always sent.
    """
    try:
        connections = dispatcher.connections
        for key in (id(sender), id(dispatcher.Any)):
            by_signal = connections.get(key)
            if by_signal and (by_signal.get(signal) or by_signal.get(dispatcher.Any)):
                return True
    except (AttributeError, TypeError):
        return True
    return False


def debug_reaches_a_handler(log: logging.Logger) -> bool:
    """Whether a DEBUG record from ``log`` would be emitted anywhere.

    Scrapy leaves the root logger at DEBUG and applies LOG_LEVEL on its handler, so
    ``isEnabledFor(DEBUG)`` is true even at LOG_LEVEL="INFO", and each message would still
    build a LogRecord (about 10 us) that no handler takes.
    """
    if not log.isEnabledFor(logging.DEBUG):
        return False
    current: logging.Logger | None = log
    while current is not None:
        if any(handler.level <= logging.DEBUG for handler in current.handlers):
            return True
        current = current.parent if current.propagate else None
    return False
