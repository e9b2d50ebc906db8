"""sitepolicy: origin keys, site-file status rules, size caps, and the LRU/TTL policy cache."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optout_middleware.inputs import FileState, SiteFile, SiteFiles
from optout_middleware.sitepolicy import (
    MAX_REDIRECTS,
    SITE_FILE_PATHS,
    SIZE_CAPS,
    TOO_MANY_REDIRECTS,
    UNREACHABLE_RETRY_SECS,
    FetchResult,
    LruPolicyCache,
    build_site_files,
    origin_of,
    origin_or_none,
    read_site_file,
    retry_due,
    site_file_url,
)

KINDS = tuple(SITE_FILE_PATHS)
TDMREP_RESERVED = json.dumps([{"location": "/", "tdm-reservation": 1}]).encode()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fetched(kind: str, status: int | None, body: bytes = b"", **kw: object) -> SiteFile[object]:
    url = site_file_url("https://example.com:443", kind)
    return read_site_file(kind, FetchResult(url, status, body, **kw), now=123.0)  # type: ignore[arg-type]


# --- origin keys -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://example.com/a", "http://example.com:80"),
        ("https://example.com/a?b#c", "https://example.com:443"),
        ("https://example.com:443/", "https://example.com:443"),
        ("http://example.com:80", "http://example.com:80"),
    ],
)
def test_origin_key_spells_out_default_port(url: str, key: str) -> None:
    """RFC 6454 origin: an implicit and an explicit default port are one origin."""
    assert origin_of(url) == key


def test_origin_key_keeps_non_default_port() -> None:
    """RFC 9309 2.3: robots.txt belongs to scheme, host and port; :8080 is another site."""
    assert origin_of("http://example.com:8080/x") == "http://example.com:8080"
    assert origin_of("http://example.com:8080/x") != origin_of("http://example.com/x")


def test_origin_key_separates_schemes() -> None:
    """RFC 9309 2.3: http and https are different origins (Scrapy keys by netloc only)."""
    assert origin_of("http://example.com/") != origin_of("https://example.com/")


def test_origin_key_lower_cases_host_and_scheme() -> None:
    """Host names compare case-insensitively (RFC 3986 3.2.2)."""
    assert origin_of("HTTPS://Example.COM/Path") == "https://example.com:443"


def test_origin_key_idna_encodes_unicode_host() -> None:
    """A Unicode host and its punycode form are one origin, encoded as w3lib encodes it."""
    assert origin_of("https://Bücher.example/") == "https://xn--bcher-kva.example:443"
    assert origin_of("https://xn--bcher-kva.example/") == origin_of("https://bücher.example/")


def test_origin_key_drops_userinfo() -> None:
    """Credentials are not part of the origin."""
    assert origin_of("https://user:pw@example.com/") == "https://example.com:443"


def test_origin_key_brackets_ipv6() -> None:
    """An IPv6 literal keeps its brackets so the port stays unambiguous."""
    assert origin_of("http://[::1]:8080/") == "http://[::1]:8080"
    assert origin_of("http://[::1]/") == "http://[::1]:80"


@pytest.mark.parametrize(
    "url", ["/relative/path", "example.com/x", "mailto:a@example.com", "http://h:99999/", "x://h/"]
)
def test_origin_key_rejects_urls_without_origin(url: str) -> None:
    """No host, a bad port, or an unknown scheme without a port: ValueError, not a wrong key."""
    with pytest.raises(ValueError, match=r"."):
        origin_of(url)


def test_site_file_url_omits_default_port() -> None:
    """Site files are requested at /robots.txt, /ai.txt, /.well-known/tdmrep.json of the origin."""
    assert site_file_url("https://example.com:443", "robots") == "https://example.com/robots.txt"
    assert site_file_url("http://example.com:80", "aitxt") == "http://example.com/ai.txt"
    assert (
        site_file_url("http://127.0.0.1:8080", "tdmrep")
        == "http://127.0.0.1:8080/.well-known/tdmrep.json"
    )


def test_site_file_url_round_trips_ipv6_origin() -> None:
    """The origin key of a site file URL is the origin it was built from."""
    origin = origin_of("http://[::1]:8080/page")
    assert origin_of(site_file_url(origin, "robots")) == origin


def test_site_file_url_rejects_unknown_kind() -> None:
    """Only the three site files exist."""
    with pytest.raises(ValueError, match="unknown site file kind"):
        site_file_url("https://example.com:443", "llms")


# --- status rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 451])
def test_4xx_site_file_is_absent(kind: str, status: int) -> None:
    """specs.md 6.1 / RFC 9309 2.3.1.3: 4xx is "unavailable", any resource may be accessed."""
    site_file = fetched(kind, status, b"User-agent: *\nDisallow: /\n")
    assert site_file.state is FileState.ABSENT
    assert site_file.parsed is None  # a 4xx body that looks like rules is not applied


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [500, 502, 503, 504, 599])
def test_5xx_site_file_is_unreachable(kind: str, status: int) -> None:
    """specs.md 6.1 / RFC 9309 2.3.1.4: 5xx is "unreachable" (complete disallow for robots)."""
    site_file = fetched(kind, status, b"<html>Service unavailable</html>")
    assert site_file.state is FileState.UNREACHABLE
    assert site_file.error == f"HTTP {status}"


@pytest.mark.parametrize("kind", KINDS)
def test_network_error_is_unreachable(kind: str) -> None:
    """specs.md 6.1: a network error (no status) is "unreachable", with the error kept."""
    site_file = fetched(kind, None, error="connection refused")
    assert site_file.state is FileState.UNREACHABLE
    assert site_file.error == "connection refused"
    assert site_file.status is None
    assert site_file.sha256 is None


def test_robots_429_is_unreachable() -> None:
    """specs.md 6.1 (Google): 429 on robots.txt is treated like 5xx."""
    assert fetched("robots", 429).state is FileState.UNREACHABLE


@pytest.mark.parametrize("kind", ["tdmrep", "aitxt"])
def test_429_on_other_site_files_is_absent(kind: str) -> None:
    """Contract: tdmrep.json and ai.txt treat every 4xx, 429 included, as no file."""
    assert fetched(kind, 429).state is FileState.ABSENT


@pytest.mark.parametrize("kind", KINDS)
def test_too_many_redirects_is_absent(kind: str) -> None:
    """specs.md 6.1 / RFC 9309 2.3.1.2: more than five hops MAY be unavailable (Google: 404)."""
    site_file = fetched(kind, 301, redirects=MAX_REDIRECTS)
    assert site_file.state is FileState.ABSENT
    assert site_file.error == TOO_MANY_REDIRECTS


@pytest.mark.parametrize("kind", KINDS)
def test_unexpected_status_is_unreachable(kind: str) -> None:
    """A status no server should send as final (1xx) is not a readable answer."""
    assert fetched(kind, 101).state is FileState.UNREACHABLE


def test_site_file_records_url_status_time_and_digest() -> None:
    """Audit trail: the URL first requested, status, fetch time and the body's sha256."""
    body = b"[]"
    site_file = fetched("tdmrep", 200, body)
    assert site_file.url == "https://example.com/.well-known/tdmrep.json"
    assert site_file.status == 200
    assert site_file.fetched_at == 123.0
    assert site_file.sha256 == hashlib.sha256(body).hexdigest()


def test_robots_2xx_is_parsed() -> None:
    """specs.md 6.1 / RFC 9309 2.3.1.1: a 2xx robots.txt is parsed and its rules followed."""
    site_file = fetched("robots", 200, b"User-agent: *\nDisallow: /private\n")
    assert site_file.state is FileState.PARSED
    robots = site_file.parsed
    assert robots is not None
    assert not robots.allowed("https://example.com/private/x", "AnyBot")  # type: ignore[attr-defined]
    assert robots.allowed("https://example.com/public", "AnyBot")  # type: ignore[attr-defined]


def test_aitxt_2xx_is_parsed() -> None:
    """specs.md 4.4: a 2xx ai.txt is read (its Spawning format is the parser's business)."""
    site_file = fetched("aitxt", 200, b"# Spawning AI\nUser-agent: *\nDisallow: /\n")
    assert site_file.state is FileState.PARSED
    assert site_file.parsed is not None


def test_truncated_robots_drops_partial_last_line() -> None:
    """RFC 9309 2.5 (as Google): read up to the cap; a line cut by the cap is not applied.

    A cut ``Allow: /private-but-this-part-is-open`` would read as ``Allow: /priv`` and open far
    more than the publisher did.
    """
    head = b"User-agent: *\nDisallow: /\n"
    cut_line = b"Allow: /private-but-this-part-is-open\n"
    pad = b"#" * (SIZE_CAPS["robots"] - len(head) - 12) + b"\n"
    body = head + pad + cut_line
    assert len(head + pad) < SIZE_CAPS["robots"] < len(body)
    site_file = fetched("robots", 200, body)
    robots = site_file.parsed
    assert robots is not None
    assert site_file.error == f"read the first {SIZE_CAPS['robots']} bytes only"
    assert not robots.allowed("https://example.com/priv", "AnyBot")  # type: ignore[attr-defined]


def test_tdmrep_2xx_is_parsed() -> None:
    """specs.md 1.3A: a 2xx tdmrep.json is read as rules."""
    site_file = fetched("tdmrep", 200, TDMREP_RESERVED)
    assert site_file.state is FileState.PARSED
    assert site_file.parsed is not None


def test_tdmrep_2xx_not_json_is_absent_with_error() -> None:
    """specs.md 1.3A: a body that is not a TDMRep file means the origin does not implement it."""
    site_file = fetched("tdmrep", 200, b"<html>home page</html>")
    assert site_file.state is FileState.ABSENT
    assert site_file.error
    assert "JSON" in site_file.error


def test_tdmrep_absolute_locations_resolve_against_file_origin() -> None:
    """specs.md 1.7: the parser is given the site file's own origin."""
    body = json.dumps([{"location": "https://example.com/x", "tdm-reservation": 1}]).encode()
    site_file = fetched("tdmrep", 200, body)
    assert site_file.parsed is not None
    assert site_file.parsed.lookup("https://example.com/x/y") is not None  # type: ignore[attr-defined]


# --- size caps -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_body_is_cut_at_size_cap(kind: str) -> None:
    """specs.md 6.1 (RFC 9309 2.5): read at most the cap; the digest covers what was read."""
    cap = SIZE_CAPS[kind]
    site_file = fetched(kind, 404, b"x" * (cap + 10))
    assert site_file.sha256 == hashlib.sha256(b"x" * cap).hexdigest()


def test_size_caps_meet_rfc9309_floor() -> None:
    """RFC 9309 2.5: the robots.txt parsing limit MUST be at least 500 KiB."""
    assert SIZE_CAPS["robots"] >= 500 * 1024


def test_truncated_tdmrep_is_absent_and_says_why() -> None:
    """A JSON file cut at the cap cannot be read: no policy, and the note says it was cut."""
    body = b"[" + b" " * SIZE_CAPS["tdmrep"] + b"]"
    site_file = fetched("tdmrep", 200, body)
    assert site_file.state is FileState.ABSENT
    assert site_file.error
    assert f"first {SIZE_CAPS['tdmrep']} bytes" in site_file.error


def test_parser_crash_fails_robots_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A robots.txt we could not read is treated as unreachable (complete disallow), not allow-all."""

    def boom(body: bytes) -> object:
        raise RuntimeError("bug")

    monkeypatch.setattr("optout_middleware.sitepolicy.rules.parse_robotstxt", boom)
    site_file = fetched("robots", 200, b"User-agent: *\n")
    assert site_file.state is FileState.UNREACHABLE
    assert site_file.error
    assert "parser error" in site_file.error


def test_read_site_file_rejects_unknown_kind() -> None:
    """Only the three site files exist."""
    with pytest.raises(ValueError, match="unknown site file kind"):
        read_site_file("llms", FetchResult("https://e.com/llms.txt", 200))


# --- build_site_files ------------------------------------------------------------------------


def test_build_site_files_leaves_missing_kinds_not_fetched() -> None:
    """Contract: kinds not fetched (family switched off) stay NOT_FETCHED."""
    tdmrep = fetched("tdmrep", 404)
    site = build_site_files("https://example.com:443", {"tdmrep": tdmrep})
    assert site.origin == "https://example.com:443"
    assert site.tdmrep is tdmrep
    assert site.robots.state is FileState.NOT_FETCHED
    assert site.aitxt.state is FileState.NOT_FETCHED


def test_build_site_files_rejects_unknown_kind() -> None:
    """A typo in a kind is a bug in the caller, not a silently missing file."""
    with pytest.raises(ValueError, match="robot"):
        build_site_files("https://example.com:443", {"robot": SiteFile()})


# --- cache -----------------------------------------------------------------------------------


def site_for(origin: str) -> SiteFiles:
    return SiteFiles(origin=origin)


def test_cache_returns_what_was_put() -> None:
    """An entry is served until it expires."""
    cache = LruPolicyCache(clock=FakeClock())
    site = site_for("https://a:443")
    cache.put("https://a:443", site)
    assert cache.get("https://a:443") is site
    assert cache.get("https://b:443") is None


def test_cache_entry_expires_after_ttl() -> None:
    """RFC 9309 2.4: SHOULD NOT use a cached robots.txt for more than 24 hours (the TTL)."""
    clock = FakeClock()
    cache = LruPolicyCache(ttl_secs=60, clock=clock)
    cache.put("https://a:443", site_for("https://a:443"))
    clock.now += 59.9
    assert cache.get("https://a:443") is not None
    clock.now += 0.1
    assert cache.get("https://a:443") is None
    assert len(cache) == 0  # expired entries are dropped, not kept


def test_cache_put_restarts_ttl() -> None:
    """A refetched origin is fresh again."""
    clock = FakeClock()
    cache = LruPolicyCache(ttl_secs=60, clock=clock)
    cache.put("https://a:443", site_for("https://a:443"))
    clock.now += 50
    cache.put("https://a:443", site_for("https://a:443"))
    clock.now += 50
    assert cache.get("https://a:443") is not None


def test_cache_evicts_least_recently_used_origin() -> None:
    """Bounded by origins: when full, the origin used longest ago goes first."""
    cache = LruPolicyCache(max_origins=2, clock=FakeClock())
    cache.put("a", site_for("a"))
    cache.put("b", site_for("b"))
    assert cache.get("a") is not None  # a is now more recent than b
    cache.put("c", site_for("c"))
    assert len(cache) == 2
    assert "b" not in cache
    assert cache.get("a") is not None
    assert cache.get("c") is not None


def test_cache_default_ttl_is_24_hours() -> None:
    """RFC 9309 2.4: 24 hours at most by default."""
    assert LruPolicyCache().ttl_secs == 86_400


@pytest.mark.parametrize(("size", "ttl"), [(0, 10), (1, 0), (1, -1)])
def test_cache_rejects_useless_bounds(size: int, ttl: float) -> None:
    """A cache that can hold nothing, or nothing for any time, is a configuration error."""
    with pytest.raises(ValueError, match="must be"):
        LruPolicyCache(max_origins=size, ttl_secs=ttl)


# --- retrying unreachable files --------------------------------------------------------------


def test_unreachable_file_is_retried_before_the_ttl() -> None:
    """RFC 9309 2.3.1.4 fails closed; a transient 503 must not shut an origin out for the TTL."""
    robots = fetched("robots", 503)  # fetched_at 123.0
    site = build_site_files("https://example.com:443", {"robots": robots})
    assert not retry_due(site, now=123.0 + UNREACHABLE_RETRY_SECS - 1)
    assert retry_due(site, now=123.0 + UNREACHABLE_RETRY_SECS)


def test_parsed_and_absent_files_wait_for_the_ttl() -> None:
    """Only unreachable files are asked for again early."""
    site = build_site_files(
        "https://example.com:443",
        {"robots": fetched("robots", 404), "tdmrep": fetched("tdmrep", 200, b"[]")},
    )
    assert not retry_due(site, now=10**9)


_URL_PARTS = st.sampled_from(
    ["http://", "https://", "HTTP://", " http://", "ftp://", "http:/", "//", ""]
)
_AUTHORITIES = st.sampled_from(
    ["a.example", "A.Example", "a.example:8080", "a.example:99999", "u:p@a.example", "[::1]:81",
     "a.example:x", "xn--bcher-kva.example", "bücher.example", ""]
)  # fmt: skip
_RESTS = st.sampled_from(["", "/", "/p/q", "?q=/x", "#f/g", "/p ", " ", "/a/b/c?d#e", "\\x/y"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_URL_PARTS, _AUTHORITIES, _RESTS), min_size=1, max_size=8))
def test_origin_or_none_answers_what_origin_of_answers_whatever_it_remembered(
    urls: list[tuple[str, str, str]],
) -> None:
    """The memo is keyed by the URL up to its third "/": URLs that share that prefix must share
    their origin, in any order of calls (a wrong key would answer for another site)."""
    for parts in urls:
        url = "".join(parts)
        try:
            expected: str | None = origin_of(url)
        except ValueError:
            expected = None
        assert origin_or_none(url) == expected, url
