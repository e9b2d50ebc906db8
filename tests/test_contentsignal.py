"""Cloudflare Content Signals (specs.md section 3): robots.txt lines and the HTTP header."""

from __future__ import annotations

from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optout_middleware.formats.robotstxt import parse
from optout_middleware.inputs import Context, FileState
from optout_middleware.signals.contentsignal import ContentSignal, parse_content_signal
from optout_middleware.verdict import Purpose, Stance

from .evidence_helpers import (
    ROBOTS_URL,
    header_evidence,
    reserved,
    robots_evidence,
    stances,
)

P = Purpose
ALLOWED, DISALLOWED = Stance.ALLOWED, Stance.DISALLOWED
SIGNAL = ContentSignal()
header = partial(header_evidence, SIGNAL, "Content-Signal")
robots = partial(robots_evidence, SIGNAL)


# --- Value parsing (3.2, 3.5) -------------------------------------------------------------------


def test_contentsignal_keys_map_to_purposes() -> None:
    """specs.md 3.2/3.4: search => search, ai-input => ai-input, ai-train => any training."""
    signals = parse_content_signal("search=yes, ai-input=no, ai-train=no")
    assert signals.stances == (
        (P.SEARCH, ALLOWED),
        (P.AI_INPUT, DISALLOWED),
        (P.TRAIN_AI, DISALLOWED),
    )
    assert (signals.search, signals.ai_input, signals.ai_train) == (ALLOWED, DISALLOWED, DISALLOWED)


def test_contentsignal_ai_train_covers_all_training() -> None:
    """specs.md 3.4: ai-train=no reserves any model training, generative included."""
    evidence = header("ai-train=no")
    assert reserved(P.TRAIN_AI, evidence) is True
    assert reserved(P.TRAIN_GENAI, evidence) is True
    assert reserved(P.SEARCH, evidence) is None


def test_contentsignal_missing_key_is_unknown() -> None:
    """specs.md 3.2: no signal for a use => neither granted nor restricted."""
    signals = parse_content_signal("search=yes")
    assert signals.ai_train is None
    assert signals.ai_input is None


@pytest.mark.parametrize("value", ["search=yes,ai-train=no", "search = yes , ai-train = no"])
def test_contentsignal_spacing_is_free(value: str) -> None:
    """specs.md 3.7: no spaces after commas, or spaces around '=', are accepted."""
    signals = parse_content_signal(value)
    assert (signals.search, signals.ai_train) == (ALLOWED, DISALLOWED)


@pytest.mark.parametrize("value", ["No", "NO", "no"])
def test_contentsignal_values_lower_cased(value: str) -> None:
    """specs.md 3.5 step 2 / 3.7: values are lower-cased: ai-train=No is no."""
    assert parse_content_signal(f"ai-train={value}").ai_train is DISALLOWED
    assert parse_content_signal(f"AI-Train={value}").ai_train is DISALLOWED


@pytest.mark.parametrize("value", ["false", "n", "disallow", "deny", "0", "off", '"no"'])
def test_contentsignal_negative_looking_values_are_no(value: str) -> None:
    """specs.md 3.7 [inferred]: negative-looking non-standard values read as no (and noted)."""
    signals = parse_content_signal(f"ai-train={value}")
    assert signals.ai_train is DISALLOWED
    (ev,) = header(f"ai-train={value}")
    assert stances((ev,)) == {P.TRAIN_AI: DISALLOWED}
    if value != '"no"':
        assert "non-standard negative values read as no" in ev.note


@pytest.mark.parametrize("value", ["allow", "true", "y", "1", "maybe", ""])
def test_contentsignal_other_values_are_unknown(value: str) -> None:
    """specs.md 3.7 [inferred]: anything but yes or a negative value is unknown (not yes)."""
    signals = parse_content_signal(f"ai-input={value}")
    assert signals.ai_input is None
    assert f"ai-input={value}" in signals.ignored


def test_contentsignal_framework_allow_disallow_pair() -> None:
    """specs.md 3.7: ai-train=disallow, ai-input=allow => ai-train no, ai-input unknown."""
    signals = parse_content_signal("ai-train=disallow, ai-input=allow")
    assert (signals.ai_train, signals.ai_input) == (DISALLOWED, None)


@pytest.mark.parametrize("item", ["ai_train=no", "search-ai=no", "ai-training=no", "ai-train"])
def test_contentsignal_typo_keys_ignored(item: str) -> None:
    """specs.md 3.7: typo'd or invented keys (and items without '=') are ignored, and listed."""
    (ev,) = header(f"{item}, search=yes")
    assert stances((ev,)) == {P.SEARCH: ALLOWED}
    assert f"ignored: {item}" in ev.note


def test_contentsignal_duplicate_key_no_wins() -> None:
    """specs.md 3.5 step 4: a duplicate key in one line merges, no winning (either order)."""
    assert parse_content_signal("ai-train=no, ai-train=yes").ai_train is DISALLOWED
    assert parse_content_signal("ai-train=yes, ai-train=no").ai_train is DISALLOWED
    assert parse_content_signal("search=yes, search=yes").search is ALLOWED


def test_contentsignal_use_recorded_without_stance() -> None:
    """specs.md 3.3/3.7: use=immediate|reference|full is a separate dimension, no stance."""
    signals = parse_content_signal("use=reference")
    assert signals.use == "reference"
    assert signals.stances == ()
    (ev,) = header("search=yes, use=full")
    assert "use=full" in ev.note
    assert stances((ev,)) == {P.SEARCH: ALLOWED}


def test_contentsignal_unknown_use_value_ignored() -> None:
    """specs.md 3.7: unknown use values are ignored."""
    signals = parse_content_signal("use=everything, ai-train=no")
    assert signals.use is None
    assert "use=everything" in signals.ignored


def test_contentsignal_repeated_use_keeps_least_permissive() -> None:
    """specs.md 3.3: use levels are ordered immediate < reference < full; merging keeps least."""
    assert parse_content_signal("use=full, use=immediate, use=reference").use == "immediate"


def test_contentsignal_empty_items_skipped() -> None:
    """specs.md 3.5: empty list items are nothing, not errors."""
    signals = parse_content_signal(" , ,search=yes,, ")
    assert signals.search is ALLOWED
    assert signals.ignored == ()


# --- robots.txt (3.3, 3.5, 3.7) -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Content-Signal", "Content-signal", "content-signal", "CONTENT-SIGNAL"]
)
def test_contentsignal_field_name_case_insensitive(name: str) -> None:
    """specs.md 3.7: Content-signal / content-signal / CONTENT-SIGNAL are the same field."""
    (ev,) = robots(f"User-agent: *\n{name}: ai-train=no\nAllow: /\n")
    assert stances((ev,)) == {P.TRAIN_AI: DISALLOWED}
    assert (ev.source, ev.location, ev.url, ev.agent) == ("robots.txt", "line 2", ROBOTS_URL, "*")


def test_contentsignal_robots_comment_stripped() -> None:
    """specs.md 3.5 step 1: '#' comments are stripped from Content-Signal lines."""
    (ev,) = robots("User-agent: *\nContent-Signal: ai-train=no # search=no\nAllow: /\n")
    assert ev.value == "ai-train=no"
    assert stances((ev,)) == {P.TRAIN_AI: DISALLOWED}


def test_contentsignal_several_lines_in_group_merge_no_wins() -> None:
    """specs.md 3.5 step 4: several Content-Signal lines in one group merge, no winning."""
    body = "User-agent: *\nContent-Signal: ai-train=yes, search=yes\nContent-Signal: ai-train=no\n"
    evidence = robots(body)
    assert len(evidence) == 2
    assert reserved(P.TRAIN_AI, evidence) is True
    assert reserved(P.SEARCH, evidence) is False


def test_contentsignal_preamble_is_lower_priority_default() -> None:
    """specs.md 3.7 [inferred]: lines before the first User-agent are a site-wide default."""
    body = (
        "Content-Signal: ai-train=no, ai-input=no\n"
        "User-agent: *\nContent-Signal: ai-train=yes\nAllow: /\n"
    )
    evidence = robots(body)
    assert stances(evidence) == {P.TRAIN_AI: ALLOWED, P.AI_INPUT: DISALLOWED}
    default = evidence[-1]
    assert default.agent is None
    assert default.location == "line 1"
    assert "superseded by group lines for train-ai" in default.note


def test_contentsignal_preamble_alone_applies() -> None:
    """specs.md 3.7 [inferred]: with no group lines at all, the preamble default applies."""
    body = "Content-Signal: ai-train=no\nUser-agent: *\nDisallow: /private\n"
    (ev,) = robots(body)
    assert ev.agent is None
    assert reserved(P.TRAIN_AI, (ev,)) is True


def test_contentsignal_wildcard_only_strict_reading() -> None:
    """specs.md 3.7: signal only in '*' while we have our own group => none (strict reading)."""
    body = "User-agent: *\nContent-Signal: ai-train=no\nAllow: /\n\nUser-agent: MyBot\nAllow: /\n"
    context = Context(user_agent="MyBot", wildcard_group_signals=False)
    assert robots(body, context=context) == ()


def test_contentsignal_wildcard_fallback_when_enabled() -> None:
    """specs.md 3.5 step 5 (documented deviation, default on): fall back to '*' group signals."""
    body = "User-agent: *\nContent-Signal: ai-train=no\nAllow: /\n\nUser-agent: MyBot\nAllow: /\n"
    (ev,) = robots(body, context=Context(user_agent="MyBot"))
    assert ev.agent == "*"
    assert "'*' group" in ev.note
    assert reserved(P.TRAIN_AI, (ev,)) is True


def test_contentsignal_named_group_wins_over_wildcard() -> None:
    """specs.md 3.5 step 5: the group selected for our product token (RFC 9309) is read."""
    (ev,) = robots(EXAMPLE2, context=Context(user_agent="ExampleAssistant"))
    assert ev.agent == "ExampleAssistant"


def test_contentsignal_disallowed_url_signal_is_moot_but_recorded() -> None:
    """specs.md 3.7: Disallow: / plus search=yes => still may not crawl; the signal is read."""
    body = "User-agent: *\nDisallow: /\nContent-Signal: search=yes\n"
    assert not parse(body).allowed("https://example.com/a", "*")
    assert stances(robots(body, "/a")) == {P.SEARCH: ALLOWED}


def test_contentsignal_group_without_rules_is_valid() -> None:
    """specs.md 3.7: Content-Signal: ai-train=no with no Allow/Disallow is valid."""
    body = "User-agent: *\nContent-Signal: ai-train=no\n"
    assert parse(body).allowed("https://example.com/x", "*")
    assert reserved(P.TRAIN_AI, robots(body, "/x")) is True


def test_contentsignal_line_does_not_split_user_agent_list() -> None:
    """specs.md 3.7 / RFC 9309 2.2.4: other records must not interfere with group structure."""
    body = "User-agent: a\nContent-Signal: ai-train=no\nUser-agent: b\nDisallow: /x\n"
    for agent in ("a", "b"):
        (ev,) = robots(body, "/", Context(user_agent=agent))
        assert reserved(P.TRAIN_AI, (ev,)) is True
        assert not parse(body).allowed("https://example.com/x", agent)


def test_contentsignal_cloudflare_managed_block_merges_with_origin_group() -> None:
    """specs.md 3.7: the prepended managed block gives two 'User-agent: *' groups: merged."""
    (ev,) = robots(CLOUDFLARE_MANAGED, "/shop")
    assert ev.location == "line 8"
    assert stances((ev,)) == {P.SEARCH: ALLOWED, P.TRAIN_AI: DISALLOWED}
    rules = parse(CLOUDFLARE_MANAGED)
    assert not rules.allowed("https://example.com/admin/x", "*")  # the origin's own rule
    assert not rules.allowed("https://example.com/", "GPTBot")


@pytest.mark.parametrize("state", [FileState.ABSENT, FileState.UNREACHABLE, FileState.NOT_FETCHED])
def test_contentsignal_robots_read_only_when_parsed(state: FileState) -> None:
    """specs.md 3.5 step 1: signals come from a robots.txt that was fetched and parsed."""
    assert robots("User-agent: *\nContent-Signal: ai-train=no\n", state=state) == ()


# --- Header (3.3) -------------------------------------------------------------------------------


def test_contentsignal_header_all_lines_merge_no_wins() -> None:
    """specs.md 3.3/3.5: every Content-Signal header line is read; duplicates merge, no wins."""
    (ev,) = header("ai-train=no, search=yes", "ai-train=yes")
    assert (ev.source, ev.location, ev.url) == ("header", "Content-Signal", None)
    assert ev.value == "ai-train=no, search=yes, ai-train=yes"
    assert stances((ev,)) == {P.TRAIN_AI: DISALLOWED, P.SEARCH: ALLOWED}


def test_contentsignal_no_header_no_evidence() -> None:
    """No Content-Signal header: nothing to record."""
    assert header() == ()


def test_contentsignal_robots_no_beats_header_yes() -> None:
    """specs.md 3.7 [inferred]: robots.txt ai-train=no, header ai-train=yes => most restrictive."""
    evidence = header("ai-train=yes, search=yes, ai-input=yes") + robots(
        "User-agent: *\nContent-Signal: ai-train=no\n"
    )
    assert reserved(P.TRAIN_AI, evidence) is True
    assert reserved(P.SEARCH, evidence) is False


# --- 3.6 examples -------------------------------------------------------------------------------


def test_contentsignal_example1() -> None:
    """specs.md 3.6 example 1: search yes, training no, RAG unstated."""
    evidence = robots("User-Agent: *\nContent-Signal: search=yes, ai-train=no\nAllow: /\n")
    assert stances(evidence) == {P.SEARCH: ALLOWED, P.TRAIN_AI: DISALLOWED}
    assert reserved(P.AI_INPUT, evidence) is None


EXAMPLE2 = """User-Agent: *
Content-Signal: search=yes, ai-input=no, ai-train=no
Allow: /

User-Agent: ExampleAssistant
Content-Signal: ai-input=yes
Allow: /
"""


def test_contentsignal_example2_per_crawler() -> None:
    """specs.md 3.6 example 2: ExampleAssistant => ai-input yes, search/ai-train unknown."""
    evidence = robots(EXAMPLE2, context=Context(user_agent="ExampleAssistant"))
    assert stances(evidence) == {P.AI_INPUT: ALLOWED}
    assert stances(robots(EXAMPLE2, context=Context(user_agent="OtherBot"))) == {
        P.SEARCH: ALLOWED,
        P.AI_INPUT: DISALLOWED,
        P.TRAIN_AI: DISALLOWED,
    }


def test_contentsignal_example3_managed_use() -> None:
    """specs.md 3.6 example 3: 2026 managed form with use=reference."""
    (ev,) = robots(
        "User-agent: *\nContent-Signal: search=yes,ai-train=no,use=reference\nAllow: /\n"
    )
    assert stances((ev,)) == {P.SEARCH: ALLOWED, P.TRAIN_AI: DISALLOWED}
    assert "use=reference" in ev.note


def test_contentsignal_example4_header_conflicts_with_robots() -> None:
    """specs.md 3.6 example 4: Markdown header all-yes, robots.txt ai-train=no => disallowed."""
    evidence = header("ai-train=yes, search=yes, ai-input=yes") + robots(
        "User-agent: *\nContent-Signal: ai-train=no\nAllow: /\n"
    )
    assert reserved(P.TRAIN_AI, evidence) is True
    assert reserved(P.AI_INPUT, evidence) is False


CLOUDFLARE_MANAGED = """# As a condition of accessing this website, you agree to abide by the
# following content signals: (policy comments abridged)
# ai-train: training or fine-tuning AI models.

# BEGIN Cloudflare Managed content

User-Agent: *
Content-signal: search=yes, ai-train=no
Allow: /

User-agent: GPTBot
Disallow: /

User-agent: CCBot
Disallow: /

# END Cloudflare Managed Content

User-agent: *
Disallow: /admin/
"""


# --- Hostile input ------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=80), st.binary(max_size=80)))
def test_contentsignal_parse_never_raises(value: str | bytes) -> None:
    """Hostile input: any value parses to signals, never an exception; each purpose once, and a
    plain ``<key>=no`` item anywhere is a "no" whatever surrounds it (spec 3.5 step 4)."""
    signals = parse_content_signal(value)
    purposes = [p for p, _ in signals.stances]
    assert len(purposes) == len(set(purposes))
    assert set(purposes) <= {P.SEARCH, P.AI_INPUT, P.TRAIN_AI}
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    items = {item.strip(" \t").lower() for item in text.split(",")}
    for key, purpose in (("search", P.SEARCH), ("ai-input", P.AI_INPUT), ("ai-train", P.TRAIN_AI)):
        if f"{key}=no" in items:
            assert (purpose, DISALLOWED) in signals.stances


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.lists(st.text(max_size=40), max_size=3))
def test_contentsignal_signal_never_raises(body: bytes, values: list[str]) -> None:
    """Hostile input: any robots.txt and header values give evidence, never an exception."""
    data = b"Content-Signal: " + body
    from_file = robots(data.decode("latin-1"), "/")
    records = parse(data.decode("latin-1")).extension_records("*", "content-signal")
    assert [e.value for e in from_file] == [r.value for r in records]  # one per line, as written
    from_headers = header(*values)
    joined = ", ".join(t for v in values if (t := v.strip(" \t")))
    if values:  # all lines read as one value (spec 5.6 / RFC 9110 5.3)
        (evidence,) = from_headers
        assert evidence.stances == parse_content_signal(joined).stances
    else:
        assert from_headers == ()
