"""W3C TDMRep's ``/.well-known/tdmrep.json`` (specs.md 1.3, 1.7): bytes in, rules out.

The file is an array of rules, each a ``location`` pattern with a ``tdm-reservation`` and an
optional ``tdm-policy``; the first rule in array order whose location matches a URL decides it.
Invalid rules are kept as :class:`SkippedRule` s (the search continues past them, spec 1.7
[inferred]) so the evidence can say what was ignored. Fetching and caching belong to the
site-policy layer; reading the rules as evidence to :mod:`~optout_middleware.signals.tdmrep`.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from optout_middleware.errors import ParseError

from .patterns import PathPattern, request_target

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "OWS",
    "RESERVATION_VALUES",
    "SkippedRule",
    "TdmRepFile",
    "TdmRule",
    "parse_tdmrep_json",
]

MAX_BYTES = 1024 * 1024  # a rule list this long is already absurd; larger is not read at all
MAX_DEPTH = 64  # a conforming file nests 2 deep (array > rule); the cap keeps json's recursion safe

# One token of JSON structure: a string (its closing quote optional, so an unterminated string is
# consumed once instead of rescanned from every quote inside it) or a bracket. Linear.
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
_DEFAULT_PORTS = {"http": 80, "https": 443}
RESERVATION_VALUES = ("0", "1")
OWS = " \t"
_SHOWN = 80  # longest invalid value quoted in a note
_KINDS = {
    type(None): "null",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "an object",
}


@dataclass(frozen=True, slots=True)
class TdmRule:
    """One valid rule; ``index`` is its 1-based position in the array (invalid rules counted)."""

    index: int
    location: str  # as written
    reservation: int  # 0 or 1
    pattern: PathPattern = field(compare=False)  # compiled from location (or its path)
    policy: str | None = None  # as written, unresolved
    value: str = ""  # tdm-reservation as written in JSON: 1, or "1" when read leniently
    note: str = ""


@dataclass(frozen=True, slots=True)
class SkippedRule:
    """An invalid rule, kept for the audit trail; ``pattern`` is set when its location was valid."""

    index: int
    reason: str
    location: str | None = None
    pattern: PathPattern | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class TdmRepFile:
    """A parsed tdmrep.json: its valid rules in array order, and the rules it skipped."""

    rules: tuple[TdmRule, ...] = ()
    skipped: tuple[SkippedRule, ...] = ()
    note: str = ""  # how the file as a whole was read, when leniently

    def lookup(self, url: str) -> TdmRule | None:
        """The FIRST rule in array order whose location matches ``url`` (spec 1.3 A).

        Not robots.txt longest match: "the most specific match is the first in sequence". The
        pattern sees the path plus query (spec 1.7 [inferred]).
        """
        target = request_target(url)
        for rule in self.rules:
            if rule.pattern.matches(target):
                return rule
        return None

    def skipped_matching(self, url: str, before: int | None = None) -> tuple[SkippedRule, ...]:
        """Invalid rules whose location matches ``url`` and that come before rule ``before``."""
        target = request_target(url)
        return tuple(
            s
            for s in self.skipped
            if s.pattern is not None
            and (before is None or s.index < before)
            and s.pattern.matches(target)
        )


def parse_tdmrep_json(body: bytes | str, *, origin: str = "") -> TdmRepFile:
    """Parse a tdmrep.json; ``origin`` (scheme://host[:port]) resolves absolute-URL locations.

    Raises :class:`ParseError` when the body is not a TDMRep file at all (too large, not JSON,
    nested absurdly deep, not an array or rule object): the caller treats that as no file.
    Invalid rules are skipped, and the search continues past them (spec 1.7 [inferred]).
    """
    size = len(body)
    if size > MAX_BYTES:
        raise ParseError(f"tdmrep.json is {size} bytes, over the {MAX_BYTES} byte cap")
    text = body.removeprefix("\ufeff") if isinstance(body, str) else _decode(bytes(body))
    if text.count("[") + text.count("{") > MAX_DEPTH and _too_deep(text):
        raise ParseError(f"tdmrep.json nests deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text, object_pairs_hook=_conservative_object)
    except RecursionError:
        raise ParseError("tdmrep.json nests too deeply") from None
    except json.JSONDecodeError as exc:
        raise ParseError(f"tdmrep.json is not JSON: {exc.msg}", line=exc.lineno) from None
    except ValueError as exc:  # e.g. an integer beyond int's digit limit
        raise ParseError(f"tdmrep.json is not readable JSON: {exc}") from None
    note = ""
    if isinstance(data, dict):
        # Non-conforming; spec 1.7 [inferred] allows reading one rule object leniently. Its
        # author plainly meant a one-rule file, and dropping it would silently lose a "1".
        if "location" not in data and "tdm-reservation" not in data:
            raise ParseError(
                "tdmrep.json is a JSON object with neither location nor "
                "tdm-reservation, not a rule array"
            )
        data = [data]
        note = "top-level object read as a one-rule array (non-conforming; spec 1.7)"
    elif not isinstance(data, list):
        raise ParseError(f"tdmrep.json top level is {_kind(data)}, not an array of rules")
    home = _origin_key(origin) if origin else None
    rules: list[TdmRule] = []
    skipped: list[SkippedRule] = []
    for index, item in enumerate(data, 1):
        read = _read_rule(index, item, home)
        if isinstance(read, TdmRule):
            rules.append(read)
        else:
            skipped.append(read)
    return TdmRepFile(tuple(rules), tuple(skipped), note)


def _decode(body: bytes) -> str:
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body.decode("utf-16", "replace")
    # RFC 8259: UTF-8. A stray bad octet in one URL should not cost every other rule.
    return body.removeprefix(codecs.BOM_UTF8).decode("utf-8", "replace")


def _too_deep(text: str) -> bool:
    depth = 0
    for match in _STRUCTURE.finditer(text):
        char = match.group()
        if char in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in ("]", "}"):
            depth -= 1
    return False


def _kind(value: object) -> str:
    """The JSON kind of a value ``json.loads`` returned, for skip reasons."""
    return _KINDS.get(type(value), "an object")


def _show(value: object) -> str:
    """A short JSON rendering of a scalar; containers only by kind (no deep recursion)."""
    if isinstance(value, (list, dict)):
        return _kind(value)
    shown = json.dumps(value)
    return shown if len(shown) <= _SHOWN else shown[: _SHOWN - 3] + "..."


def _conservative_object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object; a repeated ``tdm-reservation`` key keeps a ``1`` if any copy says 1.

    JSON leaves duplicate keys undefined and Python keeps the last, so
    ``"tdm-reservation": 1, "tdm-reservation": 0`` would be read as 0 and the reservation lost.
    """
    data = dict(pairs)
    if len(data) < len(pairs):
        ones = [v for k, v in pairs if k == _RESERVATION and v in _ONES and type(v) in (int, str)]
        if ones:
            data[_RESERVATION] = ones[0]
    return data


_RESERVATION = "tdm-reservation"
_ONES = (1, "1")


def _origin_key(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not scheme or not parts.hostname:
        return None
    return scheme, parts.hostname, port if port is not None else _DEFAULT_PORTS.get(scheme)


def _location_path(
    location: str, home: tuple[str, str, int | None] | None
) -> tuple[str | None, str]:
    """The pattern to compile for ``location`` and a note; ``None`` and the reason to skip it."""
    if location.startswith("//") and home is not None:  # protocol-relative: the file's scheme
        location = f"{home[0]}:{location}"
    if _ABSOLUTE.match(location):  # seen in the wild; spec 1.7 [inferred]
        if home is None:
            return None, "absolute URL location and no origin to compare it with"
        if _origin_key(location) != home:
            return None, "absolute URL location on another origin"
        parts = urlsplit(location)
        path = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        return path, f"absolute URL location read as its path {path}"
    if location.startswith(("/", "*")):
        return location, ""
    return "/" + location, f"location without a leading '/' read as /{location}"


def _read_rule(
    index: int, item: object, home: tuple[str, str, int | None] | None
) -> TdmRule | SkippedRule:
    if not isinstance(item, dict):
        return SkippedRule(index, f"rule is {_kind(item)}, not an object")
    if "location" not in item:
        return SkippedRule(index, "missing location")
    location = item["location"]
    if not isinstance(location, str):
        return SkippedRule(index, f"location is {_kind(location)}, not a string")
    if not location.strip():
        return SkippedRule(index, "empty location", location)
    path, loc_note = _location_path(location.strip(), home)
    if path is None:
        return SkippedRule(index, loc_note, location)
    pattern = PathPattern(path)
    notes = [loc_note] if loc_note else []
    if "tdm-reservation" not in item:
        return SkippedRule(index, "missing tdm-reservation", location, pattern)
    value = item["tdm-reservation"]
    if type(value) is int and value in (0, 1):
        reservation = value
    elif isinstance(value, str) and value.strip(OWS) in RESERVATION_VALUES:
        reservation = int(value.strip(OWS))
        notes.append(f"string {_show(value)} read leniently as {reservation} (spec 1.7)")
    else:  # 2, true, "yes", 1.0, null: a protocol error, i.e. unset (spec 1.2)
        return SkippedRule(index, f"invalid tdm-reservation {_show(value)}", location, pattern)
    policy = item.get("tdm-policy")
    if policy is not None and not isinstance(policy, str):
        notes.append(f"tdm-policy ignored: {_kind(policy)}, not a URL string")
        policy = None
    policy = policy.strip() if policy else None
    return TdmRule(
        index, location, reservation, pattern, policy or None, _show(value), "; ".join(notes)
    )
