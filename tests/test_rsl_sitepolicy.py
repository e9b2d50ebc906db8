"""sitepolicy/rsl.py: status rules and lifetimes of RSL documents (rsl.md 2.7, 5.3, 6 #19-#22, #29)."""

from __future__ import annotations

import pytest

from optout_middleware.inputs import FileState, SiteFiles
from optout_middleware.sitepolicy import (
    FetchResult,
    RslDocumentStore,
    StoredFetch,
    read_rsl_document,
    retry_due,
)

URL = "https://news.example/license.xml"
DOC = (
    b'<rsl xmlns="https://rslstandard.org/rsl" max-age="2"><content url="/"><license>'
    b'<prohibits type="usage">ai-train</prohibits></license></content></rsl>'
)
DAY = 86_400.0


@pytest.mark.parametrize(
    ("result", "state", "error"),
    [
        (FetchResult(URL, 200, DOC, final_url=URL), FileState.PARSED, None),
        (FetchResult(URL, 404), FileState.ABSENT, "HTTP 404"),
        (FetchResult(URL, 410), FileState.ABSENT, "HTTP 410"),
        (FetchResult(URL, 503), FileState.UNREACHABLE, "HTTP 503"),
        (FetchResult(URL, None, error="DNSLookupError"), FileState.UNREACHABLE, "DNSLookupError"),
        (FetchResult(URL, 302, redirects=5), FileState.ABSENT, "too many redirects"),
        (FetchResult(URL, 200, b"{}"), FileState.ABSENT, "invalid RSL"),
        (FetchResult(URL, 200, DOC, truncated=True), FileState.ABSENT, "512 KiB"),
        (
            FetchResult(URL, 200, DOC, final_url="http://news.example/license.xml"),
            FileState.ABSENT,
            "https to http",
        ),
    ],
    ids=["200", "404", "410", "503", "network", "redirects", "not-rsl", "too-big", "downgrade"],
)
def test_rsl_document_status_rules(
    result: FetchResult, state: FileState, error: str | None
) -> None:
    document = read_rsl_document(result, now=0)
    assert document.state is state
    assert document.url == URL
    if error is None:
        assert document.error is None
    else:
        assert error in (document.error or "")


def test_rsl_document_any_content_type_is_read_by_namespace() -> None:
    """rsl.md 6 #20: processors identify RSL by namespace; the fetch result has no media type."""
    assert read_rsl_document(FetchResult(URL, 200, DOC), now=0).state is FileState.PARSED


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_rsl_store_keeps_a_document_for_its_max_age_capped_by_the_cache_ttl() -> None:
    clock = Clock()
    store = RslDocumentStore(cache_ttl=10 * DAY, retry=600, clock=clock)
    store.put(StoredFetch("rsl", URL, FetchResult(URL, 200, DOC), clock.now))
    clock.now += 2 * DAY - 1
    assert store.get(URL) is not None
    clock.now += 1
    assert store.get(URL) is None  # max-age="2" days
    capped = RslDocumentStore(cache_ttl=3600, retry=600, clock=clock)
    capped.put(StoredFetch("rsl", URL, FetchResult(URL, 200, DOC), clock.now))
    clock.now += 3600
    assert capped.get(URL) is None  # OPTOUT_CACHE_TTL_SECS caps max-age


def test_rsl_store_retries_an_unreadable_document_sooner() -> None:
    clock = Clock()
    store = RslDocumentStore(cache_ttl=DAY, retry=600, clock=clock)
    store.put(StoredFetch("rsl", URL, FetchResult(URL, 503), clock.now))
    clock.now += 599
    assert store.get(URL) is not None
    clock.now += 1
    assert store.get(URL) is None


def test_rsl_store_keeps_the_raw_fetch_for_a_shared_cache() -> None:
    store = RslDocumentStore()
    result = FetchResult(URL, 200, DOC, final_url=URL)
    store.put(StoredFetch("rsl", URL, result, 5.0))
    raw = store.raw(URL)
    assert raw is not None
    assert (raw.result.status, raw.result.body, raw.result.final_url, raw.fetched_at) == (
        200,
        DOC,
        URL,
        5.0,
    )


def test_rsl_store_keeps_the_same_stored_fetch_a_cluster_shares() -> None:
    """One record for "a fetch as observed": the shared cache's entry, kind "rsl", subject the
    document URL; it round-trips through the cluster's envelope and reads the same."""
    from optout_middleware import sitepolicy  # noqa: PLC0415
    from optout_middleware.sitepolicy import entries  # noqa: PLC0415

    assert sitepolicy.StoredFetch is entries.StoredFetch
    stored = StoredFetch("rsl", URL, FetchResult(URL, 200, DOC, final_url=URL), 5.0, "w1")
    shared = entries.decode_entry(
        entries.encode_entry(stored), kind="rsl", subject=URL, max_body=1024 * 1024
    )
    assert shared == stored
    store = RslDocumentStore()
    assert store.put(shared) == read_rsl_document(stored.result, now=5.0)
    assert store.raw(URL) is shared


def test_rsl_store_refuses_a_fetch_of_another_kind() -> None:
    with pytest.raises(ValueError, match="kind 'robots'"):
        RslDocumentStore().put(StoredFetch("robots", URL, FetchResult(URL, 200, DOC), 0))


def test_rsl_store_lifetime_is_max_age_capped_or_the_retry_delay() -> None:
    """What the cluster keeps a document for: the worker's own lifetime for it."""
    store = RslDocumentStore(cache_ttl=10 * DAY, retry=600)
    assert store.lifetime(StoredFetch("rsl", URL, FetchResult(URL, 200, DOC), 0)) == 2 * DAY
    assert store.lifetime(StoredFetch("rsl", URL, FetchResult(URL, 404), 0)) == 600
    assert store.lifetime(StoredFetch("rsl", URL, FetchResult(URL, 200, b"<x/>"), 0)) == 600
    capped = RslDocumentStore(cache_ttl=3600, retry=600)
    assert capped.lifetime(StoredFetch("rsl", URL, FetchResult(URL, 200, DOC), 0)) == 3600


def test_rsl_store_is_bounded() -> None:
    store = RslDocumentStore(max_entries=2)
    for i in range(3):
        store.put(StoredFetch("rsl", f"{URL}?{i}", FetchResult(f"{URL}?{i}", 404), 0))
    assert len(store) == 2
    assert store.get(f"{URL}?0") is None


def test_rsl_29_cached_site_with_an_expired_document_is_fetched_again() -> None:
    """rsl.md 6 #29: the origin is refetched (robots.txt and its License: documents)."""
    read = read_rsl_document(FetchResult(URL, 200, DOC), now=0)
    site = SiteFiles(origin="https://news.example:443", rsl=(read,))
    assert not retry_due(site, now=2 * DAY - 1, after_secs=600)
    assert retry_due(site, now=2 * DAY, after_secs=600)


def test_rsl_unreadable_document_makes_the_cached_site_due_after_the_retry_delay() -> None:
    gone = read_rsl_document(FetchResult(URL, 404), now=0)
    site = SiteFiles(origin="https://news.example:443", rsl=(gone,))
    assert not retry_due(site, now=599, after_secs=600)
    assert retry_due(site, now=600, after_secs=600)
