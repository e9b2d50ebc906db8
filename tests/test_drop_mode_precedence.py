"""Drop mode keeps each family's own precedence: what the page may still lift is fetched.

TDMRep 1.4: a page's ``tdm-reservation`` header or meta supersedes ``tdmrep.json``. So a
reservation that rests only on ``tdmrep.json`` (``Evidence.overridable``) does not drop the request
before download: the page is fetched, decided with its own signals, and dropped after download if
still reserved. A reservation nothing on the page can lift (a robots.txt AI group, ai.txt, an
unreachable robots.txt) still drops the request before download. Real crawls, real server.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from optout_middleware.evaluate import builtin_signals
from optout_middleware.testing import make_response, make_site, verdict_for
from optout_middleware.verdict import Evidence, Purpose, Verdict, allows, disallows

from .conftest import crawl, crawl_test
from .site import JSON, TEXT, Site, html

if TYPE_CHECKING:
    from pathlib import Path

TDMREP_ALL = json.dumps([{"location": "/", "tdm-reservation": 1}]).encode()
META_0 = '<meta name="tdm-reservation" content="0">'


def tdm_site(
    **extra: tuple[int, dict[str, str], bytes],
) -> dict[str, tuple[int, dict[str, str], bytes]]:
    """tdmrep.json reserves everything; three pages: meta 0, header 0, and no page value."""
    return {
        "/.well-known/tdmrep.json": (200, JSON, TDMREP_ALL),
        "/meta-0": html(head=META_0),
        "/header-0": html(tdm_reservation="0"),
        "/plain": html(),
        **extra,
    }


# --- the verdict model --------------------------------------------------------------------


FILE_1 = Evidence(
    "tdmrep", "tdmrep.json", "1", disallows(Purpose.TDM), location="rule 1", overridable=True
)
AI_GROUP = Evidence("robotstxt", "robots.txt", "Disallow: /", disallows(Purpose.TRAIN_AI))


def test_reservation_resting_only_on_overridable_evidence_is_overridable() -> None:
    """Verdict.overridable: only overridable evidence reserves, so the page may still lift it."""
    verdict = Verdict(Purpose.TRAIN_AI, True, FILE_1, (FILE_1,))
    assert verdict.overridable


def test_reservation_with_firm_evidence_is_not_overridable() -> None:
    """Evidence that nothing on the page can lift keeps the reservation final before download."""
    verdict = Verdict(Purpose.TRAIN_AI, True, AI_GROUP, (FILE_1, AI_GROUP))
    assert not verdict.overridable


def test_unreserved_verdict_is_not_overridable() -> None:
    """Only a reservation can be deferred; an allow or silence has nothing to lift."""
    allow = Evidence("tdmrep", "tdmrep.json", "0", allows(Purpose.TDM), overridable=True)
    assert not Verdict(Purpose.TRAIN_AI, False, allow, (allow,)).overridable
    assert not Verdict(Purpose.TRAIN_AI, None).overridable


def test_overridable_survives_the_audit_round_trip() -> None:
    """The flag is part of the evidence's plain-JSON form (audit file, response.meta)."""
    assert Evidence.from_dict(FILE_1.to_dict()) == FILE_1
    assert FILE_1.to_dict()["overridable"] is True
    assert AI_GROUP.to_dict()["overridable"] is False


def test_only_tdmrep_json_is_overridable_among_builtin_site_families() -> None:
    """Each family's precedence rule: only TDMRep lets a page supersede its site file (1.4).
    aipref and Content-Signal combine most restrictively, robots.txt groups and ai.txt have no
    page-level counterpart, so their site evidence stays firm."""
    site = make_site(
        robots=(
            "User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nContent-Usage: train-ai=n\n"
            "Content-Signal: ai-train=no\nDisallowAITraining: /\n"
        ),
        tdmrep='[{"location": "/", "tdm-reservation": 1}]',
        aitxt="# Spawning AI\nUser-agent: *\nDisallow: /\n",
    )
    evidence = verdict_for(url="https://example.com/page", site=site).evidence
    families = {e.family for e in evidence if e.stances}
    assert families == {"robotstxt", "aipref", "content-signal", "tdmrep", "aitxt"}
    assert {e.family for e in evidence if e.overridable} == {"tdmrep"}
    assert {s.family for s in builtin_signals()} >= families


def test_page_level_tdm_value_supersedes_the_file_after_download() -> None:
    """TDMRep 1.4 in the verdict: file 1 + meta 0 is not reserved; file 1 alone is."""
    site = make_site(tdmrep='[{"location": "/", "tdm-reservation": 1}]')
    lifted = verdict_for(response=make_response(html=f"<head>{META_0}</head>"), site=site)
    kept = verdict_for(response=make_response(html="<p>x</p>"), site=site)
    assert lifted.reserved is False
    assert kept.reserved is True


# --- real crawls in drop mode ---------------------------------------------------------------


@crawl_test
async def test_drop_mode_keeps_pages_whose_own_tdm_value_lifts_the_file(tmp_path: Path) -> None:
    """tdmrep.json 1 with page-level 0 (meta and header): those pages and their items are kept;
    the page with no page-level value is fetched but never handed to the spider."""
    audit = tmp_path / "audit.jsonl"
    with Site(tdm_site()) as site:
        urls = [site.url(p) for p in ("/meta-0", "/header-0", "/plain")]
        result = await crawl(urls, OPTOUT_AUDIT_FILE=str(audit))
    assert result.urls() == sorted([site.url("/meta-0"), site.url("/header-0")])
    assert all(site.count(p) == 1 for p in ("/meta-0", "/header-0", "/plain"))
    assert result.stats["optout/request_deferred"] == 3
    assert result.stats["optout/deferred_lifted"] == 2
    assert result.stats["optout/response_dropped"] == 1
    assert "optout/request_dropped" not in result.stats
    lines = map(json.loads, audit.read_text().splitlines())
    records = {r["url"]: r for r in lines if r.get("type") != "crawl"}  # after the crawl header
    plain = records[site.url("/plain")]
    assert (plain["action"], plain["stage"]) == ("dropped", "response")
    assert "the page did not lift it" in plain["reason"]
    assert plain["decided_by"]["source"] == "tdmrep.json"
    lifted = records[site.url("/meta-0")]
    assert (lifted["action"], lifted["stage"], lifted["reserved"]) == ("passed", "response", False)
    assert "lifted it" in lifted["reason"]
    assert lifted["decided_by"]["source"] == "meta"


@crawl_test
async def test_drop_mode_page_without_page_value_is_not_handed_to_the_spider() -> None:
    """Absence never resets (TDMRep 1.4 step 5): the file's 1 stands, dropped after download."""
    with Site(tdm_site()) as site:
        result = await crawl([site.url("/plain")])
    assert site.count("/plain") == 1
    assert result.items == []
    (decision,) = result.decisions
    assert decision["action"] == "dropped"
    assert decision["response"] is not None


@crawl_test
async def test_drop_mode_robots_ai_group_reservation_is_never_requested() -> None:
    """A robots.txt AI group cannot be lifted by the page: dropped before download, even when
    the page would say tdm-reservation 0 and tdmrep.json reserves too."""
    robots = b"User-agent: GPTBot\nDisallow: /\n"
    with Site(tdm_site(**{"/robots.txt": (200, TEXT, robots)})) as site:
        result = await crawl([site.url("/meta-0"), site.url("/header-0")])
    assert "/meta-0" not in site.requested
    assert "/header-0" not in site.requested
    assert result.stats["optout/request_dropped"] == 2
    assert "optout/request_deferred" not in result.stats


@crawl_test
async def test_drop_mode_ai_txt_reservation_is_never_requested() -> None:
    """ai.txt has no page-level counterpart: its reservation drops before download."""
    aitxt = b"# Spawning AI\nUser-agent: *\nDisallow: /\n"
    with Site(tdm_site(**{"/ai.txt": (200, TEXT, aitxt)})) as site:
        result = await crawl([site.url("/meta-0")])
    assert "/meta-0" not in site.requested
    assert result.stats["optout/request_dropped"] == 1


@crawl_test
async def test_drop_mode_unreachable_robots_is_never_requested() -> None:
    """RFC 9309 complete disallow is firm: a page's tdm 0 cannot lift it."""
    with Site(tdm_site(**{"/robots.txt": (503, TEXT, b"down")})) as site:
        result = await crawl([site.url("/meta-0")])
    assert "/meta-0" not in site.requested
    assert result.stats["optout/request_dropped"] == 1


@crawl_test
async def test_drop_mode_page_value_1_under_file_0_is_dropped_after_download() -> None:
    """The other direction of 1.4: file 0, header 1 reserves that page, after download."""
    tdmrep = json.dumps([{"location": "/", "tdm-reservation": 0}]).encode()
    pages = {"/.well-known/tdmrep.json": (200, JSON, tdmrep), "/p": html(tdm_reservation="1")}
    with Site(pages) as site:
        result = await crawl([site.url("/p")])
    assert site.count("/p") == 1
    assert result.items == []
    assert result.stats["optout/response_dropped"] == 1
    assert "optout/request_deferred" not in result.stats


@crawl_test
async def test_tag_mode_defers_nothing() -> None:
    """Tag mode downloads everything anyway: no deferral is counted, the verdicts are the same."""
    with Site(tdm_site()) as site:
        urls = [site.url(p) for p in ("/meta-0", "/header-0", "/plain")]
        result = await crawl(urls, OPTOUT_ACTION="tag")
    assert "optout/request_deferred" not in result.stats
    reserved = {item["url"]: item["optout"]["reserved"] for item in result.items}
    assert reserved == {urls[0]: False, urls[1]: False, urls[2]: True}


@crawl_test
async def test_deferral_does_not_follow_a_redirect_to_an_unreserved_page() -> None:
    """A deferred request redirected elsewhere is decided afresh there: the new request's own
    site evidence, with no trace of the first request's deferral."""
    tdmrep = json.dumps([{"location": "/old", "tdm-reservation": 1}]).encode()
    pages = {
        "/.well-known/tdmrep.json": (200, JSON, tdmrep),
        "/old": (301, {"Location": "/new"}, b""),
        "/new": html(),
    }
    with Site(pages) as site:
        result = await crawl([site.url("/old")])
    assert result.urls() == [site.url("/new")]
    assert "optout/deferred_lifted" not in result.stats
