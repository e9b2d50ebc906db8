"""The site decision per origin and path class (Evaluator + SignalParser.site_key) against the
plain per-rule evaluation: the same verdict, evidence for evidence, on generated inputs.

The plain path is ``combine(purpose, evaluator.site_evidence(url, site))``: every family's
``site_evidence`` for that URL, combined. The decided path asks each family for its key and
reuses the verdict combined for the first URL of the class. Any family whose key misses a
rule that its evidence depends on makes these tests fail.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optout_middleware.evaluate import Evaluator, builtin_signals
from optout_middleware.inputs import Context, ResponseView, SiteFiles
from optout_middleware.plugin import SignalParser
from optout_middleware.signals.robotsai import RobotsSignal
from optout_middleware.testing import make_response, make_site
from optout_middleware.verdict import Evidence, Purpose, combine, disallows

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable

ORIGIN = "https://example.com"
AGENTS = ["GPTBot", "CCBot", "ClaudeBot", "Google-Extended", "*", "OurBot", "Googlebot"]
SEGMENTS = ["/", "/a", "/a/", "/b", "/ab", "/a/b", "/x.jpg", "/p.html", "/private"]
# Wildcards of every shape the path index tries (formats/pathindex.py), "$", percent-encoding,
# case and queries: the index must split the URLs exactly where a family's rules do.
PATTERNS = [*SEGMENTS, "", "*", "/*", "/a*", "/*.jpg", "/*.jpg$", "/a$", "/*b", "/a?q", "/%61",
            "/*?*q=", "/a/*/b", "/*b$", "/A", "/%7Ea", "/~a", "/a%2Fb", "/a%2fb", "/*.JPG$",
            "/a*b*c$", "/p.html$", "/private/*", "/robots.txt", "/*?", "/ä"]  # fmt: skip
PATHS = ["/", "/a", "/a/", "/a/b", "/ab", "/b", "/x.jpg", "/X.JPG", "/a/x.jpg", "/p.html",
         "/private", "/private/x", "/a?q=1", "/robots.txt", "/%61/b", "/c", "/A", "/~a/x",
         "/%7ea", "/a%2Fb", "/a%2fb/c", "/a/b/c", "/x.jpg?q=1", "/a?b=1&q=2", "/a?q=", "/a/x/b",
         "/abc", "/P.HTML", "/x.tar.gz", "/robots.txt?x", "/%C3%A4", "/ä/x", "/a?"]  # fmt: skip

_pattern = st.sampled_from(PATTERNS)
_usage = st.sampled_from(["train-ai=n", "train-ai=y", "ai-use=n, search=y", "bots=n", "x=y"])
_signal = st.sampled_from(["ai-train=no", "search=yes, ai-train=yes", "ai-input=no", "use=full"])
_line = st.one_of(
    st.tuples(st.sampled_from(["Allow", "Disallow"]), _pattern).map(lambda t: f"{t[0]}: {t[1]}"),
    st.tuples(st.sampled_from(["", "/a ", "/b ", "/a/b ", "/ "]), _usage).map(
        lambda t: f"Content-Usage: {t[0]}{t[1]}"
    ),
    _signal.map(lambda v: f"Content-Signal: {v}"),
    st.tuples(st.sampled_from(["DisallowAITraining", "AllowAITraining"]), _pattern).map(
        lambda t: f"{t[0]}: {t[1]}"
    ),
)
_group = st.tuples(
    st.lists(st.sampled_from(AGENTS), min_size=1, max_size=3), st.lists(_line, max_size=6)
).map(lambda g: "\n".join([*(f"User-agent: {a}" for a in g[0]), *g[1]]))
_robots = st.tuples(st.lists(_line, max_size=2), st.lists(_group, max_size=5)).map(
    lambda t: "\n".join([*t[0], *t[1]]) + "\n"
)
_tdm_rule = st.one_of(
    st.fixed_dictionaries(
        {"location": _pattern, "tdm-reservation": st.sampled_from([0, 1, "1", 2])},
        optional={"tdm-policy": st.sampled_from(["/policy.json", "https://p.example/x"])},
    ),
    st.fixed_dictionaries({"location": _pattern}),  # invalid: skipped, the search goes on
    st.fixed_dictionaries({"location": st.sampled_from([3, "", None])}),  # invalid location
)
_tdmrep = st.lists(_tdm_rule, max_size=5).map(json.dumps)
_aitxt_line = st.tuples(
    st.sampled_from(["Allow", "Disallow"]),
    st.sampled_from(
        [
            *("*", "/", "*.jpg", "*.JPG$", "*.html", "/a", "/a*", "/ab", "/*b", ""),
            *("*.tar.gz", "/a$", "/*?*q=", "*.Jpg"),
        ]
    ),
).map(lambda t: f"{t[0]}: {t[1]}")
_aitxt = st.tuples(
    st.lists(st.sampled_from(["*", "OurBot", "GPTBot"]), min_size=1, max_size=2),
    st.lists(_aitxt_line, max_size=6),
).map(lambda t: "\n".join([*(f"User-agent: {a}" for a in t[0]), *t[1]]) + "\n")


def _file(body: st.SearchStrategy[str]) -> st.SearchStrategy[object]:
    """A site file: absent (not fetched), a 200 body, a 404, a 503 or a network failure."""
    return st.one_of(st.none(), body, body, body, st.sampled_from([404, 503, 0]))


_sites = st.builds(
    lambda robots, tdmrep, aitxt: make_site(
        ORIGIN + "/", robots=robots, tdmrep=tdmrep, aitxt=aitxt
    ),
    _file(_robots),
    _file(_tdmrep),
    _file(_aitxt),
)
_urls = st.lists(st.sampled_from(PATHS), min_size=1, max_size=30)
_contexts = st.sampled_from(
    [
        Context(user_agent="OurBot"),
        Context(user_agent="GPTBot", wildcard_group_signals=False),
        Context(user_agent="OurBot", robots_unreachable_reserves=False),
    ]
)
_purposes = st.sampled_from(list(Purpose))


def _plain(evaluator: Evaluator, url: str, site: SiteFiles) -> object:
    return combine(evaluator.purpose, evaluator.site_evidence(url, site))


# Every family alone as well as all together: in the shared index one family's patterns can
# hide another's missing one, so each family's stated tests are checked on their own too.
_families = st.sampled_from([None, ["robotstxt"], ["aipref"], ["tdmrep"], ["aitxt"]])


@settings(max_examples=800, deadline=None)
@given(site=_sites, paths=_urls, context=_contexts, purpose=_purposes, families=_families)
def test_path_class_verdict_equals_per_rule_evaluation(
    site: SiteFiles,
    paths: list[str],
    context: Context,
    purpose: Purpose,
    families: list[str] | None,
) -> None:
    """before_download through the path-class cache == combining each family's evidence."""
    evaluator = Evaluator(purpose, context, builtin_signals(families))
    for path in paths + paths[::-1]:  # every class is computed once, then reused
        url = ORIGIN + path
        assert evaluator.before_download(url, site) == _plain(evaluator, url, site), url


_headers = st.lists(
    st.sampled_from(
        [
            ("Content-Usage", "train-ai=n"),
            ("Content-Usage", "search=y"),
            ("tdm-reservation", "0"),
            ("tdm-reservation", "1"),
            ("X-Robots-Tag", "noai"),
            ("Content-Signal", "ai-train=yes"),
        ]
    ),
    max_size=3,
)
_heads = st.sampled_from(
    [
        "",
        '<meta name="tdm-reservation" content="0">',
        '<meta name="robots" content="noai">',
        '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">',
    ]
)


@settings(max_examples=200, deadline=None)
@given(site=_sites, path=st.sampled_from(PATHS), headers=_headers, head=_heads, purpose=_purposes)
def test_response_added_to_site_verdict_equals_one_combine(
    site: SiteFiles, path: str, headers: list[tuple[str, str]], head: str, purpose: Purpose
) -> None:
    """after_download (site verdict extended by the response) == one combine of everything."""
    context = Context(user_agent="OurBot")
    evaluator = Evaluator(purpose, context, builtin_signals())
    url = ORIGIN + path
    html = f"<html><head>{head}</head><body></body></html>"
    response = make_response(url, headers=headers, html=html)
    site_verdict = evaluator.before_download(url, site)
    fresh = make_response(url, headers=headers, html=html)
    response_evidence = [
        ev for signal in builtin_signals() for ev in signal.response_evidence(fresh, context)
    ]
    expected = combine(purpose, [*evaluator.site_evidence(url, site), *response_evidence])
    assert evaluator.after_download(response, site, site_verdict) == expected
    assert (
        evaluator.after_download(make_response(url, headers=headers, html=html), site) == expected
    )


def test_a_response_without_evidence_shares_the_site_verdict_and_its_dict() -> None:
    """Same path class, nothing in the response: one verdict object, one dict (built once)."""
    site = make_site(ORIGIN + "/", robots="User-agent: GPTBot\nDisallow: /a\n")
    evaluator = Evaluator("train-ai", Context(user_agent="OurBot"), builtin_signals())
    first = evaluator.after_download(ResponseView(ORIGIN + "/a/1"), site)
    second = evaluator.after_download(ResponseView(ORIGIN + "/a/2"), site)
    other = evaluator.after_download(ResponseView(ORIGIN + "/b"), site)
    assert first is second
    assert first.reserved is True
    assert first.shared_dict() is second.shared_dict()
    assert first.shared_dict() == first.to_dict()
    assert other.reserved is None  # an Allow (or no rule) in an AI group has no stance (F6)
    assert other is not first


class _NoKey(SignalParser):
    """A custom site family that cannot name a path class: asked for every URL."""

    family = "custom-nokey"

    def __init__(self) -> None:
        self.calls = 0

    def site_evidence(self, site: SiteFiles, url: str, context: Context) -> Iterable[Evidence]:
        self.calls += 1
        if url.endswith("/secret"):
            return (Evidence(self.family, "custom", url, disallows(Purpose.TDM)),)
        return ()


class _Keyed(_NoKey):
    family = "custom-keyed"

    def site_key(self, site: SiteFiles, url: str, context: Context) -> Hashable | None:
        return url.endswith("/secret")


def test_a_family_without_site_key_is_asked_per_url_and_verdicts_stay_right() -> None:
    site = make_site(ORIGIN + "/", robots="User-agent: GPTBot\nDisallow: /\n")
    custom = _NoKey()
    evaluator = Evaluator("train-ai", Context(), [*builtin_signals(), custom])
    for path in ("/a", "/b", "/secret", "/c/secret"):
        assert evaluator.before_download(ORIGIN + path, site) == _plain(
            evaluator, ORIGIN + path, site
        )
    assert custom.calls == 8  # 4 URLs, each once per side of the comparison
    assert evaluator.before_download(ORIGIN + "/secret", site).decided_by is not None


class _CountingRobots(RobotsSignal):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def site_evidence(self, site: SiteFiles, url: str, context: Context) -> Iterable[Evidence]:
        self.calls += 1
        return super().site_evidence(site, url, context)


@pytest.mark.parametrize("where", [0, 1, 5])
def test_a_family_without_site_key_keeps_the_order_and_the_families_before_it_shared(
    where: int,
) -> None:
    """The families before the first one without site_key are decided per path class; that
    one and those after it per URL, so the evidence keeps the order of the signals."""
    site = make_site(ORIGIN + "/", robots="User-agent: GPTBot\nDisallow: /a\n")
    robots, custom = _CountingRobots(), _NoKey()
    signals: list[SignalParser] = [robots, *builtin_signals()[1:]]
    signals.insert(where, custom)
    evaluator = Evaluator("train-ai", Context(), signals)
    paths = ["/a/1", "/a/2", "/b", "/c/secret", "/a/secret"]
    for path in paths:
        expected = _plain(evaluator, ORIGIN + path, site)
        robots.calls = 0
        assert evaluator.before_download(ORIGIN + path, site) == expected
    assert custom.calls == 2 * len(paths)
    robots.calls = 0
    for path in paths:
        evaluator.before_download(ORIGIN + path, site)
    assert robots.calls == (len(paths) if where == 0 else 0)  # after it: per URL


def test_a_custom_family_with_site_key_joins_the_path_class() -> None:
    site = make_site(ORIGIN + "/", robots="User-agent: GPTBot\nDisallow: /\n")
    custom = _Keyed()
    evaluator = Evaluator("train-ai", Context(), [*builtin_signals(), custom])
    verdicts = [evaluator.before_download(ORIGIN + p, site) for p in ("/a", "/b", "/x/secret")]
    assert custom.calls == 2  # one per class: (not secret), (secret)
    assert verdicts[0] is verdicts[1]
    assert [e.family for e in verdicts[2].evidence][-1] == "custom-keyed"
    assert "custom-keyed" not in [e.family for e in verdicts[0].evidence]
