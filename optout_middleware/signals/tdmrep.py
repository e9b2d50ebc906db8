"""W3C TDMRep (specs.md section 1): tdmrep.json, the tdm-* headers and meta, read as evidence.

This module owns reading the three TDMRep mechanisms a crawler sees as evidence: the origin's
``/.well-known/tdmrep.json`` (parsed in :mod:`~optout_middleware.formats.tdmrep`; fetching and
caching belong to the site-policy layer), the ``tdm-reservation`` / ``tdm-policy`` response
headers, and the HTML ``<meta>`` of the same names. EPUB and PDF (XMP) embedding are not read.

Precedence between mechanisms (spec 1.4: file < header < meta, absence never resets) is carried
by ``Evidence.precedence`` 0 / 1 / 2 and applied by :func:`~optout_middleware.verdict.combine`;
file evidence is ``overridable``, so drop mode fetches a page the file reserves and lets the
page's own header or meta decide (the page is dropped after download if it is still reserved).
Reservation ``1`` disallows :attr:`Purpose.TDM`, ``0`` allows it. The ``tdm-policy`` URL is never
fetched: it is resolved to an absolute URL and written into the evidence's ``note`` as
``tdm-policy=<URL>``, so the audit trail shows the licence route next to the reservation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urljoin

from optout_middleware.formats.htmlhead import HeadInterest
from optout_middleware.formats.pathindex import URL_INDEPENDENT, PathTests
from optout_middleware.formats.tdmrep import (
    MAX_BYTES,
    MAX_DEPTH,
    OWS,
    RESERVATION_VALUES,
    SkippedRule,
    TdmRepFile,
    TdmRule,
    parse_tdmrep_json,
)
from optout_middleware.inputs import FileState
from optout_middleware.memo import Memo
from optout_middleware.plugin import SignalParser
from optout_middleware.verdict import Evidence, Purpose, Stance, allows, disallows

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable

    from optout_middleware.inputs import Context, ResponseView, SiteFiles

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


def _reservation(values: Iterable[str], *, split: bool) -> tuple[int | None, str]:
    """One tdm-reservation from every value found, and how it was read (spec 1.7 [inferred]).

    Identical valid values give that value; disagreeing ones give 1 (conservative). Invalid
    members are treated as absent, never as a reset.
    """
    members = [m.strip(OWS) for v in values for m in (v.split(",") if split else (v,))]
    members = [m for m in members if m]
    quoted = [m for m in members if len(m) > 2 and m[0] == m[-1] == '"']  # noqa: PLR2004
    if quoted:  # as tdmrep.json's "1" is read: an evident 1 is not lost to its quotes
        members = [m[1:-1].strip(OWS) if m in quoted else m for m in members]
    valid = {m for m in members if m in RESERVATION_VALUES}
    invalid = [m for m in members if m not in RESERVATION_VALUES]
    notes = (
        [f"quoted value {quoted[0]} read as its content (lenient, as in tdmrep.json)"]
        if quoted
        else []
    )
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
        # (id(file), file URL, rule index, skipped rule indexes) -> (file, its evidence): the
        # entry keeps the file alive, so no other object can take its id
        self._built: Memo[tuple[int, str | None, int, tuple[int, ...]], _Built] = Memo(_BUILT_LIMIT)

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
        if cached is not None:
            return cached[1]
        found = [
            Evidence(
                FAMILY,
                "tdmrep.json",
                s.location or "",
                location=f"rule {s.index}",
                path=s.location,
                url=file_url,
                note=f"{s.reason}; rule skipped, search continued (spec 1.7)",
                overridable=True,
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
                    overridable=True,  # the page's header or meta supersedes it (spec 1.4)
                )
            )
        return self._built.put(key, (tdm, tuple(found)))[1]

    def site_key(self, site: SiteFiles, url: str, context: Context) -> Hashable | None:
        """The index of the first matching rule and of the invalid rules matched before it."""
        sitefile = site.tdmrep
        tdm = sitefile.parsed
        if sitefile.state is not FileState.PARSED or tdm is None:
            return sitefile.state  # the evidence depends on the file alone
        rule = tdm.lookup(url)
        index = rule.index if rule else None
        skipped = tdm.skipped_matching(url, index) if tdm.skipped else ()
        return index or -1, tuple(s.index for s in skipped)

    def site_tests(self, site: SiteFiles, context: Context) -> PathTests:
        """Every location pattern, of valid and of skipped rules (both decide the evidence)."""
        sitefile = site.tdmrep
        tdm = sitefile.parsed
        if sitefile.state is not FileState.PARSED or tdm is None:
            return URL_INDEPENDENT
        skipped = tuple(s.pattern for s in tdm.skipped if s.pattern is not None)
        return PathTests((*(rule.pattern for rule in tdm.rules), *skipped))

    def head_interest(self, context: Context) -> HeadInterest:
        """``<meta name="tdm-reservation">`` and ``<meta name="tdm-policy">``."""
        return HeadInterest(_META_NAMES)

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
        for meta in head.metas:  # one pass for the names, then head.meta() only if present
            if meta.name in _META_NAMES:
                break
        else:
            return found
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


_META_NAMES = frozenset({"tdm-reservation", "tdm-policy"})
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
    if not values and not policies:  # most pages: this mechanism is not used
        return carried
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
