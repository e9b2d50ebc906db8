"""W3C TDMRep (specs.md section 1): tdmrep.json parsing and matching, headers, meta, precedence.

EPUB and PDF embedding (specs.md 1.3 D/E, 1.6 example 4 and their 1.7 bullets) are not
implemented, so they have no tests here.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optout_middleware.errors import ParseError
from optout_middleware.evaluate import Evaluator
from optout_middleware.formats.htmlhead import HtmlHead, MetaTag
from optout_middleware.inputs import Context, FileState, SiteFile, SiteFiles
from optout_middleware.signals.tdmrep import (
    MAX_BYTES,
    MAX_DEPTH,
    TdmRepFile,
    TdmRepSignal,
    parse_tdmrep_json,
)
from optout_middleware.testing import make_response
from optout_middleware.verdict import Evidence, Purpose, Stance, Verdict, combine

DATA = Path(__file__).parent / "data" / "tdmrep"
ORIGIN = "https://pub.example"
FILE_URL = ORIGIN + "/.well-known/tdmrep.json"
POLICY = "https://pub.example/tdm/offer.json"
CONTEXT = Context()
SIGNAL = TdmRepSignal()

EXAMPLE_1 = json.dumps(
    [
        {"location": "/press-kit/", "tdm-reservation": 0},
        {"location": "/articles/*.pdf$", "tdm-reservation": 1, "tdm-policy": POLICY},
        {"location": "/", "tdm-reservation": 1},
    ]
)


def rules(*items: object) -> str:
    return json.dumps(list(items))


def reservation_for(body: str | bytes, path: str) -> int | None:
    rule = parse_tdmrep_json(body, origin=ORIGIN).lookup(ORIGIN + path)
    return None if rule is None else rule.reservation


def site(body: str | bytes | None, state: FileState = FileState.PARSED) -> SiteFiles:
    parsed = parse_tdmrep_json(body, origin=ORIGIN) if body is not None else None
    return SiteFiles(ORIGIN, tdmrep=SiteFile(state, FILE_URL, parsed, 200))


def response(
    path: str = "/page",
    headers: list[tuple[str, str]] | None = None,
    metas: list[tuple[str, str]] | None = None,
    base_href: str | None = None,
) -> object:
    view = make_response(ORIGIN + path, headers=headers or [])
    # The head extractor is another module's job: hand the view a ready-made head.
    view._head = HtmlHead(metas=tuple(MetaTag(n, c) for n, c in metas or []), base_href=base_href)
    return view


def verdict(
    path: str = "/page",
    body: str | None = None,
    headers: list[tuple[str, str]] | None = None,
    metas: list[tuple[str, str]] | None = None,
    purpose: Purpose = Purpose.TDM,
) -> Verdict:
    """The verdict of the whole pipeline (site evidence + response evidence + combine)."""
    evaluator = Evaluator(purpose, CONTEXT, [SIGNAL])
    return evaluator.after_download(response(path, headers, metas), site(body))  # type: ignore[arg-type]


def response_evidence(**kwargs: object) -> list[Evidence]:
    return list(SIGNAL.response_evidence(response(**kwargs), CONTEXT))  # type: ignore[arg-type]


def site_evidence(body: str, path: str) -> list[Evidence]:
    return list(SIGNAL.site_evidence(site(body), ORIGIN + path, CONTEXT))


def with_stance(evidence: list[Evidence] | tuple[Evidence, ...]) -> list[Evidence]:
    return [e for e in evidence if e.stances]


# --- 1.2 the two properties -------------------------------------------------------------------


def test_tdmrep_reservation_1_reserves_tdm_and_every_sub_purpose() -> None:
    """specs.md 1.2 / 0: tdm-reservation 1 is the Art. 4 reservation of TDM, a superset of AI uses."""
    body = rules({"location": "/", "tdm-reservation": 1})
    for purpose in Purpose:
        assert verdict(body=body, purpose=purpose).reserved is True


def test_tdmrep_reservation_0_allows_tdm() -> None:
    """specs.md 1.2: tdm-reservation 0 = not reserved, agents may mine."""
    v = verdict(body=rules({"location": "/", "tdm-reservation": 0}))
    assert v.reserved is False
    assert v.decided_by is not None
    assert v.decided_by.stance(Purpose.TDM) is Stance.ALLOWED


@pytest.mark.parametrize("value", [2, -1, 1.5, True, False, None, "yes", "", [1], {"v": 1}])
def test_tdmrep_value_other_than_0_or_1_is_unset(value: object) -> None:
    """specs.md 1.2: any other tdm-reservation value is a protocol error: consider it unset."""
    tdm = parse_tdmrep_json(rules({"location": "/", "tdm-reservation": value}))
    assert tdm.rules == ()
    assert tdm.skipped[0].reason.startswith("invalid tdm-reservation")
    assert verdict(body=rules({"location": "/", "tdm-reservation": value})).reserved is None


def test_tdmrep_value_2_of_the_withdrawn_draft_is_invalid() -> None:
    """specs.md 1.2: value 2 was removed in Oct 2021; treat it as invalid, not as reserved."""
    tdm = parse_tdmrep_json(rules({"location": "/", "tdm-reservation": 2}))
    assert tdm.lookup("/a") is None
    assert tdm.skipped[0].reason == "invalid tdm-reservation 2"


def test_tdmrep_policy_with_reservation_0_is_kept_but_not_processed() -> None:
    """specs.md 1.2: a tdm-policy beside reservation 0 is no error; agents SHOULD NOT process it."""
    body = rules({"location": "/", "tdm-reservation": 0, "tdm-policy": POLICY})
    (ev,) = site_evidence(body, "/a")
    assert ev.stance(Purpose.TDM) is Stance.ALLOWED
    assert f"tdm-policy={POLICY} not processed" in ev.note


def test_tdmrep_nothing_found_is_unset() -> None:
    """specs.md 1.2: the default when nothing is found is unset (not an authorisation)."""
    v = verdict(body=None)
    assert v.reserved is None
    assert v.evidence == ()


# --- 1.3 A: the site file ---------------------------------------------------------------------


def test_tdmrep_file_is_an_array_of_rules() -> None:
    """specs.md 1.3 A: the body is a JSON array of rule objects, kept in order."""
    tdm = parse_tdmrep_json(EXAMPLE_1)
    assert [(r.index, r.location, r.reservation) for r in tdm.rules] == [
        (1, "/press-kit/", 0),
        (2, "/articles/*.pdf$", 1),
        (3, "/", 1),
    ]
    assert tdm.rules[1].policy == POLICY
    assert tdm.rules[0].policy is None


def test_tdmrep_empty_array_is_a_file_without_rules() -> None:
    """specs.md 1.3 A: an empty array is a valid file in which no rule matches (unset)."""
    tdm = parse_tdmrep_json("[]")
    assert tdm == TdmRepFile()
    assert tdm.lookup("/anything") is None


def test_tdmrep_location_is_mandatory() -> None:
    """specs.md 1.3 A: location is mandatory; a rule without it is invalid and skipped."""
    tdm = parse_tdmrep_json(rules({"tdm-reservation": 1}))
    assert tdm.rules == ()
    assert tdm.skipped[0].reason == "missing location"


def test_tdmrep_reservation_is_mandatory() -> None:
    """specs.md 1.3 A: tdm-reservation is mandatory; a rule without it is invalid and skipped."""
    tdm = parse_tdmrep_json(rules({"location": "/", "tdm-policy": POLICY}))
    assert tdm.rules == ()
    assert tdm.skipped[0].reason == "missing tdm-reservation"


def test_tdmrep_policy_is_optional() -> None:
    """specs.md 1.3 A: tdm-policy is optional."""
    (rule,) = parse_tdmrep_json(rules({"location": "/", "tdm-reservation": 1})).rules
    assert rule.policy is None
    assert rule.note == ""


def test_tdmrep_star_matches_any_run_of_characters() -> None:
    """specs.md 1.3 A: '*' is zero or more of any character."""
    body = rules({"location": "/a/*/b", "tdm-reservation": 1})
    assert reservation_for(body, "/a/x/y/b") == 1
    assert reservation_for(body, "/a//b") == 1
    assert reservation_for(body, "/a/x/c") is None


def test_tdmrep_dollar_anchors_the_end() -> None:
    """specs.md 1.3 A: '$' marks the end of the pattern."""
    body = rules({"location": "/a.pdf$", "tdm-reservation": 1})
    assert reservation_for(body, "/a.pdf") == 1
    assert reservation_for(body, "/a.pdf.html") is None


def test_tdmrep_without_dollar_a_pattern_is_a_prefix() -> None:
    """specs.md 1.3 A: a rule matches iff the end of the pattern is reached first (prefix)."""
    body = rules({"location": "/news", "tdm-reservation": 1})
    assert reservation_for(body, "/news/2026/x") == 1
    assert reservation_for(body, "/newsletter") == 1
    assert reservation_for(body, "/new") is None


def test_tdmrep_percent_encoded_special_character_matches_literally() -> None:
    """specs.md 1.3 A: '/path/foo-%24' matches the literal '/path/foo-$'."""
    body = rules({"location": "/path/foo-%24", "tdm-reservation": 1})
    assert reservation_for(body, "/path/foo-$") == 1
    assert reservation_for(body, "/path/foo-") is None


def test_tdmrep_matching_is_case_sensitive() -> None:
    """specs.md 1.3 A / 1.7: pattern /Docs/ does not match /docs/a."""
    body = rules({"location": "/Docs/", "tdm-reservation": 1})
    assert reservation_for(body, "/docs/a") is None
    assert reservation_for(body, "/Docs/a") == 1


def test_tdmrep_percent_encoded_unreserved_is_decoded() -> None:
    """specs.md 1.3 A / 1.7: %41 in the URL is 'A' before matching."""
    body = rules({"location": "/A/", "tdm-reservation": 1})
    assert reservation_for(body, "/%41/x") == 1
    assert reservation_for(rules({"location": "/%41/", "tdm-reservation": 1}), "/A/x") == 1


def test_tdmrep_percent_encoded_reserved_is_not_decoded() -> None:
    """specs.md 1.3 A / 1.7: %2F stays distinct from '/'."""
    body = rules({"location": "/a/b", "tdm-reservation": 1})
    assert reservation_for(body, "/a%2Fb") is None
    assert reservation_for(rules({"location": "/a%2fb", "tdm-reservation": 1}), "/a%2Fb") == 1


def test_tdmrep_first_matching_rule_wins() -> None:
    """specs.md 1.3 A / 1.7: first match in array order wins, not the longest match."""
    body = rules(
        {"location": "/", "tdm-reservation": 1}, {"location": "/open/", "tdm-reservation": 0}
    )
    assert reservation_for(body, "/open/x") == 1
    swapped = rules(
        {"location": "/open/", "tdm-reservation": 0}, {"location": "/", "tdm-reservation": 1}
    )
    assert reservation_for(swapped, "/open/x") == 0


def test_tdmrep_no_matching_rule_is_unset() -> None:
    """specs.md 1.3 A: no rule matches => tdm-reservation unset for that URL."""
    body = rules({"location": "/private/", "tdm-reservation": 1})
    assert reservation_for(body, "/public/a") is None
    assert verdict("/public/a", body=body).reserved is None


def test_tdmrep_site_evidence_names_rule_file_and_pattern() -> None:
    """specs.md 1.3 A: the evidence says which rule of which file decided, at precedence 0."""
    (ev,) = site_evidence(EXAMPLE_1, "/articles/2026/a.pdf")
    assert (ev.family, ev.source, ev.location, ev.path, ev.url, ev.value, ev.precedence) == (
        "tdmrep",
        "tdmrep.json",
        "rule 2",
        "/articles/*.pdf$",
        FILE_URL,
        "1",
        0,
    )
    assert ev.stances == ((Purpose.TDM, Stance.DISALLOWED),)
    assert ev.note == f"tdm-policy={POLICY}"


# --- 1.3 B: headers ---------------------------------------------------------------------------


def test_tdmrep_header_1_reserves() -> None:
    """specs.md 1.3 B: tdm-reservation: 1 on the response reserves it."""
    (ev,) = response_evidence(headers=[("tdm-reservation", "1")])
    assert (ev.source, ev.location, ev.value, ev.precedence) == (
        "header",
        "tdm-reservation",
        "1",
        1,
    )
    assert ev.stance(Purpose.TDM) is Stance.DISALLOWED


def test_tdmrep_header_0_allows() -> None:
    """specs.md 1.3 B: tdm-reservation: 0 on the response says not reserved."""
    (ev,) = response_evidence(headers=[("tdm-reservation", "0")])
    assert ev.stance(Purpose.TDM) is Stance.ALLOWED


def test_tdmrep_header_names_are_case_insensitive() -> None:
    """specs.md 1.3 B: HTTP field names are case-insensitive."""
    (ev,) = response_evidence(headers=[("TDM-Reservation", "1"), ("TDM-POLICY", POLICY)])
    assert ev.stance(Purpose.TDM) is Stance.DISALLOWED
    assert ev.note == f"tdm-policy={POLICY}"


def test_tdmrep_header_policy_is_recorded_with_the_reservation() -> None:
    """specs.md 1.3 B: the optional tdm-policy header travels with the reservation."""
    (ev,) = response_evidence(headers=[("tdm-reservation", "1"), ("tdm-policy", POLICY)])
    assert ev.note == f"tdm-policy={POLICY}"


def test_tdmrep_header_policy_alone_is_informational() -> None:
    """specs.md 1.4 step 5: a tdm-policy without tdm-reservation sets no reservation."""
    (ev,) = response_evidence(headers=[("tdm-policy", POLICY)])
    assert ev.stances == ()
    assert ev.location == "tdm-policy"
    assert POLICY in ev.note


# --- 1.3 C: meta ------------------------------------------------------------------------------


def test_tdmrep_meta_1_reserves() -> None:
    """specs.md 1.3 C: <meta name="tdm-reservation" content="1"> reserves the document."""
    (ev,) = response_evidence(metas=[("tdm-reservation", "1")])
    assert (ev.source, ev.location, ev.precedence) == ("meta", 'meta name="tdm-reservation"', 2)
    assert ev.stance(Purpose.TDM) is Stance.DISALLOWED


def test_tdmrep_meta_policy_is_recorded_with_the_reservation() -> None:
    """specs.md 1.3 C: <meta name="tdm-policy"> gives the policy URL."""
    (ev,) = response_evidence(metas=[("tdm-reservation", "1"), ("tdm-policy", POLICY)])
    assert ev.note == f"tdm-policy={POLICY}"


def test_tdmrep_meta_name_is_case_insensitive_in_real_html() -> None:
    """specs.md 1.3 C: meta names compare ASCII-case-insensitively (read by htmlhead)."""
    html = (
        '<html><head><base href="/tdm/"><META NAME="TDM-Reservation" content=" 1 ">'
        '<meta name="Tdm-Policy" content="offer.json"></head><body></body></html>'
    )
    view = make_response(ORIGIN + "/a/page", html=html)
    (ev,) = SIGNAL.response_evidence(view, CONTEXT)
    assert ev.stance(Purpose.TDM) is Stance.DISALLOWED
    assert ev.note == f"tdm-policy={POLICY}"


@pytest.mark.parametrize("content", ["1", "0"])
def test_tdmrep_meta_in_body_is_not_read(content: str) -> None:
    """Deviation from specs.md 1.7 [inferred] (honour a 1 in <body>): only the head is read
    (README "Across signals"), so a tdm-reservation meta in <body> gives no evidence."""
    meta = f'<meta name="tdm-reservation" content="{content}">'
    in_body = make_response(ORIGIN + "/page", html=f"<head></head><body>{meta}</body>")
    assert list(SIGNAL.response_evidence(in_body, CONTEXT)) == []
    in_head = make_response(ORIGIN + "/page", html=f"<head>{meta}</head><body></body>")
    assert len(list(SIGNAL.response_evidence(in_head, CONTEXT))) == 1


def test_tdmrep_meta_without_tdm_names_says_nothing() -> None:
    """specs.md 1.3 C: other metas are not TDMRep."""
    assert response_evidence(metas=[("robots", "noai"), ("description", "1")]) == []


# --- 1.4 precedence ---------------------------------------------------------------------------


def test_tdmrep_header_supersedes_file() -> None:
    """specs.md 1.4 / 1.7: file 1, header 0 => 0 for that response."""
    body = rules({"location": "/", "tdm-reservation": 1})
    v = verdict(body=body, headers=[("tdm-reservation", "0")])
    assert v.reserved is False
    assert v.decided_by is not None
    assert v.decided_by.source == "header"
    assert (
        verdict(
            body=rules({"location": "/", "tdm-reservation": 0}), headers=[("tdm-reservation", "1")]
        ).reserved
        is True
    )


def test_tdmrep_meta_supersedes_header() -> None:
    """specs.md 1.4: meta values supersede header values."""
    v = verdict(headers=[("tdm-reservation", "1")], metas=[("tdm-reservation", "0")])
    assert v.reserved is False
    v = verdict(headers=[("tdm-reservation", "0")], metas=[("tdm-reservation", "1")])
    assert v.reserved is True
    assert v.decided_by is not None
    assert v.decided_by.source == "meta"


def test_tdmrep_meta_supersedes_file() -> None:
    """specs.md 1.4: meta supersedes the file even without a header in between."""
    body = rules({"location": "/", "tdm-reservation": 1})
    assert verdict(body=body, metas=[("tdm-reservation", "0")]).reserved is False


def test_tdmrep_absence_does_not_reset() -> None:
    """specs.md 1.4 / 1.7: file 1, header absent, meta absent => 1."""
    v = verdict(body=rules({"location": "/", "tdm-reservation": 1}))
    assert v.reserved is True
    assert v.decided_by is not None
    assert v.decided_by.source == "tdmrep.json"


def test_tdmrep_absent_header_policy_keeps_file_policy() -> None:
    """specs.md 1.7: header 1 without tdm-policy, file rule had one => the file's policy stays."""
    body = rules({"location": "/", "tdm-reservation": 1, "tdm-policy": POLICY})
    v = verdict(body=body, headers=[("tdm-reservation", "1")])
    assert v.reserved is True
    assert v.decided_by is not None
    assert v.decided_by.source == "header"
    assert [e.source for e in v.evidence if f"tdm-policy={POLICY}" in e.note] == ["tdmrep.json"]


def test_tdmrep_absent_meta_policy_keeps_header_policy() -> None:
    """specs.md 1.4 step 5: meta 1 without tdm-policy keeps the header's policy."""
    evs = response_evidence(
        headers=[("tdm-reservation", "1"), ("tdm-policy", POLICY)],
        metas=[("tdm-reservation", "1")],
    )
    assert [e.source for e in evs] == ["header", "meta"]
    assert f"tdm-policy={POLICY} (from header" in evs[1].note


def test_tdmrep_combined_directly_file_1_header_0_not_reserved() -> None:
    """specs.md 1.4: checked with verdict.combine on the evidence as emitted."""
    file_ev = site_evidence(rules({"location": "/", "tdm-reservation": 1}), "/a")
    header_ev = response_evidence(path="/a", headers=[("tdm-reservation", "0")])
    assert combine(Purpose.TDM, file_ev + header_ev).reserved is False
    assert combine(Purpose.TDM, file_ev).reserved is True


# --- 1.6 examples -----------------------------------------------------------------------------


def test_tdmrep_example_1_ordered_site_file() -> None:
    """specs.md 1.6 example 1: specific rules before the general one."""
    tdm = parse_tdmrep_json(EXAMPLE_1)
    press = tdm.lookup("/press-kit/logo.png")
    pdf = tdm.lookup("/articles/2026/a.pdf")
    pdf_query = tdm.lookup("/articles/2026/a.pdf?dl=1")
    assert press is not None
    assert (press.index, press.reservation) == (1, 0)
    assert pdf is not None
    assert (pdf.index, pdf.reservation, pdf.policy) == (2, 1, POLICY)
    assert pdf_query is not None
    assert (pdf_query.index, pdf_query.reservation, pdf_query.policy) == (3, 1, None)


def test_tdmrep_example_2_headers_on_an_image() -> None:
    """specs.md 1.6 example 2: headers on a single image response reserve it, with policy."""
    view = make_response(
        ORIGIN + "/i.webp",
        headers=[("Content-Type", "image/webp"), ("tdm-reservation", "1"), ("tdm-policy", POLICY)],
    )
    (ev,) = SIGNAL.response_evidence(view, CONTEXT)
    assert ev.stance(Purpose.TDM) is Stance.DISALLOWED
    assert ev.note == f"tdm-policy={POLICY}"


def test_tdmrep_example_3_html_overrides_site_file() -> None:
    """specs.md 1.6 example 3: file says 1, page meta says 0 => 0 for this page only."""
    body = rules({"location": "/", "tdm-reservation": 1})
    assert verdict("/page", body=body, metas=[("tdm-reservation", "0")]).reserved is False
    assert verdict("/other", body=body).reserved is True


# --- 1.7 edge cases ---------------------------------------------------------------------------


def test_tdmrep_string_value_is_read_leniently_with_a_note() -> None:
    """specs.md 1.7 [inferred]: "1"/"0" as JSON strings are accepted, and the leniency logged."""
    tdm = parse_tdmrep_json(
        rules(
            {"location": "/a", "tdm-reservation": "1"}, {"location": "/b", "tdm-reservation": "0"}
        )
    )
    assert [r.reservation for r in tdm.rules] == [1, 0]
    (ev,) = site_evidence(rules({"location": "/", "tdm-reservation": "1"}), "/x")
    assert ev.value == '"1"'
    assert "read leniently" in ev.note


@pytest.mark.parametrize("value", [True, False, "yes", "true", 2])
def test_tdmrep_boolean_two_and_yes_are_unset(value: object) -> None:
    """specs.md 1.7: true/false, 2, "yes" => unset."""
    assert reservation_for(rules({"location": "/", "tdm-reservation": value}), "/a") is None


def test_tdmrep_invalid_rule_is_skipped_and_search_continues() -> None:
    """specs.md 1.7 [inferred]: an invalid first-matching rule is skipped; the next one decides."""
    body = rules(
        {"location": "/a/", "tdm-reservation": "yes"},
        {"tdm-reservation": 0},
        {"location": "/", "tdm-reservation": 1},
    )
    assert reservation_for(body, "/a/x") == 1
    evs = site_evidence(body, "/a/x")
    assert [(e.location, bool(e.stances)) for e in evs] == [("rule 1", False), ("rule 3", True)]
    assert "invalid tdm-reservation" in evs[0].note


def test_tdmrep_top_level_object_is_read_as_one_rule() -> None:
    """specs.md 1.7 [inferred]: a single rule object is accepted leniently (documented choice)."""
    tdm = parse_tdmrep_json(json.dumps({"location": "/", "tdm-reservation": 1}))
    assert [r.reservation for r in tdm.rules] == [1]
    assert "top-level object" in tdm.note
    (ev,) = site_evidence(json.dumps({"location": "/", "tdm-reservation": 1}), "/x")
    assert "top-level object" in ev.note


def test_tdmrep_top_level_object_that_is_no_rule_is_no_file() -> None:
    """specs.md 1.7 [inferred]: an object that is not a rule is not a TDMRep file."""
    with pytest.raises(ParseError):
        parse_tdmrep_json(json.dumps({"rules": [{"location": "/", "tdm-reservation": 1}]}))


def test_tdmrep_absolute_url_location_on_same_origin_uses_its_path() -> None:
    """specs.md 1.7 [inferred]: an absolute-URL location on the same origin uses its path."""
    body = rules({"location": "https://PUB.example:443/private/", "tdm-reservation": 1})
    tdm = parse_tdmrep_json(body, origin=ORIGIN)
    assert tdm.lookup("/private/a") is not None
    assert tdm.lookup("/public/a") is None
    assert "absolute URL" in tdm.rules[0].note


def test_tdmrep_absolute_url_location_on_other_origin_is_ignored() -> None:
    """specs.md 1.7 [inferred]: an absolute-URL location elsewhere is ignored."""
    for location in ("https://other.example/", "http://pub.example/", "https://pub.example:8443/"):
        tdm = parse_tdmrep_json(rules({"location": location, "tdm-reservation": 1}), origin=ORIGIN)
        assert tdm.rules == ()
        assert tdm.skipped[0].reason == "absolute URL location on another origin"
    unknown = parse_tdmrep_json(rules({"location": "https://pub.example/", "tdm-reservation": 1}))
    assert unknown.rules == ()


def test_tdmrep_query_string_is_part_of_the_matched_target() -> None:
    """specs.md 1.7 [inferred]: /search matches /search?q=1 (prefix); /search$ does not."""
    assert reservation_for(rules({"location": "/search", "tdm-reservation": 1}), "/search?q=1") == 1
    assert (
        reservation_for(rules({"location": "/search$", "tdm-reservation": 1}), "/search?q=1")
        is None
    )
    assert reservation_for(rules({"location": "/*?q=", "tdm-reservation": 1}), "/s?q=1") == 1


@pytest.mark.parametrize("state", [FileState.ABSENT, FileState.NOT_FETCHED])
def test_tdmrep_file_404_is_absent(state: FileState) -> None:
    """specs.md 1.7: 404/410 => file absent => unset (no evidence at all)."""
    assert list(SIGNAL.site_evidence(site(None, state), ORIGIN + "/a", CONTEXT)) == []


def test_tdmrep_file_5xx_is_unknown_not_reserved() -> None:
    """specs.md 1.7 [inferred]: 5xx/timeout => unknown, retry; not reserved like robots.txt."""
    files = SiteFiles(
        ORIGIN, tdmrep=SiteFile(FileState.UNREACHABLE, FILE_URL, None, 503, error="HTTP 503")
    )
    evs = list(SIGNAL.site_evidence(files, ORIGIN + "/a", CONTEXT))
    assert [e.stances for e in evs] == [()]
    assert "HTTP 503" in evs[0].note
    assert combine(Purpose.TDM, evs).reserved is None


def test_tdmrep_json_served_as_text_plain_is_still_parsed() -> None:
    """specs.md 1.7: whatever the Content-Type, try to parse the body as JSON."""
    body = (DATA / "ordered.json").read_bytes()
    assert [r.reservation for r in parse_tdmrep_json(body).rules] == [0, 1, 1]


def test_tdmrep_html_error_page_is_absent() -> None:
    """specs.md 1.7: an HTML page served with 200 fails to parse => absent (ParseError)."""
    with pytest.raises(ParseError):
        parse_tdmrep_json((DATA / "soft-404.html").read_bytes())


def test_tdmrep_file_from_the_wild_reads_what_it_can() -> None:
    """specs.md 1.7: a non-conforming file keeps its valid rules, in order, and skips the rest."""
    body = (DATA / "in-the-wild.json").read_bytes()
    tdm = parse_tdmrep_json(body, origin=ORIGIN)
    assert [r.index for r in tdm.rules] == [1, 3, 6]
    assert [s.index for s in tdm.skipped] == [2, 4, 5]
    (archive,) = site_evidence(body.decode(), "/archive/2020/a.html")
    assert archive.stance(Purpose.TDM) is Stance.DISALLOWED
    assert "tdm-policy=https://pub.example/tdm/archive.json" in archive.note
    beta = site_evidence(body.decode(), "/beta/x")
    assert [(e.location, bool(e.stances)) for e in beta] == [("rule 2", False), ("rule 6", True)]
    assert reservation_for(body, "/open/x") == 0


def test_tdmrep_repeated_identical_header_lines_give_that_value() -> None:
    """specs.md 1.7 [inferred]: repeated identical valid values => that value."""
    (ev,) = response_evidence(headers=[("tdm-reservation", "1"), ("tdm-reservation", "1")])
    assert ev.stance(Purpose.TDM) is Stance.DISALLOWED
    assert ev.value == "1, 1"
    assert "repeated" in ev.note


def test_tdmrep_combined_identical_header_members_give_that_value() -> None:
    """specs.md 1.7 [inferred]: a combined `0, 0` => 0."""
    (ev,) = response_evidence(headers=[("tdm-reservation", "0, 0")])
    assert ev.stance(Purpose.TDM) is Stance.ALLOWED


@pytest.mark.parametrize("lines", [["0, 1"], ["1", "0"], ["0", "1"]])
def test_tdmrep_disagreeing_header_members_give_1(lines: list[str]) -> None:
    """specs.md 1.7 [inferred]: members disagree => 1 (conservative)."""
    (ev,) = response_evidence(headers=[("tdm-reservation", v) for v in lines])
    assert ev.stance(Purpose.TDM) is Stance.DISALLOWED
    assert "disagree" in ev.note


def test_tdmrep_header_ows_is_trimmed() -> None:
    """specs.md 1.7: `tdm-reservation:  1 ` => 1."""
    (ev,) = response_evidence(headers=[("tdm-reservation", " \t1 ")])
    assert ev.stance(Purpose.TDM) is Stance.DISALLOWED
    assert ev.note == ""


@pytest.mark.parametrize("value", ["yes", "2", "true", "", "1;q=1"])
def test_tdmrep_invalid_header_value_is_recorded_without_stance(value: str) -> None:
    """specs.md 1.2 / 1.7: an invalid header value is unset: kept as evidence, no stance."""
    (ev,) = response_evidence(headers=[("tdm-reservation", value)])
    assert ev.stances == ()
    assert ev.value == value
    assert ev.note


def test_tdmrep_header_0_keeps_policy_but_does_not_process_it() -> None:
    """specs.md 1.7: header 0 => keep but do not process the policy."""
    (ev,) = response_evidence(headers=[("tdm-reservation", "0"), ("tdm-policy", POLICY)])
    assert ev.stance(Purpose.TDM) is Stance.ALLOWED
    assert ev.note == f"tdm-policy={POLICY} not processed (tdm-reservation is 0)"


def test_tdmrep_invalid_later_value_does_not_reset_earlier_1() -> None:
    """specs.md 1.7 [inferred]: meta content="yes" after a valid header 1 => still 1."""
    v = verdict(headers=[("tdm-reservation", "1")], metas=[("tdm-reservation", "yes")])
    assert v.reserved is True
    meta = [e for e in v.evidence if e.source == "meta"]
    assert [(e.value, e.stances) for e in meta] == [("yes", ())]
    body = rules({"location": "/", "tdm-reservation": 1})
    assert verdict(body=body, headers=[("tdm-reservation", "maybe")]).reserved is True


def test_tdmrep_multiple_metas_with_different_values_give_1() -> None:
    """specs.md 1.7 [inferred]: several tdm-reservation metas that differ => 1 wins."""
    for metas in (
        [("tdm-reservation", "0"), ("tdm-reservation", "1")],
        [("tdm-reservation", "1"), ("tdm-reservation", "0")],
    ):
        (ev,) = response_evidence(metas=metas)
        assert ev.stance(Purpose.TDM) is Stance.DISALLOWED


def test_tdmrep_meta_content_with_comma_is_not_a_list() -> None:
    """specs.md 1.3 C: a meta holds one value; `1, 0` is not 0 or 1 => treated as absent."""
    (ev,) = response_evidence(metas=[("tdm-reservation", "1, 0")])
    assert ev.stances == ()


def test_tdmrep_relative_policy_resolves_against_response_url() -> None:
    """specs.md 1.7 [inferred]: a relative tdm-policy resolves against the response URL."""
    (ev,) = response_evidence(
        path="/dir/page", headers=[("tdm-reservation", "1"), ("tdm-policy", "../tdm/offer.json")]
    )
    assert ev.note == f"tdm-policy={POLICY}"


def test_tdmrep_relative_meta_policy_resolves_against_document_base() -> None:
    """specs.md 1.7 [inferred]: a relative meta tdm-policy resolves against <base href>."""
    (ev,) = response_evidence(
        path="/a/b/page",
        base_href="/tdm/",
        metas=[("tdm-reservation", "1"), ("tdm-policy", "offer.json")],
    )
    assert ev.note == f"tdm-policy={POLICY}"


def test_tdmrep_relative_file_policy_resolves_against_file_url() -> None:
    """specs.md 1.7 [inferred]: a relative policy in tdmrep.json resolves against the file URL."""
    body = rules({"location": "/", "tdm-reservation": 1, "tdm-policy": "/tdm/offer.json"})
    (ev,) = site_evidence(body, "/x")
    assert ev.note == f"tdm-policy={POLICY}"


# --- hostile input ----------------------------------------------------------------------------


def test_tdmrep_huge_file_is_rejected() -> None:
    """Hostile input: a tdmrep.json over the size cap is not read at all."""
    rule = b'{"location": "/", "tdm-reservation": 1},'
    body = b"[" + rule * (MAX_BYTES // len(rule) + 1) + b'{"location": "/", "tdm-reservation": 1}]'
    with pytest.raises(ParseError, match="cap"):
        parse_tdmrep_json(body)
    with pytest.raises(ParseError, match="cap"):
        parse_tdmrep_json(body.decode())


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 200_000])
def test_tdmrep_deeply_nested_json_is_rejected(depth: int) -> None:
    """Hostile input: absurd nesting is a ParseError, never a RecursionError."""
    with pytest.raises(ParseError, match="nest"):
        parse_tdmrep_json("[" * depth + "]" * depth)
    with pytest.raises(ParseError):
        parse_tdmrep_json('[{"a":' * depth)


def test_tdmrep_brackets_inside_strings_do_not_count_as_nesting() -> None:
    """Hostile input: the nesting check skips strings, so patterns full of brackets still parse."""
    location = "/" + "[{" * MAX_DEPTH + '\\"' + "]}"
    tdm = parse_tdmrep_json(rules({"location": location, "tdm-reservation": 1}))
    assert [r.location for r in tdm.rules] == [location]


def test_tdmrep_unterminated_string_full_of_quotes_is_rejected() -> None:
    """Hostile input: an unterminated string of escaped quotes ends in ParseError."""
    with pytest.raises(ParseError):
        parse_tdmrep_json("[" * (MAX_DEPTH + 1) + '"' + '\\"' * 100_000)


@pytest.mark.parametrize("body", ['"rules"', "1", "null", "true", '"[]"'])
def test_tdmrep_top_level_not_an_array_is_no_file(body: str) -> None:
    """Hostile input / specs.md 1.3 A: a top level that is no array (nor rule) is not a file."""
    with pytest.raises(ParseError, match="not an array"):
        parse_tdmrep_json(body)


@pytest.mark.parametrize("body", [b"", b"   ", b"[", b"[{]", b"\xff\xfe\x00", b"{'a': 1}"])
def test_tdmrep_not_json_is_parse_error(body: bytes) -> None:
    """specs.md 1.7: a body that is not JSON => ParseError, which the caller reads as absent."""
    with pytest.raises(ParseError):
        parse_tdmrep_json(body)


def test_tdmrep_wrong_types_skip_only_their_rule() -> None:
    """Hostile input: rules of the wrong type are skipped, with their reason, in place."""
    tdm = parse_tdmrep_json(
        rules(
            ["/", 1],
            "/",
            None,
            {"location": 7, "tdm-reservation": 1},
            {"location": ["/"], "tdm-reservation": 1},
            {"location": "", "tdm-reservation": 1},
            {"location": "/ok", "tdm-reservation": 1},
        )
    )
    assert [(s.index, s.reason) for s in tdm.skipped] == [
        (1, "rule is an array, not an object"),
        (2, "rule is a string, not an object"),
        (3, "rule is null, not an object"),
        (4, "location is a number, not a string"),
        (5, "location is an array, not a string"),
        (6, "empty location"),
    ]
    assert [r.index for r in tdm.rules] == [7]


def test_tdmrep_policy_of_wrong_type_is_dropped_but_reservation_kept() -> None:
    """Hostile input: a non-string tdm-policy is ignored; the reservation stands."""
    (rule,) = parse_tdmrep_json(
        rules({"location": "/", "tdm-reservation": 1, "tdm-policy": {"u": POLICY}})
    ).rules
    assert (rule.reservation, rule.policy) == (1, None)
    assert "tdm-policy ignored" in rule.note


def test_tdmrep_location_without_leading_slash_is_rooted() -> None:
    """Hostile input: `articles/` cannot match any target as written; read as /articles/."""
    tdm = parse_tdmrep_json(rules({"location": "articles/", "tdm-reservation": 1}))
    assert tdm.lookup("/articles/a") is not None
    assert "leading '/'" in tdm.rules[0].note


@pytest.mark.parametrize("body", [b"\xef\xbb\xbf" + EXAMPLE_1.encode(), "\ufeff" + EXAMPLE_1])
def test_tdmrep_bom_is_tolerated(body: bytes | str) -> None:
    """Hostile input: a byte-order mark before the array is skipped."""
    assert len(parse_tdmrep_json(body).rules) == 3


def test_tdmrep_utf16_with_bom_is_decoded() -> None:
    """Hostile input: a UTF-16 file with its BOM is read too."""
    assert len(parse_tdmrep_json(EXAMPLE_1.encode("utf-16")).rules) == 3


def test_tdmrep_lookup_of_unparseable_url_answers() -> None:
    """Hostile input: a URL urlsplit rejects is matched by its path instead of raising."""
    tdm = parse_tdmrep_json(rules({"location": "/a", "tdm-reservation": 1}))
    assert tdm.lookup("http://[::1/a") is not None
    assert tdm.lookup("http://[::1/b") is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_tdmrep_any_bytes_raise_only_parse_error(body: bytes) -> None:
    """Hostile input: any bytes either parse or raise ParseError; what parses is rules and
    skipped rules, numbered in file order, and a lookup answers with one of the rules."""
    with contextlib.suppress(ParseError):
        tdm = parse_tdmrep_json(body)
        indexes = sorted([r.index for r in tdm.rules] + [s.index for s in tdm.skipped])
        assert indexes == sorted(set(indexes))
        found = tdm.lookup("/")
        assert found is None or found in tdm.rules


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["location", "tdm-reservation", "tdm-policy", "x"]), inner, max_size=4
        )
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(JSON, st.text(max_size=30))
def test_tdmrep_any_json_parses_or_raises_parse_error_and_lookup_never_raises(
    data: object, path: str
) -> None:
    """Hostile input: any JSON value, any URL: ParseError at most; lookups always answer."""
    try:
        tdm = parse_tdmrep_json(json.dumps(data), origin=ORIGIN)
    except ParseError:
        return
    rule = tdm.lookup("/" + path)
    assert rule is None or rule in tdm.rules
    skipped = tdm.skipped_matching("/" + path, rule.index if rule else None)
    assert all(s in tdm.skipped for s in skipped)
    evidence = list(
        SIGNAL.site_evidence(
            SiteFiles(ORIGIN, tdmrep=SiteFile(FileState.PARSED, FILE_URL, tdm)),
            ORIGIN + "/" + path,
            CONTEXT,
        )
    )
    # the first matching rule decides (spec 1.3A): its reservation is the only stance
    stances = [s for e in evidence for s in e.stances]
    if rule is None:
        assert stances == []
    else:
        expected = Stance.DISALLOWED if rule.reservation == 1 else Stance.ALLOWED
        assert stances == [(Purpose.TDM, expected)]
