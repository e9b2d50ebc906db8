"""The one exception tree of optout_middleware: every error it raises on purpose is an OptOutError."""

from __future__ import annotations


class OptOutError(Exception):
    """Base of every error this library raises on purpose."""


class ParseError(OptOutError, ValueError):
    """Input that a parser could not read at all; ``line`` is 1-based when known.

    Parsers raise this only where a result would be a lie (for example a JSON file that is not
    JSON); recoverable garbage (a bad line, an invalid value) is skipped and noted instead.
    """

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


class ConfigError(OptOutError, ValueError):
    """A setting or option with a value that cannot be used; the message names both."""
