"""W3C TDMRep (specs.md section 1): tdmrep.json, the tdm-* headers and meta, read as evidence.

This module owns the three TDMRep mechanisms a crawler sees: the origin's
``/.well-known/tdmrep.json`` (parsed here; fetching and caching belong to the site-policy layer),
the ``tdm-reservation`` / ``tdm-policy`` response headers, and the HTML ``<meta>`` of the same
names. EPUB and PDF (XMP) embedding are not read.

Precedence between mechanisms (spec 1.4: file < header < meta, absence never resets) is carried
by ``Evidence.precedence`` 0 / 1 / 2 and applied by :func:`~optout_middleware.verdict.combine`.
Reservation ``1`` disallows :attr:`Purpose.TDM`, ``0`` allows it. The ``tdm-policy`` URL is never
fetched: it is resolved to an absolute URL and written into the evidence's ``note`` as
``tdm-policy=<URL>``, so the audit trail shows the licence route next to the reservation.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urljoin, urlsplit

from .errors import ParseError
from .inputs import FileState
from .patterns import PathPattern, request_target
from .plugin import SignalParser
from .verdict import Evidence, Purpose, Stance, allows, disallows

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .inputs import Context, ResponseView, SiteFiles

__all__ = [
    "FAMILY",
    "MAX_BYTES",
    "MAX_DEPTH",
    "SkippedRule",
    "TdmRepFile",
    "TdmRepSignal",
    "TdmRule",
    "parse_tdmrep_json",
]

FAMILY = "tdmrep"
MAX_BYTES = 1024 * 1024  # a rule list this long is already absurd; larger is not read at all
MAX_DEPTH = 64  # a conforming file nests 2 deep (array > rule); the cap keeps json's recursion safe

# One token of JSON structure: a string (its closing quote optional, so an unterminated string is
# consumed once instead of rescanned from every quote inside it) or a bracket. Linear.
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_VALUES = ("0", "1")
_OWS = " \t"
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
        data = json.loads(text)
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
    elif isinstance(value, str) and value.strip(_OWS) in _VALUES:
        reservation = int(value.strip(_OWS))
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


def _reservation(values: Iterable[str], *, split: bool) -> tuple[int | None, str]:
    """One tdm-reservation from every value found, and how it was read (spec 1.7 [inferred]).

    Identical valid values give that value; disagreeing ones give 1 (conservative). Invalid
    members are treated as absent, never as a reset.
    """
    members = [m.strip(_OWS) for v in values for m in (v.split(",") if split else (v,))]
    members = [m for m in members if m]
    valid = {m for m in members if m in _VALUES}
    invalid = [m for m in members if m not in _VALUES]
    notes = []
    if invalid:
        shown = ", ".join(repr(m[:40]) for m in invalid[:5])
        notes.append(f"invalid value {shown} treated as absent (spec 1.7)")
    if not valid:
        return None, "; ".join(notes) or "empty value treated as absent"
    if len(valid) > 1:
        notes.append("values disagree; 1 used (conservative, spec 1.7)")
    elif len(members) > 1:
        notes.append("repeated identical values read as one (spec 1.7)")
    return (1 if "1" in valid else 0), "; ".join(notes)


def _resolve(policy: str, base: str | None) -> str:
    """An absolute policy URL (spec 1.7 [inferred]: relative ones resolve against ``base``)."""
    if not base:
        return policy
    try:
        return urljoin(base, policy)
    except ValueError:
        return policy


def _policy_note(reservation: int, policy: str | None, inherited_from: str = "") -> str:
    if not policy:
        return ""
    if reservation == 0:  # spec 1.2: agents SHOULD NOT process a policy with reservation 0
        return f"tdm-policy={policy} not processed (tdm-reservation is 0)"
    if inherited_from:
        return f"tdm-policy={policy} (from {inherited_from}; absence does not reset)"
    return f"tdm-policy={policy}"


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _stances(reservation: int | None) -> tuple[tuple[Purpose, Stance], ...]:
    if reservation is None:
        return ()
    return disallows(Purpose.TDM) if reservation == 1 else allows(Purpose.TDM)


_BUILT_LIMIT = 4096  # cached evidence tuples; they hold their files alive, so bounded
_Built = tuple["TdmRepFile", tuple[Evidence, ...]]


class TdmRepSignal(SignalParser):
    """TDMRep: file rule (precedence 0), headers (1), meta (2); a later one supersedes (spec 1.4)."""

    family: ClassVar[str] = FAMILY

    def __init__(self) -> None:
        # (id(file), file URL, rule index, skipped rule indexes) -> (file, its evidence)
        self._built: dict[tuple[int, str | None, int, tuple[int, ...]], _Built] = {}

    def site_evidence(self, site: SiteFiles, url: str, context: Context) -> Iterable[Evidence]:
        """The first matching tdmrep.json rule; nothing when the file is absent."""
        sitefile = site.tdmrep
        file_url = sitefile.url or None
        if sitefile.state is FileState.UNREACHABLE:  # spec 1.7 [inferred]: unknown, not reserved
            why = f" ({sitefile.error})" if sitefile.error else ""
            note = f"tdmrep.json unreachable{why}: reservation unknown, not assumed; retry later"
            return (Evidence(FAMILY, "tdmrep.json", "", url=file_url, note=note),)
        tdm = sitefile.parsed
        if sitefile.state is not FileState.PARSED or tdm is None:
            return ()
        rule = tdm.lookup(url)
        skipped = tdm.skipped_matching(url, rule.index if rule else None) if tdm.skipped else ()
        # The evidence depends on the rules that matched, not on the URL: built once per file.
        key = (id(tdm), file_url, rule.index if rule else -1, tuple(s.index for s in skipped))
        cached = self._built.get(key)
        if cached is not None and cached[0] is tdm:
            return cached[1]
        if len(self._built) >= _BUILT_LIMIT:
            self._built.clear()
        found = [
            Evidence(
                FAMILY,
                "tdmrep.json",
                s.location or "",
                location=f"rule {s.index}",
                path=s.location,
                url=file_url,
                note=f"{s.reason}; rule skipped, search continued (spec 1.7)",
            )
            for s in skipped
        ]
        if rule is not None:
            policy = _resolve(rule.policy, file_url) if rule.policy else None
            note = _join(tdm.note, rule.note, _policy_note(rule.reservation, policy))
            found.append(
                Evidence(
                    FAMILY,
                    "tdmrep.json",
                    rule.value,
                    _stances(rule.reservation),
                    location=f"rule {rule.index}",
                    path=rule.location,
                    url=file_url,
                    note=note,
                )
            )
        evidence = tuple(found)
        self._built[key] = (tdm, evidence)
        return evidence

    def response_evidence(self, response: ResponseView, context: Context) -> Iterable[Evidence]:
        """Header values (precedence 1), then meta values (2); absent ones say nothing."""
        found: list[Evidence] = []
        carried = _read_mechanism(
            found,
            "header",
            response.header("tdm-reservation"),
            response.header("tdm-policy"),
            base=response.url,
            carried=(None, ""),
        )
        head = response.head
        if head.metas:
            base = _resolve(head.base_href, response.url) if head.base_href else response.url
            _read_mechanism(
                found,
                "meta",
                head.meta("tdm-reservation"),
                head.meta("tdm-policy"),
                base=base,
                carried=carried,
            )
        return found


# Per mechanism: precedence, where the reservation and the policy are named, comma-list or not.
_MECHANISMS = {
    "header": (1, "tdm-reservation", "tdm-policy", True),
    "meta": (2, 'meta name="tdm-reservation"', 'meta name="tdm-policy"', False),
}


def _read_mechanism(
    found: list[Evidence],
    source: str,
    values: tuple[str, ...],
    policies: tuple[str, ...],
    *,
    base: str,
    carried: tuple[str | None, str],
) -> tuple[str | None, str]:
    """Append one mechanism's evidence; return the policy now current and where it was set."""
    precedence, res_location, pol_location, split = _MECHANISMS[source]
    written = [p.strip() for p in policies if p.strip()]
    policy = _resolve(written[0], base) if written else None
    pol_note = "several tdm-policy values; the first used" if len(set(written)) > 1 else ""
    current, current_from = (policy, source) if policy is not None else carried
    if values:
        reservation, how = _reservation(values, split=split)
        inherited = current_from if current_from != source else ""
        policy_note = (
            _policy_note(reservation, current, inherited) if reservation is not None else ""
        )
        value, location, note = ", ".join(values), res_location, _join(how, pol_note, policy_note)
    elif policy is not None:  # a policy alone updates the current one (spec 1.4, step 5)
        reservation, value, location = None, ", ".join(policies), pol_location
        note = _join(
            pol_note,
            f"tdm-policy={policy} without tdm-reservation here; applies to "
            "the reservation already set",
        )
    else:
        return current, current_from
    found.append(
        Evidence(
            FAMILY,
            source,
            value,
            _stances(reservation),
            location=location,
            precedence=precedence,
            note=note,
        )
    )
    return current, current_from
