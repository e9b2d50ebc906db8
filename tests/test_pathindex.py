"""The path index (formats/pathindex.py): one key per target that decides every stated test.

The rule it must keep: two targets with equal keys pass and fail every pattern and every
extension test alike (else a shared site verdict would be wrong for one of them). Each way a
pattern is tried has a named test with targets it must split and targets it must not, and a
hypothesis test checks the rule against ``PathPattern.matches`` on generated patterns.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from hypothesis import given, settings
from hypothesis import strategies as st

from optout_middleware.formats.pathindex import MAX_DEPTH, MAX_TRIED, PathIndex, PathTests
from optout_middleware.formats.patterns import PathPattern, request_target

if TYPE_CHECKING:
    import pytest


def index(*patterns: str, extensions: tuple[str, ...] = ()) -> PathIndex:
    built = PathIndex.build([PathTests(tuple(PathPattern(p) for p in patterns), extensions)])
    assert built is not None
    return built


def classes(built: PathIndex, *paths: str) -> list[list[str]]:
    """The paths grouped by key, in order of first appearance."""
    groups: dict[object, list[str]] = {}
    for path in paths:
        groups.setdefault(built.key(request_target(path)), []).append(path)
    return list(groups.values())


def test_prefix_patterns_are_decided_by_the_deepest_literal_that_starts_the_target() -> None:
    built = index("/a", "/a/b", "/c")
    assert classes(built, "/a/b/x", "/a/b?q", "/a/x", "/ab", "/c/d", "/d", "/") == [
        ["/a/b/x", "/a/b?q"],
        ["/a/x", "/ab"],
        ["/c/d"],
        ["/d", "/"],
    ]


def test_the_deepest_literal_is_found_past_siblings_that_sort_between() -> None:
    """bisect lands on the greatest literal <= target ("/a/c" for "/a/d"); the walk up its
    chain finds "/a", the deepest literal that starts the target."""
    built = index("/a", "/a/b", "/a/c", "/a/c/d", "/ab", "/a/bz")
    assert classes(built, "/a/d", "/a/", "/a/bzz", "/a/bz", "/a/by") == [
        ["/a/d", "/a/"],
        ["/a/bzz", "/a/bz"],
        ["/a/by"],
    ]


def test_an_anchored_literal_matches_the_target_exactly() -> None:
    built = index("/a$")
    assert classes(built, "/a", "/a/", "/a?q", "/b") == [["/a"], ["/a/", "/a?q"], ["/b"]]


def test_a_suffix_pattern_needs_the_suffix_after_its_literal() -> None:
    """ "/ab*b$": "/ab" ends in "b" but the "b" must come after the literal "/ab"."""
    built = index("/*.pdf$", "/ab*b$")
    assert classes(built, "/x.pdf", "/y/z.pdf", "/x.pdf?q", "/x.pdfs", "/ab", "/abb") == [
        ["/x.pdf", "/y/z.pdf"],
        ["/x.pdf?q", "/x.pdfs"],
        ["/ab"],
        ["/abb"],
    ]


def test_a_pattern_with_one_star_finds_its_tail_after_its_literal() -> None:
    built = index("/p/*/x", "/*?q=")
    assert classes(built, "/p/a/x", "/p/b/x/y", "/p/x", "/a?q=1", "/a?r=1&q=2", "/a?r") == [
        ["/p/a/x", "/p/b/x/y"],
        ["/p/x"],
        ["/a?q=1"],
        ["/a?r=1&q=2", "/a?r"],  # "&q=" is not "?q="
    ]


def test_a_pattern_with_several_stars_finds_its_pieces_in_order() -> None:
    built = index("/*?*sort=")
    assert classes(built, "/a?x=1&sort=2", "/b?sort=1", "/sort=?", "/a", "/sort=/?") == [
        ["/a?x=1&sort=2", "/b?sort=1"],
        ["/sort=?", "/a", "/sort=/?"],
    ]


def test_an_anchored_pattern_with_several_stars_is_matched_whole() -> None:
    built = index("/a*b*c$")
    assert classes(built, "/abc", "/a/b/c", "/acb", "/abcd", "/a/c/b/c") == [
        ["/abc", "/a/b/c", "/a/c/b/c"],
        ["/acb", "/abcd"],
    ]


def test_a_final_star_adds_nothing_to_a_prefix() -> None:
    assert classes(index("/a*"), "/a", "/ab", "/b") == [["/a", "/ab"], ["/b"]]
    assert classes(index("/a/*"), "/a/", "/a/x", "/a") == [["/a/", "/a/x"], ["/a"]]


def test_extension_tests_read_the_path_without_its_query_in_any_case() -> None:
    built = index(extensions=(".jpg", ".tar.gz"))
    paths = ("/x.jpg", "/y.JPG", "/x.jpg?q=1", "/x.jpgs", "/x?y.jpg", "/a.tar.gz", "/b.TAR.GZ")
    assert classes(built, *paths) == [
        ["/x.jpg", "/y.JPG", "/x.jpg?q=1"],
        ["/x.jpgs", "/x?y.jpg"],
        ["/a.tar.gz", "/b.TAR.GZ"],
    ]


def test_targets_are_compared_in_percent_normal_form() -> None:
    """ "%61" is "a" (unreserved, decoded) and "%2F" stays distinct from "/"."""
    built = index("/a/", "/%2F")
    assert classes(built, "/%61/x", "/a/y", "/%2f", "/%2F/z", "//") == [
        ["/%61/x", "/a/y"],
        ["/%2f", "/%2F/z"],
        ["//"],
    ]


def test_more_patterns_with_a_star_or_dollar_than_the_bound_build_no_index() -> None:
    wild = [f"/*x{i}" for i in range(MAX_TRIED)]
    assert PathIndex.build([PathTests(tuple(PathPattern(p) for p in wild))]) is not None
    wild.append("/*y")
    assert PathIndex.build([PathTests(tuple(PathPattern(p) for p in wild))]) is None


def test_literals_nested_deeper_than_the_bound_build_no_index() -> None:
    nested = ["/" + "a" * n for n in range(MAX_DEPTH - 1)]  # with "" and "/": MAX_DEPTH deep
    assert PathIndex.build([PathTests(tuple(PathPattern(p) for p in nested))]) is not None
    nested.append("/" + "a" * MAX_DEPTH)
    assert PathIndex.build([PathTests(tuple(PathPattern(p) for p in nested))]) is None


def test_many_plain_prefixes_are_not_bounded_and_cost_no_pattern_match(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """20,000 sibling prefixes (a hostile robots.txt): one index, keys found without trying
    any pattern one by one."""
    built = index(*(f"/s{i}/" for i in range(20_000)))
    calls = []
    monkeypatch.setattr(PathPattern, "matches", lambda self, target: calls.append(target))
    assert classes(built, "/s7/a", "/s7/b", "/s70/a", "/t") == [
        ["/s7/a", "/s7/b"],
        ["/s70/a"],
        ["/t"],
    ]
    assert calls == []


_PIECES = ["/", "a", "b", "/a", ".jpg", "?", "q=", "%2F", "%61", "A", "~", "%7E"]
_patterns = st.lists(
    st.tuples(
        st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4),
        st.lists(st.booleans(), min_size=4, max_size=4),
        st.booleans(),
    ).map(
        lambda t: (
            "/"
            + "".join(p + ("*" if star else "") for p, star in zip(t[0], t[1], strict=False))
            + ("$" if t[2] else "")
        )
    ),
    max_size=12,
)
_targets = st.lists(
    st.lists(st.sampled_from([*_PIECES, "x", ".JPG", "&", "/b"]), max_size=6).map(
        lambda parts: "/" + "".join(parts)
    ),
    min_size=2,
    max_size=12,
)
_extensions = st.lists(st.sampled_from([".jpg", ".a", ".tar.gz", "a"]), max_size=3)


@settings(max_examples=400, deadline=None)
@given(patterns=_patterns, paths=_targets, extensions=_extensions)
def test_targets_with_equal_keys_pass_and_fail_every_test_alike(
    patterns: list[str], paths: list[str], extensions: list[str]
) -> None:
    compiled = [PathPattern(p) for p in patterns]
    built = PathIndex.build([PathTests(tuple(compiled), tuple(extensions))])
    assert built is not None
    for a, b in itertools.combinations(paths, 2):
        ta, tb = request_target(a), request_target(b)
        if built.key(ta) == built.key(tb):
            assert [p.matches(ta) for p in compiled] == [p.matches(tb) for p in compiled], (a, b)
            la, lb = ta.partition("?")[0].lower(), tb.partition("?")[0].lower()
            assert [la.endswith(e) for e in extensions] == [lb.endswith(e) for e in extensions]
