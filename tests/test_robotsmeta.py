"""noai / noimageai and other robots directives as AI opt-outs (robotsmeta.py, specs.md 5)."""

from __future__ import annotations

import pytest

from optout_middleware.inputs import Context, HeaderList, ResponseView
from optout_middleware.signals.robotsmeta import RobotsMetaSignal, split_scope
from optout_middleware.verdict import Evidence, Purpose, Stance, combine

SIGNAL = RobotsMetaSignal()
DEFAULT = Context()
TRAIN_AND_INPUT = ((Purpose.TRAIN_AI, Stance.DISALLOWED), (Purpose.AI_INPUT, Stance.DISALLOWED))
GENAI = ((Purpose.TRAIN_GENAI, Stance.DISALLOWED),)


def page(head: str = "", *headers: tuple[str, str], status: int = 200) -> ResponseView:
    body = f"<!doctype html><html><head>{head}</head><body><p>text</p></body></html>".encode()
    pairs = [("Content-Type", "text/html; charset=utf-8"), *headers]
    return ResponseView(
        "https://pub.example/a", status=status, headers=HeaderList(pairs), body=body
    )


def image(*headers: tuple[str, str]) -> ResponseView:
    pairs = [("Content-Type", "image/png"), *headers]
    return ResponseView("https://cdn.example/a.png", headers=HeaderList(pairs), body=b"\x89PNG")


def xrt(value: str) -> tuple[str, str]:
    return ("X-Robots-Tag", value)


def evidence(response: ResponseView, context: Context = DEFAULT) -> list[Evidence]:
    return list(SIGNAL.response_evidence(response, context))


def reserved(purpose: Purpose, response: ResponseView, context: Context = DEFAULT) -> bool | None:
    return combine(purpose, evidence(response, context)).reserved


# --- 5.1 meaning -----------------------------------------------------------------------------


def test_noai_reserves_training_and_input_but_not_search() -> None:
    """specs.md 5.1/0: noai = no AI use (training and input) of the resource; search is not AI."""
    response = page('<meta name="robots" content="noai">')
    assert reserved(Purpose.TRAIN_AI, response) is True
    assert reserved(Purpose.TRAIN_GENAI, response) is True
    assert reserved(Purpose.AI_INPUT, response) is True
    assert reserved(Purpose.TDM, response) is True
    assert reserved(Purpose.SEARCH, response) is None


def test_noimageai_reserves_an_image_response() -> None:
    """specs.md 5.1: noimageai = no AI use of the images of/at this resource."""
    [ev] = evidence(image(xrt("noimageai")))
    assert ev.stances == TRAIN_AND_INPUT


def test_noimageai_on_a_page_is_recorded_without_stance() -> None:
    """specs.md 5.1: noimageai leaves a page's text usable; it is kept as information."""
    response = page('<meta name="robots" content="noimageai">')
    [ev] = evidence(response)
    assert ev.stances == ()
    assert "not this page's text" in ev.note
    assert reserved(Purpose.TRAIN_AI, response) is None


def test_index_follow_gives_no_evidence() -> None:
    """specs.md 5.2: directives that reserve nothing produce no evidence."""
    assert evidence(page('<meta name="robots" content="index, follow, max-snippet:-1">')) == []


def test_unknown_directives_are_ignored() -> None:
    """specs.md 5.1: unknown robots directives are ignored (as search engines do)."""
    assert evidence(page("", xrt("noml, notrain, nofun"))) == []


# --- 5.2 syntax ------------------------------------------------------------------------------


def test_meta_name_robots_addresses_every_crawler() -> None:
    """specs.md 5.2: name="robots" applies to all crawlers."""
    [ev] = evidence(page('<meta name="robots" content="noai">'))
    assert ev.agent is None
    assert ev.stances == TRAIN_AND_INPUT


def test_meta_crawler_name_addresses_only_that_crawler() -> None:
    """specs.md 5.2: a crawler name as meta name applies to that crawler only."""
    assert evidence(page('<meta name="googlebot" content="noai">')) == []
    [ev] = evidence(page('<meta name="GPTBot" content="noai">'))
    assert ev.agent == "gptbot"


def test_meta_name_of_our_own_token_counts() -> None:
    """specs.md 5.2: a meta naming our own product token addresses us."""
    context = Context(user_agent="MyBot", ai_agents=())
    [ev] = evidence(page('<meta name="mybot" content="noai">'), context)
    assert ev.agent == "mybot"


def test_meta_name_and_content_are_case_insensitive() -> None:
    """specs.md 5.2: both name and content are case-insensitive."""
    [ev] = evidence(page('<meta NAME="ROBOTS" CONTENT="NoAI">'))
    assert ev.value == "NoAI"
    assert ev.stances == TRAIN_AND_INPUT


def test_meta_content_is_a_comma_separated_list() -> None:
    """specs.md 5.2: content is a comma-separated list of directives."""
    [ev] = evidence(page('<meta name="robots" content="index , follow,noai">'))
    assert ev.stances == TRAIN_AND_INPUT


def test_x_robots_tag_works_for_non_html_files() -> None:
    """specs.md 5.2: the same directives as an HTTP header, usable for non-HTML files."""
    response = ResponseView(
        "https://pub.example/a.pdf",
        headers=HeaderList([("Content-Type", "application/pdf"), xrt("noai")]),
    )
    assert reserved(Purpose.TRAIN_AI, response) is True


def test_x_robots_tag_without_ua_applies_to_every_crawler() -> None:
    """specs.md 5.2: without a UA prefix the header applies to all crawlers."""
    [ev] = evidence(page("", xrt("noai")))
    assert ev.agent is None


def test_x_robots_tag_ua_prefix_scopes_the_line() -> None:
    """specs.md 5.2: "<ua>: <directives>" applies to that crawler only."""
    assert evidence(page("", xrt("googlebot: noai"))) == []
    [ev] = evidence(page("", xrt("GPTBot: noai")))
    assert ev.agent == "GPTBot"


def test_conflicting_directives_most_restrictive_wins() -> None:
    """specs.md 5.2: conflicting directives resolve to the most restrictive."""
    response = page(
        '<meta name="robots" content="all"><meta name="robots" content="noai">', xrt("index")
    )
    assert reserved(Purpose.TRAIN_AI, response) is True


# --- 5.5 examples ----------------------------------------------------------------------------


def test_example1_page_level_noai_noimageai_for_all_crawlers() -> None:
    """specs.md 5.5 example 1: the page is reserved; noimageai is informational on a page."""
    response = page('<meta name="robots" content="noai, noimageai">')
    found = evidence(response)
    assert [e.stances for e in found] == [TRAIN_AND_INPUT, ()]
    assert reserved(Purpose.TRAIN_AI, response) is True


def test_example2_image_response_x_robots_tag_noai() -> None:
    """specs.md 5.5 example 2: an image with X-Robots-Tag: noai is reserved."""
    response = image(xrt("noai"))
    assert reserved(Purpose.TRAIN_AI, response) is True
    assert reserved(Purpose.SEARCH, response) is None


def test_example3_crawler_scoped_header_lines() -> None:
    """specs.md 5.5 example 3: googlebot line ignored, img2dataset line (both directives)
    counts for img2dataset, unavailable_after is a global directive, not a UA."""
    response = image(
        xrt("googlebot: noindex"),
        xrt("img2dataset: noai, noimageai"),
        xrt("unavailable_after: 31 Dec 2030 23:59:59 GMT"),
    )
    found = evidence(response)
    assert [(e.agent, e.note.split(":")[0]) for e in found] == [
        ("img2dataset", "noai"),
        ("img2dataset", "noimageai"),
    ]
    assert split_scope("unavailable_after: 31 Dec 2030 23:59:59 GMT", DEFAULT)[0] is None


def test_example4_crawler_specific_meta() -> None:
    """specs.md 5.5 example 4: CCBot => noai; a crawl not counting CCBot sees no restriction."""
    head = '<meta name="CCBot" content="noai"><meta name="robots" content="index, follow">'
    [ev] = evidence(page(head))
    assert ev.agent == "ccbot"
    assert reserved(Purpose.TRAIN_AI, page(head), Context(ai_agents=("GPTBot",))) is None


# --- 5.6 edge cases --------------------------------------------------------------------------


def test_directives_are_case_insensitive() -> None:
    """specs.md 5.6: content="NoAI" and X-Robots-Tag: NOIMAGEAI match."""
    assert reserved(Purpose.TRAIN_AI, page('<meta name="robots" content="NoAI">')) is True
    assert reserved(Purpose.TRAIN_AI, image(xrt("NOIMAGEAI"))) is True


def test_comma_without_space_separates_directives() -> None:
    """specs.md 5.6: "noai,noimageai" is two directives."""
    found = evidence(image(xrt("noai,noimageai")))
    assert [e.stances for e in found] == [TRAIN_AND_INPUT, TRAIN_AND_INPUT]
    assert ["noai" in found[0].note, "noimageai" in found[1].note] == [True, True]


def test_repeated_headers_mean_the_same_as_one_combined_header() -> None:
    """specs.md 5.6: repeated X-Robots-Tag headers = one comma-separated header."""
    split = evidence(image(xrt("noai"), xrt("noimageai")))
    combined = evidence(image(xrt("noai, noimageai")))
    assert [e.stances for e in split] == [e.stances for e in combined]
    assert [e.note for e in split] == [e.note for e in combined]


def test_ua_prefix_applies_to_all_directives_on_the_line() -> None:
    """specs.md 5.6: "bot: noai, noimageai" scopes both; the second is not global."""
    assert evidence(image(xrt("otherbot: noai, noimageai"))) == []
    found = evidence(image(xrt("img2dataset: noai, noimageai")))
    assert [e.agent for e in found] == ["img2dataset", "img2dataset"]


def test_ua_prefix_is_matched_after_stripping_and_case_insensitively() -> None:
    """specs.md 5.3: the UA compares case-insensitively; we also strip spaces around it
    (img2dataset does not, so "img2dataset : noai" escapes it; it does not escape us)."""
    [ev] = evidence(image(xrt("IMG2DATASET : noai")))
    assert ev.agent == "IMG2DATASET"


def test_ua_with_space_counts_only_when_it_is_a_known_agent() -> None:
    """A pre-colon part with a space is a directive list unless it names a counted agent."""
    context = Context(ai_agents=("ChatGPT Agent",))
    [ev] = evidence(page("", xrt("ChatGPT Agent: noai")), context)
    assert ev.agent == "ChatGPT Agent"
    assert split_scope("noindex nofollow: x", DEFAULT)[0] is None


@pytest.mark.parametrize(
    "directive", ["unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"]
)
def test_colon_bearing_directive_is_not_a_ua(directive: str) -> None:
    """specs.md 5.6: a known colon-bearing directive before the colon is not a UA scope."""
    [ev] = evidence(page("", xrt(f"{directive}: 20, noai")))
    assert ev.agent is None
    assert ev.stances == TRAIN_AND_INPUT


def test_directive_list_before_colon_is_not_a_ua() -> None:
    """specs.md 5.6: "noai, unavailable_after: <date>" is a directive list, not a UA."""
    [ev] = evidence(page("", xrt("noai, unavailable_after: 25 Jun 2030 15:00:00 PST")))
    assert ev.agent is None


def test_none_is_an_opt_out_only_when_enabled() -> None:
    """specs.md 5.6: none counts only for tools honouring index directives (datadiligence)."""
    response = page('<meta name="robots" content="none">')
    assert evidence(response) == []
    enabled = Context(extra_robots_directives=frozenset({"none"}))
    [ev] = evidence(response, enabled)
    assert ev.stances == TRAIN_AND_INPUT


def test_noindex_alone_is_not_an_opt_out_unless_enabled() -> None:
    """specs.md 5.6: noindex is not an AI opt-out by definition; img2dataset's reading is an
    opt-in extra (Context.extra_robots_directives)."""
    response = image(xrt("noindex"))
    assert reserved(Purpose.TRAIN_AI, response) is None
    enabled = Context(extra_robots_directives=frozenset({"noindex"}))
    assert reserved(Purpose.TRAIN_AI, response, enabled) is True


def test_noimageindex_when_enabled_reserves_images_only() -> None:
    """specs.md 5.3: img2dataset's noimageindex reading applies to images, not pages."""
    enabled = Context(extra_robots_directives=frozenset({"noimageindex"}))
    assert reserved(Purpose.TRAIN_AI, image(xrt("noimageindex")), enabled) is True
    [ev] = evidence(page("", xrt("noimageindex")), enabled)
    assert ev.stances == ()


def test_multiple_robots_metas_apply_robots_plus_those_naming_us() -> None:
    """specs.md 5.6: a crawler applies robots plus metas naming it; most restrictive wins."""
    head = (
        '<meta name="robots" content="index"><meta name="googlebot" content="noai">'
        '<meta name="gptbot" content="noai">'
    )
    found = evidence(page(head))
    assert [e.location for e in found] == ['meta name="gptbot"']
    assert reserved(Purpose.TRAIN_AI, page(head)) is True


def test_robots_meta_in_body_is_not_read() -> None:
    """Deviation from specs.md 5.6 [inferred]: a robots meta in <body> is not read (only the
    head is parsed, to keep the cost independent of page size)."""
    body = b"<html><head></head><body><meta name=robots content=noai></body></html>"
    response = ResponseView(
        "https://pub.example/", body=body, headers=HeaderList([("Content-Type", "text/html")])
    )
    assert evidence(response) == []


def test_x_robots_tag_on_redirect_applies_to_that_response_only() -> None:
    """specs.md 5.6: a 3xx X-Robots-Tag is evidence for the redirect response itself."""
    [ev] = evidence(page("", xrt("noai"), status=301))
    assert ev.stances == TRAIN_AND_INPUT
    assert "redirect response only" in ev.note
    [final] = evidence(page("", xrt("noai")))
    assert "redirect" not in final.note


# --- 5.4 vendor readings ---------------------------------------------------------------------


def test_disallowaitraining_reserves_generative_training() -> None:
    """specs.md 5.4: the Microsoft draft's DisallowAITraining value = no generative training."""
    response = page('<meta name="robots" content="DisallowAITraining">')
    [ev] = evidence(response)
    assert ev.stances == GENAI
    assert reserved(Purpose.TRAIN_GENAI, response) is True
    assert reserved(Purpose.AI_INPUT, response) is None


def test_bing_noarchive_reserves_generative_training_when_enabled() -> None:
    """specs.md 5.4: Bing reads noarchive as no generative AI training (opt-in extra)."""
    response = page('<meta name="robots" content="noarchive">')
    assert evidence(response) == []
    enabled = Context(extra_robots_directives=frozenset({"noarchive"}))
    assert reserved(Purpose.TRAIN_GENAI, response, enabled) is True
    assert reserved(Purpose.SEARCH, response, enabled) is None


def test_bing_nocache_reserves_generative_training_when_enabled() -> None:
    """specs.md 5.4: nocache = only URL/title/snippet used for training; read as reserving the
    content for generative training when enabled, nothing by default."""
    response = page("", xrt("nocache"))
    assert evidence(response) == []
    [ev] = evidence(response, Context(extra_robots_directives=frozenset({"nocache"})))
    assert ev.stances == GENAI
    assert "snippet" in ev.note


def test_bing_noarchive_and_nocache_together_read_as_nocache() -> None:
    """specs.md 5.4: both present => Bing treats the page as nocache."""
    enabled = Context(extra_robots_directives=frozenset({"noarchive", "nocache"}))
    found = evidence(page('<meta name="robots" content="noarchive, nocache">'), enabled)
    assert [(e.note.split(":")[0], e.stances) for e in found] == [
        ("noarchive", ()),
        ("nocache", GENAI),
    ]


# --- evidence shape and leniency -------------------------------------------------------------


def test_evidence_records_raw_value_source_and_location() -> None:
    """Evidence keeps the header line / meta content as found, and where it was."""
    [header] = evidence(page("", xrt("GPTBot: NoAI, index")))
    assert (header.family, header.source, header.value, header.location) == (
        "robots-meta",
        "header",
        "GPTBot: NoAI, index",
        "X-Robots-Tag",
    )
    [meta] = evidence(page('<meta name="robots" content=" noai ">'))
    assert (meta.source, meta.value, meta.location) == ("meta", "noai", 'meta name="robots"')


def test_space_separated_directives_are_read_leniently() -> None:
    """A list written with spaces instead of commas is read, with a note saying so."""
    [ev, _] = evidence(page('<meta name="robots" content="noai noimageai">'))
    assert ev.stances == TRAIN_AND_INPUT
    assert "leniently" in ev.note


def test_repeated_directive_on_one_line_gives_one_evidence() -> None:
    """A directive written twice in one value is recorded once."""
    assert len(evidence(page("", xrt("noai, NOAI")))) == 1
