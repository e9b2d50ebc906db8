"""IETF aipref (specs.md section 2): the Content-Usage header and robots.txt rule."""

from __future__ import annotations

from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optout_middleware.formats.robotstxt import parse
from optout_middleware.inputs import Context, FileState
from optout_middleware.signals.aipref import AiprefSignal, parse_rule, parse_usage, stances_for
from optout_middleware.verdict import Purpose, Stance

from .evidence_helpers import (
    ROBOTS_URL,
    header_evidence,
    reserved,
    robots_evidence,
    site,
    stances,
)

P = Purpose
ALLOWED, DISALLOWED = Stance.ALLOWED, Stance.DISALLOWED
SIGNAL = AiprefSignal()
header = partial(header_evidence, SIGNAL, "Content-Usage")
robots = partial(robots_evidence, SIGNAL)


# --- Vocabulary (2.2, 2.3) ----------------------------------------------------------------------


def test_aipref_labels_map_to_purposes() -> None:
    """specs.md 0 / 2.2: train-ai is generative training, ai-use is AI input, search is search."""
    (ev,) = header("train-ai=n, ai-use=y, search=n")
    assert stances((ev,)) == {P.TRAIN_GENAI: DISALLOWED, P.AI_INPUT: ALLOWED, P.SEARCH: DISALLOWED}


def test_aipref_train_ai_n_reserves_a_train_ai_crawl() -> None:
    """specs.md 0: train-ai=n (generative) reserves any-model training through the hierarchy."""
    evidence = header("train-ai=n")
    assert reserved(P.TRAIN_AI, evidence) is True
    assert reserved(P.TRAIN_GENAI, evidence) is True
    assert reserved(P.TDM, evidence) is True
    assert reserved(P.SEARCH, evidence) is None


def test_aipref_train_ai_y_does_not_allow_a_train_ai_crawl() -> None:
    """specs.md 0: a yes on the narrower generative category says nothing about any training."""
    evidence = header("train-ai=y")
    assert reserved(P.TRAIN_GENAI, evidence) is False
    assert reserved(P.TRAIN_AI, evidence) is None


def test_aipref_unknown_labels_ignored() -> None:
    """specs.md 2.3: unknown labels MUST be ignored (not an error)."""
    (ev,) = header("foo=n, train-ai=n, x-y.z=y")
    assert stances((ev,)) == {P.TRAIN_GENAI: DISALLOWED}


def test_aipref_unknown_parameters_ignored() -> None:
    """specs.md 2.3: parameters are ignored; the Token decides."""
    (ev,) = header("search=y;foo=bar;n")
    assert stances((ev,)) == {P.SEARCH: ALLOWED}


def test_aipref_parse_usage_reports_per_label_tri_state() -> None:
    """specs.md 2.3: after processing every category is allowed, disallowed or unknown."""
    prefs = parse_usage("train-ai=n, search=y")
    assert prefs.train_ai is DISALLOWED
    assert prefs.search is ALLOWED
    assert prefs.ai_use is None
    assert prefs.error is None
    assert prefs.raw == "train-ai=n, search=y"
    assert parse_usage(b"ai-use=n").ai_use is DISALLOWED


def test_aipref_parse_usage_records_error() -> None:
    """specs.md 2.3: if Dictionary parsing fails, all preferences are unknown."""
    prefs = parse_usage("train-ai=n,")
    assert prefs.error
    assert (prefs.train_ai, prefs.ai_use, prefs.search) == (None, None, None)


# --- 2.7 edge cases -----------------------------------------------------------------------------


def test_aipref_uppercase_key_fails_whole_field() -> None:
    """specs.md 2.7: Train-AI=n fails the Dictionary: all unknown, even well-formed members."""
    (ev,) = header("search=n, Train-AI=n")
    assert ev.stances == ()
    assert "not an RFC 9651 dictionary" in ev.note
    assert ev.value == "search=n, Train-AI=n"


def test_aipref_token_value_is_case_sensitive() -> None:
    """specs.md 2.7: train-ai=N is the Token N, not n: unknown (but the field parses)."""
    (ev,) = header("train-ai=N, search=n")
    assert stances((ev,)) == {P.SEARCH: DISALLOWED}
    assert "train-ai: value is not the token y or n" in ev.note


@pytest.mark.parametrize("value", ["no", '"n"', "0", "?0", "?1", "", "(n)", ":bg==:", "yes"])
def test_aipref_non_token_values_are_unknown(value: str) -> None:
    """specs.md 2.7: no, "n", 0, ?0, a bare key (true), inner lists... are unknown, not errors."""
    member = f"train-ai={value}" if value else "train-ai"
    (ev,) = header(member)
    assert ev.stances == ()
    assert parse_usage(member).error is None


def test_aipref_last_duplicate_wins_drafts_example() -> None:
    """specs.md 2.7: train-ai=y, train-ai, search=n, search="n" => all unknown."""
    (ev,) = header('train-ai=y, train-ai, search=n, search="n"')
    assert ev.stances == ()


def test_aipref_only_selected_members_parameters_exist() -> None:
    """specs.md 2.7: train-ai;allow=n, train-ai=y => allowed."""
    (ev,) = header("train-ai;allow=n, train-ai=y")
    assert stances((ev,)) == {P.TRAIN_GENAI: ALLOWED}


@pytest.mark.parametrize("value", ["train-ai=n,", "train-ai=n search=y", "train-ai=n,,search=y"])
def test_aipref_malformed_list_is_all_unknown(value: str) -> None:
    """specs.md 2.7: a trailing comma or a missing comma fails parsing => all unknown."""
    (ev,) = header(value)
    assert ev.stances == ()
    assert "all categories unknown" in ev.note


@pytest.mark.parametrize("value", ["train-ai=n,search=y", "  train-ai=n , search=y  "])
def test_aipref_spacing_is_free(value: str) -> None:
    """specs.md 2.7: no space after the comma, or leading/trailing spaces, are fine."""
    (ev,) = header(value)
    assert stances((ev,)) == {P.TRAIN_GENAI: DISALLOWED, P.SEARCH: ALLOWED}


def test_aipref_empty_header_is_all_unknown() -> None:
    """specs.md 2.7: an empty Content-Usage value is an empty Dictionary => all unknown."""
    (ev,) = header("")
    assert ev.stances == ()
    assert ev.location == "Content-Usage"


def test_aipref_empty_robots_preference_is_all_unknown() -> None:
    """specs.md 2.7: Content-Usage: /x (a path, no preference) => empty Dictionary => unknown."""
    body = "User-Agent: *\nContent-Usage: train-ai=n\nContent-Usage: /x\n"
    (ev,) = robots(body, "/x/page")
    assert ev.stances == ()
    assert ev.path == "/x"
    assert reserved(P.TRAIN_AI, robots(body, "/y")) is True


def test_aipref_header_lines_combined_last_duplicate_wins() -> None:
    """specs.md 2.7: several header lines are joined with ',' before parsing: last key wins."""
    (ev,) = header("train-ai=n, search=y", "train-ai=y")
    assert stances((ev,)) == {P.TRAIN_GENAI: ALLOWED, P.SEARCH: ALLOWED}
    assert ev.value == "train-ai=n, search=y, train-ai=y"


def test_aipref_bad_member_in_any_header_line_breaks_all() -> None:
    """specs.md 2.7: a bad member in any line breaks the whole combined field."""
    (ev,) = header("train-ai=n", "Search=y")
    assert ev.stances == ()


def test_aipref_empty_header_line_adds_nothing() -> None:
    """RFC 9110 5.3 / 9651 4.2: an empty line contributes no member (no trailing comma)."""
    (ev,) = header("train-ai=n", "")
    assert stances((ev,)) == {P.TRAIN_GENAI: DISALLOWED}


def test_aipref_robots_label_is_case_insensitive() -> None:
    """specs.md 2.7: robots.txt CONTENT-USAGE: (ABNF literals are case-insensitive) is accepted."""
    (ev,) = robots("User-Agent: *\nCONTENT-USAGE: train-ai=n\n", "/")
    assert stances((ev,)) == {P.TRAIN_GENAI: DISALLOWED}


def test_aipref_robots_comment_stripped() -> None:
    """specs.md 2.7: Content-Usage: train-ai=n # no training => train-ai=n."""
    (ev,) = robots("User-Agent: *\nContent-Usage: train-ai=n # no training\n", "/a")
    assert ev.value == "train-ai=n"
    assert stances((ev,)) == {P.TRAIN_GENAI: DISALLOWED}


def test_aipref_absent_path_combines_with_slash() -> None:
    """specs.md 2.7 [inferred]: absent path vs '/' combine most restrictively => n."""
    body = "User-Agent: *\nContent-Usage: train-ai=n\nContent-Usage: / train-ai=y\n"
    evidence = robots(body, "/page")
    assert len(evidence) == 2
    assert reserved(P.TRAIN_GENAI, evidence) is True
    assert "ranks with '/'" in evidence[0].note


def test_aipref_absent_path_loses_to_longer_path() -> None:
    """specs.md 2.5: an absent path has length 0, so any longer matching path wins."""
    body = "User-Agent: *\nContent-Usage: train-ai=n\nContent-Usage: /open/ train-ai=y\n"
    (ev,) = robots(body, "/open/x")
    assert ev.path == "/open/"
    assert stances((ev,)) == {P.TRAIN_GENAI: ALLOWED}


def test_aipref_path_with_literal_space_breaks_preference() -> None:
    """specs.md 2.7: /my docs/ train-ai=n => path /my, preference 'docs/ ...' fails => unknown."""
    body = "User-Agent: *\nContent-Usage: train-ai=y\nContent-Usage: /my docs/ train-ai=n\n"
    rule = parse_rule("/my docs/ train-ai=n")
    assert rule.path == "/my"
    assert rule.preference.raw == "docs/ train-ai=n"
    (ev,) = robots(body, "/my docs/file")
    assert ev.path == "/my"
    assert ev.stances == ()


def test_aipref_path_ends_at_tab() -> None:
    """specs.md 2.5: the path ends before the first SP or HTAB."""
    rule = parse_rule("/a\ttrain-ai=n")
    assert rule.path == "/a"
    assert rule.preference.train_ai is DISALLOWED


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/img/a.png", DISALLOWED), ("/img/a.png?x=1", None), ("/doc/img/b.png", DISALLOWED)],
)
def test_aipref_wildcards_in_paths(path: str, expected: Stance | None) -> None:
    """specs.md 2.7: '*' and '$' in Content-Usage paths follow RFC 9309 matching."""
    body = "User-Agent: *\nContent-Usage: /*.png$ train-ai=n\n"
    assert stances(robots(body, path)).get(P.TRAIN_GENAI) is expected


def test_aipref_disallowed_path_has_no_preference() -> None:
    """specs.md 2.5/2.7: preferences attach only to crawlable resources."""
    body = "User-Agent: *\nDisallow: /private/\nContent-Usage: train-ai=y\n"
    assert robots(body, "/private/a") == ()
    assert stances(robots(body, "/public")) == {P.TRAIN_GENAI: ALLOWED}


@pytest.mark.parametrize(
    "body",
    [
        (
            "User-Agent: *\nContent-Usage: /a/ train-ai=n\nDisallow: /a/private/\n"
            "Content-Usage: /b/ ai-use=n\nAllow: /\n"
        ),
        (
            "User-Agent: *\nAllow: /\nDisallow: /a/private/\n"
            "Content-Usage: /b/ ai-use=n\nContent-Usage: /a/ train-ai=n\n"
        ),
    ],
)
def test_aipref_robots_rules_interleave_with_allow_disallow(body: str) -> None:
    """specs.md 2.5 (b): Content-Usage rules may be interleaved with Allow/Disallow; order carries
    no meaning."""
    assert stances(robots(body, "/a/x")) == {P.TRAIN_GENAI: DISALLOWED}
    assert stances(robots(body, "/b/x")) == {P.AI_INPUT: DISALLOWED}
    assert robots(body, "/c") == ()
    assert robots(body, "/a/private/x") == ()


def test_aipref_wildcard_group_not_inherited_when_strict() -> None:
    """specs.md 2.7: Content-Usage only in '*' while we have a named group => unknown (strict)."""
    body = "User-Agent: *\nAllow: /\nContent-Usage: train-ai=n\n\nUser-Agent: MyBot\nAllow: /\n"
    strict = Context(user_agent="MyBot", wildcard_group_signals=False)
    assert robots(body, "/a", strict) == ()


def test_aipref_wildcard_group_fallback_when_enabled() -> None:
    """Context.wildcard_group_signals (default on): '*' lines apply when our group has none."""
    body = "User-Agent: *\nAllow: /\nContent-Usage: train-ai=n\n\nUser-Agent: MyBot\nAllow: /\n"
    (ev,) = robots(body, "/a", Context(user_agent="MyBot"))
    assert ev.agent == "*"
    assert "'*' group" in ev.note
    assert stances((ev,)) == {P.TRAIN_GENAI: DISALLOWED}


def test_aipref_named_group_lines_win_over_wildcard() -> None:
    """specs.md 2.5: group selection per RFC 9309: our own group's rules, not '*'."""
    body = (
        "User-Agent: *\nAllow: /\nContent-Usage: train-ai=n\n\n"
        "User-Agent: MyBot\nAllow: /\nContent-Usage: train-ai=y\n"
    )
    (ev,) = robots(body, "/a", Context(user_agent="MyBot"))
    assert ev.agent == "MyBot"
    assert stances((ev,)) == {P.TRAIN_GENAI: ALLOWED}


def test_aipref_header_and_robots_combine_most_restrictively() -> None:
    """specs.md 2.7: header train-ai=y + robots.txt train-ai=n for the path => disallowed."""
    evidence = header("train-ai=y") + robots("User-Agent: *\nContent-Usage: train-ai=n\n", "/a")
    assert reserved(P.TRAIN_GENAI, evidence) is True
    assert reserved(P.TRAIN_AI, evidence) is True


def test_aipref_search_override_changes_no_stance() -> None:
    """specs.md 2.7: -08 search=y, train-ai=n: general training stays reserved, search allowed."""
    evidence = header("search=y, train-ai=n")
    assert reserved(P.TRAIN_AI, evidence) is True
    assert reserved(P.SEARCH, evidence) is False


# --- Legacy labels (2.4 [inferred]) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "purpose"),
    [
        ("all", P.TDM),
        ("bots", P.TDM),
        ("tdm", P.TDM),
        ("ai", P.TRAIN_AI),
        ("genai", P.TRAIN_GENAI),
        ("train-genai", P.TRAIN_GENAI),
        ("ai-output", P.AI_INPUT),
        ("inference", P.AI_INPUT),
    ],
)
def test_aipref_legacy_n_honoured_for_nearest_purpose(label: str, purpose: Purpose) -> None:
    """specs.md 2.4 [inferred]: a legacy n disallows the nearest current purpose."""
    (ev,) = header(f"{label}=n")
    assert stances((ev,)) == {purpose: DISALLOWED}
    assert f"legacy {label}=n" in ev.note
    assert reserved(purpose, (ev,)) is True


def test_aipref_legacy_y_never_honoured() -> None:
    """specs.md 2.4 [inferred]: never a legacy y."""
    (ev,) = header("all=y, bots=y, genai=y")
    assert ev.stances == ()
    assert "never honoured" in ev.note


def test_aipref_legacy_labels_off_ignores_them() -> None:
    """specs.md 2.4/2.7: a strict vocab-08 reader ignores bots=n: all unknown."""
    context = Context(aipref_legacy_labels=False)
    (ev,) = header("bots=n, train-genai=n", context=context)
    assert ev.stances == ()
    assert "legacy labels ignored: bots, train-genai" in ev.note
    assert reserved(P.TRAIN_AI, (ev,)) is None


def test_aipref_legacy_everything_n_yields_to_explicit_y() -> None:
    """specs.md 2.4: in the old drafts an explicit narrower label beat the 'everything' one."""
    evidence = header("bots=n, search=y")
    assert reserved(P.SEARCH, evidence) is False
    assert reserved(P.TRAIN_AI, evidence) is True
    assert reserved(P.AI_INPUT, evidence) is True
    assert reserved(P.TDM, evidence) is True


def test_aipref_legacy_n_beats_current_y_on_the_same_purpose() -> None:
    """specs.md 2.4 [inferred]: train-genai=n with train-ai=y => generative training disallowed."""
    (ev,) = header("train-ai=y, train-genai=n")
    assert stances((ev,)) == {P.TRAIN_GENAI: DISALLOWED}


# --- CC signals (9.2) ---------------------------------------------------------------------------


def test_aipref_cc_exceptions_parameter_ignored_for_stance() -> None:
    """specs.md 9.2: an aipref-only reader ignores exceptions => plain n (safe failure mode)."""
    (ev,) = header("ai-use=n;exceptions=cc-cr, search=y")
    assert stances((ev,)) == {P.AI_INPUT: DISALLOWED, P.SEARCH: ALLOWED}
    assert "exceptions=cc-cr" in ev.note
    assert parse_usage("ai-use=n;exceptions=cc-cr").exceptions == (("ai-use", "cc-cr"),)


def test_aipref_cc_exceptions_in_robots() -> None:
    """specs.md 9.2 example: robots.txt train-ai=n;exceptions=cc-cr-op => disallowed."""
    body = "User-Agent: *\nAllow: /\nContent-Usage: train-ai=n;exceptions=cc-cr-op\n"
    evidence = robots(body, "/a")
    assert reserved(P.TRAIN_AI, evidence) is True
    assert "exceptions=cc-cr-op" in evidence[0].note


def test_aipref_cc_exceptions_on_y_is_ignored() -> None:
    """specs.md 9.4: an exceptions parameter attached to a y value is meaningless: plain allow."""
    (ev,) = header("train-ai=y;exceptions=cc-cr")
    assert stances((ev,)) == {P.TRAIN_GENAI: ALLOWED}
    assert reserved(P.TRAIN_GENAI, (ev,)) is False


def test_aipref_cc_signal_on_train_genai_ignored_by_strict_reader() -> None:
    """specs.md 9.2: train-genai is no aipref-08 label, so a strict -08 reader ignores a CC-signal
    line keyed on it (with legacy labels on, README: its n is honoured as train-genai)."""
    value = "train-genai=n;exceptions=cc-cr"
    (strict,) = header(value, context=Context(aipref_legacy_labels=False))
    assert strict.stances == ()
    assert reserved(P.TRAIN_GENAI, (strict,)) is None
    (legacy,) = header(value)
    assert stances((legacy,)) == {P.TRAIN_GENAI: DISALLOWED}


# --- 2.6 examples -------------------------------------------------------------------------------


def test_aipref_example1_header() -> None:
    """specs.md 2.6 example 1: train-ai=n, ai-use=n, search=y."""
    (ev,) = header("train-ai=n, ai-use=n, search=y")
    assert stances((ev,)) == {
        P.TRAIN_GENAI: DISALLOWED,
        P.AI_INPUT: DISALLOWED,
        P.SEARCH: ALLOWED,
    }
    assert (ev.family, ev.source, ev.location, ev.url) == (
        "aipref",
        "header",
        "Content-Usage",
        None,
    )


EXAMPLE2 = """User-Agent: *
Allow: /
Disallow: /drafts/
Content-Usage: train-ai=n
Content-Usage: /blog/ train-ai=y, ai-use=n
Content-Usage: /*.pdf$ train-ai=n, search=n

User-Agent: ExampleBot
Allow: /
"""


@pytest.mark.parametrize(
    ("path", "expected", "line"),
    [
        ("/about", {P.TRAIN_GENAI: DISALLOWED}, 4),
        ("/blog/p1", {P.TRAIN_GENAI: ALLOWED, P.AI_INPUT: DISALLOWED}, 5),
        ("/blog/x.pdf", {P.TRAIN_GENAI: DISALLOWED, P.SEARCH: DISALLOWED}, 6),
    ],
)
def test_aipref_example2_longest_path_wins(
    path: str, expected: dict[Purpose, Stance], line: int
) -> None:
    """specs.md 2.6 example 2: longest matching path (octets) wins."""
    (ev,) = robots(EXAMPLE2, path)
    assert stances((ev,)) == expected
    assert ev.location == f"line {line}"
    assert (ev.source, ev.url, ev.agent) == ("robots.txt", ROBOTS_URL, "*")


def test_aipref_example2_drafts_not_crawlable() -> None:
    """specs.md 2.6 example 2: /drafts/x is not crawlable => no preferences."""
    assert robots(EXAMPLE2, "/drafts/x") == ()


def test_aipref_example2_named_bot_strict() -> None:
    """specs.md 2.6 example 2: ExampleBot uses only its own group => all unknown (strict)."""
    context = Context(user_agent="ExampleBot", wildcard_group_signals=False)
    assert robots(EXAMPLE2, "/about", context) == ()


def test_aipref_example3_identical_paths_combine() -> None:
    """specs.md 2.6 example 3: identical paths with conflicting values => most restrictive."""
    body = "User-Agent: *\nContent-Usage: /shop/ train-ai=y\nContent-Usage: /shop/ train-ai=n, search=y\n"
    evidence = robots(body, "/shop/item")
    assert [e.location for e in evidence] == ["line 2", "line 3"]
    assert all(e.path == "/shop/" for e in evidence)
    assert reserved(P.TRAIN_GENAI, evidence) is True
    assert reserved(P.SEARCH, evidence) is False


def test_aipref_example4_cc_parameter() -> None:
    """specs.md 2.6 example 4: ai-use=n;exceptions=cc-cr => ai-use disallowed."""
    (ev,) = robots("User-Agent: *\nContent-Usage: ai-use=n;exceptions=cc-cr\n", "/")
    assert stances((ev,)) == {P.AI_INPUT: DISALLOWED}


# --- Site-file states and scope -----------------------------------------------------------------


@pytest.mark.parametrize("state", [FileState.ABSENT, FileState.UNREACHABLE, FileState.NOT_FETCHED])
def test_aipref_robots_read_only_when_parsed(state: FileState) -> None:
    """specs.md 2.5: preferences come from a robots.txt that was fetched and parsed."""
    assert robots("User-Agent: *\nContent-Usage: train-ai=n\n", "/", state=state) == ()


def test_aipref_preamble_rule_is_site_wide_default() -> None:
    """A Content-Usage line before any group: read as a site-wide default (like spec 3.7)."""
    body = "Content-Usage: train-ai=n\nUser-Agent: *\nAllow: /\n"
    (ev,) = robots(body, "/a")
    assert ev.agent is None
    assert "site-wide default" in ev.note
    assert reserved(P.TRAIN_AI, (ev,)) is True


def test_aipref_no_header_no_evidence() -> None:
    """No Content-Usage header: nothing to record."""
    assert header() == ()


# --- Hostile input ------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=3))
def test_aipref_header_never_raises(values: list[str]) -> None:
    """Hostile input: any header values give evidence, never an exception."""
    evidence = header(*values)
    assert len(evidence) == (1 if values else 0)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.text(max_size=30))
def test_aipref_robots_never_raises(body: bytes, path: str) -> None:
    """Hostile input: any robots.txt and URL path give evidence or nothing, never an exception."""
    data = b"User-Agent: *\nContent-Usage: " + body
    evidence = tuple(
        SIGNAL.site_evidence(site(data), "https://example.com/" + path, Context(user_agent="Bot"))
    )
    # each evidence is one of the group's Content-Usage lines, read as that line says
    lines = {r.value for r in parse(data).extension_records("Bot", "content-usage")}
    for e in evidence:
        assert e.value in lines
        assert {p for p, _ in e.stances} <= set(Purpose)
        assert e.stances == stances_for(parse_rule(e.value).preference, legacy=True)[0]
