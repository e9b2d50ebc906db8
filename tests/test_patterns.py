"""Tests for optout_middleware.formats.patterns: robots-style path patterns (RFC 9309 2.2.2-2.2.3)."""

from __future__ import annotations

import re
import time
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optout_middleware.formats import patterns
from optout_middleware.formats.patterns import (
    PathPattern,
    normalise_path,
    normalise_pattern,
    request_target,
)


def reference_match(text: str, target: str) -> bool:
    """An obviously correct matcher: recursion over the normalised pattern, memoised (DP)."""
    anchored = text.endswith("$")
    body = text[:-1] if anchored else text

    @cache
    def rest(
        i: int, j: int
    ) -> bool:  # does body[i:] match a prefix (all, if anchored) of target[j:]
        if i == len(body):
            return j == len(target) or not anchored
        if body[i] == "*":
            return rest(i + 1, j) or (j < len(target) and rest(i, j + 1))
        return j < len(target) and body[i] == target[j] and rest(i + 1, j + 1)

    return rest(0, 0)


RAW_PATTERNS = st.builds(
    lambda body, anchored: "/" + body + ("$" if anchored else ""),
    st.text(alphabet="ab/*$", max_size=8),
    st.booleans(),
)
PATHS = st.builds(lambda body: "/" + body, st.text(alphabet="ab/$", max_size=14))


@settings(max_examples=300, deadline=None)
@given(RAW_PATTERNS, PATHS)
def test_path_pattern_agrees_with_reference_matcher(raw: str, path: str) -> None:
    """specs.md 6.1: '*' is any run of octets, a final '$' ends the pattern, else a prefix test."""
    pattern = PathPattern(raw)
    target = normalise_path(path)
    assert pattern.matches(target) == reference_match(pattern.text, target)


def test_star_matches_empty_run() -> None:
    """RFC 9309 2.2.3: '*' matches zero or more characters."""
    assert PathPattern("/a*b").matches("/ab")
    assert PathPattern("/a*b").matches("/axxb")
    assert not PathPattern("/a*b").matches("/a")


def test_dollar_only_special_at_end() -> None:
    """RFC 9309 2.2.3: '$' anchors only at the end; elsewhere it is a literal (encoded) '$'."""
    assert PathPattern("/a$").matches("/a")
    assert not PathPattern("/a$").matches("/ab")
    assert PathPattern("/a$b").text == "/a%24b"
    assert PathPattern("/a$b").matches(normalise_path("/a$b"))


def test_length_counts_pattern_octets_including_star() -> None:
    """specs.md 6.5: length counts pattern octets including '*' ('/page*' is 6, '/page' 5)."""
    assert PathPattern("/page*").length == 6
    assert PathPattern("/page").length == 5
    assert PathPattern("/ツ").length == len("/%E3%83%84")


def test_percent_encoding_of_unreserved_is_decoded() -> None:
    """RFC 9309 2.2.2: %-encoded unreserved ASCII is equivalent to the character itself."""
    assert normalise_path("/%7Efoo") == "/~foo"
    assert normalise_path("/%7efoo") == "/~foo"
    assert normalise_pattern("/%41") == "/A"


def test_percent_encoding_of_reserved_is_kept() -> None:
    """RFC 9309 2.2.2: reserved characters keep their escape (%2F is not '/'), hex case folded."""
    assert normalise_path("/a%2fb") == "/a%2Fb"
    assert normalise_path("/a%2Fb") != normalise_path("/a/b")


def test_non_ascii_is_utf8_percent_encoded() -> None:
    """RFC 9309 2.2.2: octets outside US-ASCII are percent-encoded as UTF-8 before comparison."""
    assert normalise_path("/foo/ツ") == "/foo/%E3%83%84"
    assert PathPattern("/foo/ツ").matches(request_target("http://x/foo/%e3%83%84"))


def test_runs_of_stars_fold() -> None:
    """normalise_pattern: '**' means the same as '*'."""
    assert normalise_pattern("/a**b") == "/a*b"


_SAFE_ALPHABET = "ab/*$%?~é 2FfA"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_SAFE_ALPHABET, max_size=12))
def test_normalise_pattern_fast_path_matches_slow_path(raw: str) -> None:
    """The parse-time fast path for already-normal patterns changes no result."""
    anchored = raw.endswith("$")
    body = raw[:-1] if anchored else raw
    slow = re.sub(r"\*+", "*", patterns._normalise(body, specials="*"))
    assert normalise_pattern(raw) == (slow + "$" if anchored else slow)


def test_request_target_of_absolute_url() -> None:
    """Patterns match the path and query, never the fragment; an empty path is '/'."""
    assert request_target("http://example.com") == "/"
    assert request_target("http://example.com/a/b?c=d&e=f#frag") == "/a/b?c=d&e=f"
    assert request_target("https://u@example.com:8080/a?b=http://c/") == "/a?b=http://c/"


def test_request_target_empty_query_keeps_question_mark() -> None:
    """'http://x/a?' and the bare path '/a?' give the same target (a rule '/a?' matches both)."""
    assert request_target("http://x/a?") == request_target("/a?") == "/a?"
    assert request_target("http://x/a") == "/a"


def test_request_target_bare_path_fragment_cut_before_query() -> None:
    """In '/a#f?x' the '?' is inside the fragment, so there is no query."""
    assert request_target("/a#f?x") == "/a"


def test_request_target_bad_authority_does_not_raise() -> None:
    """Hostile input is normal: urlsplit rejects 'http://[::1' but the target is still read."""
    assert request_target("http://[::1") == "/"
    assert request_target("http://[::1/a?b#c") == "/a?b"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_request_target_never_raises(url: str) -> None:
    """Any text gives a target (the crawler never crashes on a URL): a normal form (reading it
    again changes nothing), a path for any bare path or absolute http(s) URL."""
    target = request_target(url)
    assert request_target(target) == target
    for absolute in (url, "http://example.com" + url, "https://example.com/" + url):
        if absolute.startswith(("/", "http")):
            assert request_target(absolute).startswith("/"), absolute


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["http://e.com", "https://a.b:81", "HTTP://X"]),
    st.text(alphabet="ab/?#=&%~é *$", max_size=20),
)
def test_request_target_absolute_and_bare_forms_agree(origin: str, tail: str) -> None:
    """An absolute URL and its bare path give one target (fast path or urlsplit alike)."""
    url = origin + "/" + tail
    slow = request_target("/" + tail)  # the bare-path form is the same target by definition
    assert request_target(url) == slow


def _best_of(runs: int, func: object) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


BLOW_UP = "/*a*a*a*a*a*a*a*a*a*a*b"


def test_wildcard_blow_up_pattern_is_fast() -> None:
    """robots-parsers.md 1: '/*a*a…*b' vs 2,000 'a's answers right (no backtracking: the step
    count is test_wildcard_pieces_are_searched_once_each)."""
    pattern = PathPattern(BLOW_UP)
    target = "/" + "a" * 2000
    assert not pattern.matches(target)
    assert pattern.matches(target + "b")


def test_wildcard_blow_up_pattern_is_linear() -> None:
    """Ten times the URL costs about ten times the time, not a power of it."""
    pattern = PathPattern(BLOW_UP)
    short, long = "/" + "a" * 20_000, "/" + "a" * 200_000
    t_short = _best_of(5, lambda: pattern.matches(short))
    t_long = _best_of(5, lambda: pattern.matches(long))
    assert t_long < 40 * t_short + 0.001  # a wide ratio: linear is ~10x, quadratic ~100x


class _CountingStr(str):
    """A target that counts searches: each '*' piece must be searched for once, never retried."""

    calls = 0

    def find(self, *args: object) -> int:  # type: ignore[override]
        _CountingStr.calls += 1
        return super().find(*args)  # type: ignore[arg-type]


def test_wildcard_pieces_are_searched_once_each() -> None:
    """Step count, not time: one search per pattern piece whatever the target length."""
    pattern = PathPattern(BLOW_UP)
    for size in (10, 1000, 100_000):
        _CountingStr.calls = 0
        assert not pattern.matches(_CountingStr("/" + "a" * size))
        assert _CountingStr.calls <= BLOW_UP.count("*")


@pytest.mark.parametrize(("url", "target"), [("http", "/http"), ("0", "/0"), ("a?b", "/a?b")])
def test_request_target_of_a_relative_reference_is_a_path(url: str, target: str) -> None:
    """A request target always starts with ``/`` (RFC 9309 matches paths): a relative reference
    such as ``http`` or ``0`` (review note) is read as a path, never returned as it came."""
    assert request_target(url) == target
