"""The path index in the evaluator (pathclasses.py): after an origin's first URLs, one index
lookup names a URL's path class, and the verdicts stay those of the plain per-rule evaluation.

Each test names a rule of the site decision: which URLs must stay apart (the /robots.txt
exemption), when the families' own keys are used (an origin's first URLs, a subclass that
changes the evidence, files over the index's bounds), and how a family without a key for a URL
(RSL with licence documents, a custom parser) keeps the families before it shared.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optout_middleware.evaluate import Evaluator, builtin_signals
from optout_middleware.formats.pathindex import MAX_TRIED
from optout_middleware.inputs import Context, SiteFiles
from optout_middleware.pathclasses import INDEX_AFTER_URLS
from optout_middleware.signals.robotsai import RobotsSignal
from optout_middleware.sitepolicy import FetchResult, read_rsl_document
from optout_middleware.testing import make_site
from optout_middleware.verdict import Evidence, Purpose, disallows

from .test_sitedecision import ORIGIN, PATHS, _CountingRobots, _NoKey, _plain

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable

    from optout_middleware.pathclasses import SiteClasses


def _classes(evaluator: Evaluator, site: SiteFiles) -> SiteClasses:
    return evaluator._decisions[id(site)]


@pytest.mark.parametrize("families", [["robotstxt"], ["aipref"], None])
def test_the_robots_txt_url_is_a_class_of_its_own(families: list[str] | None) -> None:
    """RFC 9309 2.2.2: /robots.txt is always crawlable, so a "Disallow: /" that makes every
    other URL uncrawlable (aipref attaches nothing to those) or refuses an AI token leaves
    it out: it must not share the verdict of /c, which only "/" matches too."""
    robots = "User-agent: *\nUser-agent: GPTBot\nDisallow: /\nContent-Usage: train-ai=n\n"
    site = make_site(ORIGIN + "/", robots=robots)
    evaluator = Evaluator("train-ai", Context(user_agent="OurBot"), builtin_signals(families))
    paths = ["/a", "/b", "/c", "/d", "/c", "/robots.txt", "/robots.txt?x=1", "/robots.txtx"]
    for path in paths:
        url = ORIGIN + path
        assert evaluator.before_download(url, site) == _plain(evaluator, url, site), path
    assert _classes(evaluator, site)._index is not None
    plain = [_plain(evaluator, ORIGIN + p, site) for p in ("/c", "/robots.txt")]
    assert plain[0] != plain[1]  # the case the index must split


def test_after_the_first_urls_the_index_decides_and_no_family_is_asked_for_a_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An origin's first INDEX_AFTER_URLS - 1 URLs use the families' own keys; from then on
    one index lookup: the families' site_key is not called again."""
    site = make_site(ORIGIN + "/", robots="User-agent: GPTBot\nDisallow: /a\nAllow: /*.jpg$\n")
    calls = []
    site_key = RobotsSignal.site_key
    monkeypatch.setattr(
        RobotsSignal, "site_key", lambda *args: calls.append(args[2]) or site_key(*args)
    )
    evaluator = Evaluator("train-ai", Context(), [RobotsSignal()])
    urls = [ORIGIN + p for p in PATHS]
    for url in urls:
        assert evaluator.before_download(url, site) == _plain(evaluator, url, site), url
    assert calls == urls[: INDEX_AFTER_URLS - 1]
    assert _classes(evaluator, site)._index is not None
    assert evaluator.before_download(ORIGIN + "/a/x", site).reserved is True
    assert evaluator.before_download(ORIGIN + "/a/x.jpg", site).reserved is None


class _OwnEvidence(RobotsSignal):
    """Changes what the evidence depends on (a path the inherited site_tests does not state)."""

    def site_evidence(self, site: SiteFiles, url: str, context: Context) -> Iterable[Evidence]:
        if "/secret" in url:
            return (Evidence("robotstxt", "custom", url, disallows(Purpose.TRAIN_AI)),)
        return super().site_evidence(site, url, context)

    def site_key(self, site: SiteFiles, url: str, context: Context) -> Hashable | None:
        return ("/secret" in url, super().site_key(site, url, context))


def test_a_subclass_that_overrides_site_evidence_keeps_its_own_key() -> None:
    """The inherited site_tests speak for the parent's evidence only: not used for it."""
    site = make_site(ORIGIN + "/", robots="User-agent: GPTBot\nDisallow: /a\n")
    evaluator = Evaluator("train-ai", Context(), [_OwnEvidence()])
    for path in ["/b", "/c", "/d", "/e", "/b/secret", "/a/secret", "/b"]:
        url = ORIGIN + path
        assert evaluator.before_download(url, site) == _plain(evaluator, url, site), path
    assert evaluator.before_download(ORIGIN + "/b/secret", site).reserved is True


_RSL_DOC = (
    '<rsl xmlns="https://rslstandard.org/rsl"><content url="/news/"><license>'
    '<prohibits type="usage">ai-train</prohibits></license></content></rsl>'
)


def test_an_rsl_origin_shares_the_verdict_of_the_families_before_rsl() -> None:
    """RSL names no path class (its <content> URLs are not robots patterns): it alone is
    asked per URL, and the families before it still share one verdict per class."""
    doc_url = ORIGIN + "/rsl.xml"
    robots = f"License: {doc_url}\nUser-agent: GPTBot\nDisallow: /a\n"
    document = read_rsl_document(FetchResult(doc_url, 200, _RSL_DOC.encode(), final_url=doc_url))
    site = replace(make_site(ORIGIN + "/", robots=robots), rsl=(document,))
    robots_signal = _CountingRobots()
    evaluator = Evaluator("train-genai", Context(), [robots_signal, *builtin_signals()[1:]])
    paths = ["/a/1", "/news/1", "/b", "/a/2", "/news/2", "/a/3", "/b/2", "/news/3"]
    for path in paths:
        expected = _plain(evaluator, ORIGIN + path, site)
        robots_signal.calls = 0
        assert evaluator.before_download(ORIGIN + path, site) == expected, path
    robots_signal.calls = 0
    verdicts = [evaluator.before_download(ORIGIN + p, site) for p in paths]
    assert robots_signal.calls == 0  # shared per class, RSL's evidence added per URL
    assert [v.reserved for v in verdicts] == [True, True, None, True, True, True, None, True]


class _SometimesKeyed(_NoKey):
    family = "custom-sometimes"

    def site_key(self, site: SiteFiles, url: str, context: Context) -> Hashable | None:
        return None if url.endswith("/secret") else ()


def test_a_family_without_a_key_for_some_urls_keeps_those_before_it_shared() -> None:
    site = make_site(ORIGIN + "/", robots="User-agent: GPTBot\nDisallow: /a\n")
    robots, custom = _CountingRobots(), _SometimesKeyed()
    evaluator = Evaluator("train-ai", Context(), [robots, custom])
    paths = ["/a/1", "/b", "/c", "/a/secret", "/b/secret", "/a/2", "/b/2"]
    for path in paths:
        assert evaluator.before_download(ORIGIN + path, site) == _plain(
            evaluator, ORIGIN + path, site
        )
    robots.calls = custom.calls = 0
    for path in paths:
        evaluator.before_download(ORIGIN + path, site)
    assert robots.calls == 0
    assert custom.calls == 2  # the two URLs it has no key for; the others share its ()


_WORDS = ["a", "b", "news", "x.jpg", "p.html", "?q=", "%2F", "A"]


def _many_rules(seed: int, count: int, wildcard_share: float) -> str:
    """A robots.txt whose GPTBot and our groups have ``count`` rules in all."""
    rng = random.Random(seed)  # noqa: S311  (test data)
    lines = ["User-agent: GPTBot", "User-agent: OurBot", "Content-Usage: /a train-ai=n"]
    for i in range(count):
        path = "/" + "/".join(rng.choice(_WORDS) for _ in range(rng.randint(0, 3)))
        if rng.random() < wildcard_share:
            path = path[: rng.randint(1, len(path))] + "*" + rng.choice(_WORDS)
            path += "$" if rng.random() < 0.3 else ""
        verb = "Allow" if rng.random() < 0.3 else "Disallow"
        lines.append(f"{verb}: {path}{i % 7 if rng.random() < 0.2 else ''}")
        if rng.random() < 0.1:
            lines.append(f"DisallowAITraining: {path}")
    return "\n".join(lines) + "\n"


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    count=st.sampled_from([60, 400, 1400]),
    wildcard_share=st.sampled_from([0.0, 0.3, 0.8]),
    paths=st.lists(
        st.lists(st.sampled_from([*_WORDS, "c", "1", "3"]), max_size=5).map(
            lambda p: "/" + "/".join(p)
        ),
        min_size=8,
        max_size=40,
    ),
)
def test_files_with_many_patterns_keep_their_verdicts_with_or_without_the_index(
    seed: int, count: int, wildcard_share: float, paths: list[str]
) -> None:
    """Files over the index's bounds (MAX_TRIED patterns with "*" or "$") fall back to the
    families' own keys; under them the index decides. Either way: the per-rule verdict."""
    site = make_site(ORIGIN + "/", robots=_many_rules(seed, count, wildcard_share))
    evaluator = Evaluator("train-ai", Context(user_agent="OurBot"), builtin_signals())
    for path in paths + paths[::-1]:
        url = ORIGIN + path
        assert evaluator.before_download(url, site) == _plain(evaluator, url, site), url
    index = _classes(evaluator, site)._index
    if wildcard_share == 0.0 or count * wildcard_share < MAX_TRIED / 2:
        assert index is not None
    elif count * wildcard_share > 2 * MAX_TRIED:
        assert index is None
