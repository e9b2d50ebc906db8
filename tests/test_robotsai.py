"""Tests for optout_middleware.signals.robotsai: AI opt-out evidence read from robots.txt."""

from __future__ import annotations

from pathlib import Path

from optout_middleware.formats.robotstxt import parse
from optout_middleware.inputs import Context, FileState, SiteFile, SiteFiles
from optout_middleware.signals.robotsai import RobotsSignal
from optout_middleware.testing import make_site, verdict_for
from optout_middleware.verdict import Evidence, Purpose, Stance, allows, combine

DATA = Path(__file__).parent / "data" / "robots"
ROBOTS_URL = "https://example.com/robots.txt"
SIGNAL = RobotsSignal()


def site(robots: str | bytes) -> SiteFiles:
    parsed = parse(robots)
    return SiteFiles(
        origin="https://example.com",
        robots=SiteFile(state=FileState.PARSED, url=ROBOTS_URL, parsed=parsed, status=200),
    )


def evidence(
    robots: str | bytes, url: str = "https://example.com/page", context: Context | None = None
) -> list[Evidence]:
    return list(SIGNAL.site_evidence(site(robots), url, context or Context()))


def by_agent(found: list[Evidence]) -> dict[str | None, Evidence]:
    return {e.agent: e for e in found}


# --- 1. Unreachable robots.txt ------------------------------------------------------------------


def unreachable(status: int | None = 503, error: str | None = None) -> SiteFiles:
    return SiteFiles(
        robots=SiteFile(state=FileState.UNREACHABLE, url=ROBOTS_URL, status=status, error=error)
    )


def test_unreachable_robots_txt_is_complete_disallow() -> None:
    """specs.md 6.1 (RFC 9309 2.3.1.4): 5xx or network error: MUST assume complete disallow."""
    found = list(SIGNAL.site_evidence(unreachable(503), "https://example.com/a", Context()))
    assert len(found) == 1
    ev = found[0]
    assert ev.stances == ((Purpose.TDM, Stance.DISALLOWED),)
    assert ev.value == "unreachable (status 503)"
    assert (ev.family, ev.source, ev.url) == ("robotstxt", "robots.txt", ROBOTS_URL)
    assert "2.3.1.4" in ev.note
    assert combine(Purpose.TRAIN_AI, found).reserved is True


def test_unreachable_network_error_names_the_error() -> None:
    """specs.md 6.5: a network error is unreachable too; the value says which error."""
    found = list(
        SIGNAL.site_evidence(
            unreachable(None, "DNS lookup failed"), "https://example.com/a", Context()
        )
    )
    assert [e.value for e in found] == ["unreachable (DNS lookup failed)"]


def test_unreachable_reservation_can_be_switched_off() -> None:
    """Context.robots_unreachable_reserves=False: an unreachable file says nothing."""
    context = Context(robots_unreachable_reserves=False)
    assert list(SIGNAL.site_evidence(unreachable(), "https://example.com/a", context)) == []


def test_absent_or_unfetched_robots_txt_says_nothing() -> None:
    """specs.md 6.1: 4xx means no rules (allow-all for crawling), and no AI opt-out."""
    for state in (FileState.ABSENT, FileState.NOT_FETCHED):
        files = SiteFiles(robots=SiteFile(state=state, url=ROBOTS_URL, status=404))
        assert list(SIGNAL.site_evidence(files, "https://example.com/a", Context())) == []


# --- 2. Groups naming AI tokens -----------------------------------------------------------------


def test_training_token_disallow_reserves_training() -> None:
    """specs.md 0: Disallow for a training-only token (GPTBot) refuses that operator's training."""
    found = evidence("User-agent: *\nAllow: /\n\nUser-agent: GPTBot\nDisallow: /\n")
    assert len(found) == 1
    ev = found[0]
    assert ev.stances == ((Purpose.TRAIN_AI, Stance.DISALLOWED),)
    assert (ev.agent, ev.location, ev.path, ev.value) == ("GPTBot", "line 5", "/", "Disallow: /")
    assert ev.url == ROBOTS_URL
    assert combine(Purpose.TRAIN_AI, found).reserved is True
    assert combine(Purpose.SEARCH, found).reserved is None


def test_every_named_token_gives_evidence() -> None:
    """specs.md 6.4 example 1: each training token of a shared group is evidence."""
    found = by_agent(
        evidence(
            "User-agent: GPTBot\nUser-agent: ClaudeBot\nUser-agent: CCBot\nUser-agent: "
            "Google-Extended\nUser-agent: Applebot-Extended\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
        )
    )
    assert set(found) == {"GPTBot", "ClaudeBot", "CCBot", "Google-Extended", "Applebot-Extended"}
    assert all(e.stances == ((Purpose.TRAIN_AI, Stance.DISALLOWED),) for e in found.values())


def test_star_group_is_not_an_ai_opt_out() -> None:
    """'User-agent: *' rules are acquisition for every crawler; they never stand in for a token."""
    assert evidence("User-agent: *\nDisallow: /\n") == []


def test_token_group_allowing_the_url_is_crawl_permission_with_no_stance() -> None:
    """specs.md section 0 (review F6): an Allow for an AI token is acquisition, not usage; it is
    recorded (which rule decided) but maps to no purpose, so it never makes a verdict False."""
    found = evidence("User-agent: GPTBot\nDisallow: /private/\nAllow: /page\n")
    assert [(e.stances, e.location, e.path) for e in found] == [((), "line 3", "/page")]
    assert "not a permission to use" in found[0].note
    assert combine(Purpose.TRAIN_AI, found).reserved is None


def test_token_group_without_matching_rule_is_recorded_at_group_line_with_no_stance() -> None:
    """RFC 9309 2.2.2: no matching rule may be crawled; specs.md 0: that says nothing of use."""
    found = evidence("# hi\nUser-agent: CCBot\nDisallow: /private/\n")
    assert [(e.stances, e.location, e.path) for e in found] == [((), "line 2", None)]


def test_review_f6_ai_group_allow_is_not_a_training_permission() -> None:
    """Review F6, the reported inputs: none of them is an explicit allow (reserved False)."""
    for robots in (
        "User-agent: GPTBot\nDisallowAITraining: /\nAllow: /\n",
        "User-agent: GPTBot\nContent-Signal: ai-train=no\nAllow: /\n",
        "User-agent: GPTBot\nAllow: /\n\nUser-agent: *\nDisallow: /\n",
    ):
        site = make_site("https://example.com/", robots=robots)
        context = Context(user_agent="MyBot")
        assert verdict_for(url="https://example.com/a", site=site, context=context).reserved is None


def test_token_purpose_comes_from_the_agent_table() -> None:
    """specs.md 6.3: a search token's group speaks about search, a user-fetch token's about input."""
    context = Context(ai_agents=("OAI-SearchBot", "ChatGPT-User"))
    found = by_agent(
        evidence(
            "User-agent: OAI-SearchBot\nUser-agent: ChatGPT-User\nDisallow: /\n", context=context
        )
    )
    assert found["OAI-SearchBot"].stances == ((Purpose.SEARCH, Stance.DISALLOWED),)
    assert found["ChatGPT-User"].stances == ((Purpose.AI_INPUT, Stance.DISALLOWED),)


def test_unknown_token_is_read_as_training() -> None:
    """A user-configured token missing from the table counts as train-ai (and says so)."""
    found = evidence(
        "User-agent: NewAIBot\nDisallow: /\n", context=Context(ai_agents=("NewAIBot",))
    )
    assert found[0].stances == ((Purpose.TRAIN_AI, Stance.DISALLOWED),)
    assert "train-ai" in found[0].note


def test_token_matched_whole_not_by_prefix() -> None:
    """robots-parsers.md 2: a 'User-agent: GPT' group does not name GPTBot."""
    assert evidence("User-agent: GPT\nDisallow: /\n") == []


def test_token_with_version_in_robots_txt_still_counts() -> None:
    """specs.md 6.5: 'User-agent: GPTBot/1.1' is read as GPTBot."""
    assert [e.agent for e in evidence("User-agent: GPTBot/1.1\nDisallow: /\n")] == ["GPTBot"]


def test_token_with_space_is_found_under_its_first_word() -> None:
    """specs.md 6.2: 'User-agent: ChatGPT Agent' (as ai.robots.txt writes it) addresses
    'ChatGPT' when read as Google reads values; the token is looked up under that first word."""
    context = Context(ai_agents=("ChatGPT Agent",))
    for robots in (
        "User-agent: ChatGPT Agent\nDisallow: /\n",
        "User-agent: ChatGPT\nDisallow: /\n",
    ):
        found = evidence(robots, context=context)
        assert [(e.agent, e.stances) for e in found] == [
            ("ChatGPT Agent", ((Purpose.AI_INPUT, Stance.DISALLOWED),))
        ]
        assert "first word" in found[0].note


def test_ai_token_group_value_is_its_first_word() -> None:
    """A hand-written 'User-agent: GPTBot OpenAI' is GPTBot's group (Google's reading): the
    opt-out is not missed."""
    found = evidence("User-agent: GPTBot OpenAI\nDisallow: /\n")
    assert [(e.agent, e.stances) for e in found] == [
        ("GPTBot", ((Purpose.TRAIN_AI, Stance.DISALLOWED),))
    ]
    tabbed = evidence(
        "User-agent: Ai2Bot-Dolma\tAllen AI\nDisallow: /\n",
        context=Context(ai_agents=("Ai2Bot-Dolma",)),
    )
    assert [e.agent for e in tabbed] == ["Ai2Bot-Dolma"]


def test_tokens_differing_only_in_case_give_one_evidence() -> None:
    """specs.md 6.2: case-only duplicates (meta-externalagent) are one agent."""
    context = Context(ai_agents=("meta-externalagent", "Meta-ExternalAgent"))
    assert len(evidence("User-agent: meta-externalagent\nDisallow: /\n", context=context)) == 1


def test_crawlers_own_rules_are_not_usage_evidence() -> None:
    """specs.md 0: the crawler's own Allow/Disallow is acquisition, kept out of usage evidence."""
    context = Context(user_agent="MyCrawler", ai_agents=())
    assert evidence("User-agent: MyCrawler\nDisallow: /\n", context=context) == []


def test_unknown_record_between_agents_does_not_hide_a_reservation() -> None:
    """robots-parsers.md 4: Content-Signal between GPTBot and CCBot keeps GPTBot's Disallow."""
    found = by_agent(
        evidence(
            "User-agent: GPTBot\nContent-Signal: ai-train=no\nUser-agent: CCBot\nDisallow: /\n"
        )
    )
    assert found["GPTBot"].stances == ((Purpose.TRAIN_AI, Stance.DISALLOWED),)


def test_any_token_disallow_reserves_despite_another_tokens_allow() -> None:
    """verdict.py: within the family a disallow wins ties, so one blocked trainer reserves."""
    found = evidence("User-agent: GPTBot\nAllow: /\n\nUser-agent: CCBot\nDisallow: /\n")
    assert {e.agent: e.stances for e in found} == {
        "GPTBot": (),
        "CCBot": ((Purpose.TRAIN_AI, Stance.DISALLOWED),),
    }
    assert combine(Purpose.TRAIN_AI, found).reserved is True


def test_cloudflare_managed_file() -> None:
    """specs.md 3.3: the managed file blocks the named AI crawlers; '*' allows everything."""
    found = evidence((DATA / "cloudflare-managed.txt").read_bytes())
    disallowed = {e.agent for e in found if e.stances[0][1] is Stance.DISALLOWED}
    assert {"GPTBot", "CCBot", "ClaudeBot", "Google-Extended", "Bytespider"} <= disallowed
    verdict = combine(Purpose.TRAIN_AI, found)
    assert verdict.reserved is True
    assert verdict.decided_by is not None
    assert verdict.decided_by.family == "robotstxt"


# --- 3. DisallowAITraining / AllowAITraining ----------------------------------------------------

SPEC_7_1 = "User-agent: *\nAllow: /\nDisallowAITraining: /\nAllowAITraining: /open-data/\n"


def training(found: list[Evidence]) -> list[Evidence]:
    return [e for e in found if any(p is Purpose.TRAIN_GENAI for p, _ in e.stances)]


def test_disallow_ai_training_reserves_generative_training() -> None:
    """specs.md 7.1 [inferred]: a matching DisallowAITraining disallows train-genai."""
    found = training(evidence(SPEC_7_1, "https://example.com/blog/post"))
    assert [(e.stances, e.location, e.path, e.agent) for e in found] == [
        (((Purpose.TRAIN_GENAI, Stance.DISALLOWED),), "line 3", "/", "*")
    ]
    assert found[0].value == "DisallowAITraining: /"
    assert combine(Purpose.TRAIN_GENAI, found).reserved is True
    assert combine(Purpose.TRAIN_AI, found).reserved is True  # training any model includes it


def test_ai_training_rules_use_longest_match() -> None:
    """specs.md 7.1 example: '/open-data/x.csv' is allowed by the longer AllowAITraining."""
    found = training(evidence(SPEC_7_1, "https://example.com/open-data/x.csv"))
    assert [(e.stances, e.path) for e in found] == [(allows(Purpose.TRAIN_GENAI), "/open-data/")]


def test_ai_training_tie_goes_to_allow() -> None:
    """specs.md 7.1 [inferred]: Allow wins ties, as in RFC 9309."""
    found = training(
        evidence(
            "User-agent: *\nDisallowAITraining: /a\nAllowAITraining: /a\n", "https://example.com/a"
        )
    )
    assert found[0].stances == allows(Purpose.TRAIN_GENAI)


def test_empty_disallow_ai_training_matches_nothing() -> None:
    """specs.md 7.3: 'DisallowAITraining:' with an empty value matches nothing."""
    assert training(evidence("User-agent: *\nDisallowAITraining:\n")) == []


def test_disallow_ai_training_before_any_group_is_site_wide() -> None:
    """specs.md 7.3 (documented deviation): outside any group it applies to every agent."""
    found = training(evidence("DisallowAITraining: /\n\nUser-agent: *\nAllow: /\n"))
    assert [(e.stances[0][1], e.agent) for e in found] == [(Stance.DISALLOWED, None)]


def test_disallow_ai_training_field_name_case_insensitive() -> None:
    """specs.md 7.3: case variants ('disallowaitraining') are accepted."""
    assert len(training(evidence("User-agent: *\ndisallowaitraining: /\n"))) == 1


def test_ai_training_rules_from_crawlers_own_group() -> None:
    """specs.md 7.1: the group selected for the crawler's token is read first."""
    context = Context(user_agent="ExampleCrawler")
    robots = (DATA / "ai-control.txt").read_bytes()
    open_data = training(evidence(robots, "https://example.com/open-data/a", context))
    blog = training(evidence(robots, "https://example.com/blog", context))
    assert [(e.stances[0][1], e.agent, e.location) for e in open_data] == [
        (Stance.ALLOWED, "ExampleCrawler", "line 12")
    ]
    assert [(e.stances[0][1], e.location) for e in blog] == [(Stance.DISALLOWED, "line 13")]


def test_ai_training_rules_fall_back_to_star_group() -> None:
    """specs.md 3.5 step 5 option: a named group without such rules uses the '*' group's."""
    robots = "User-agent: *\nDisallowAITraining: /\nAllow: /\nUser-agent: Me\nAllow: /\n"
    context = Context(user_agent="Me")
    assert [e.agent for e in training(evidence(robots, context=context))] == ["*"]
    off = Context(user_agent="Me", wildcard_group_signals=False)
    assert training(evidence(robots, context=off)) == []


def test_ai_training_fields_fall_back_together() -> None:
    """The named group's AllowAITraining alone is its whole AI-training rule set."""
    robots = (
        "User-agent: *\nDisallowAITraining: /\nAllow: /\nUser-agent: Me\nAllowAITraining: /open/\n"
    )
    context = Context(user_agent="Me")
    assert training(evidence(robots, "https://example.com/blog", context)) == []


def test_disallow_ai_training_is_not_a_disallow() -> None:
    """specs.md 7.3: an extension line is no crawl rule (robots-parsers.md 4 probe)."""
    assert parse("User-agent: *\nDisallowAITraining: /\n").allowed("/page", "Any")


def test_disallow_ai_training_combined_with_content_usage_allow() -> None:
    """specs.md 7.3 [inferred]: 'DisallowAITraining: /' with 'Content-Usage: train-ai=y' in the
    same group combine to disallowed (across families any disallow wins)."""
    found = training(evidence("User-agent: *\nContent-Usage: train-ai=y\nDisallowAITraining: /\n"))
    usage_allow = Evidence(
        family="aipref",
        source="robots.txt",
        value="train-ai=y",
        stances=allows(Purpose.TRAIN_GENAI),
        location="line 2",
    )
    assert combine(Purpose.TRAIN_GENAI, [usage_allow, *found]).reserved is True


def test_unknown_extension_lines_do_not_reject_the_file() -> None:
    """specs.md 7.3: unknown extension lines never cause the whole file to be rejected."""
    found = evidence("User-agent: GPTBot\nX-Future-AI: whatever\nAI-Policy: none\nDisallow: /\n")
    assert [e.agent for e in found] == ["GPTBot"]


def test_policy_token_group_is_evaluated_besides_own_group() -> None:
    """specs.md 7.3: a policy-token group (Google-Extended style) is read as well as our own."""
    context = Context(user_agent="MyCrawler")
    found = evidence(
        "User-agent: MyCrawler\nAllow: /\n\nUser-agent: Google-Extended\nDisallow: /\n",
        context=context,
    )
    assert [(e.agent, e.stances[0][1]) for e in found] == [("Google-Extended", Stance.DISALLOWED)]


def test_all_three_kinds_together() -> None:
    """One file, every kind of evidence; the combined train-ai verdict is a reservation."""
    context = Context(user_agent="ExampleCrawler")
    found = evidence((DATA / "ai-control.txt").read_bytes(), "https://example.com/blog", context)
    kinds = sorted((e.agent or "", e.stances[0][0].value) for e in found)
    assert kinds == [
        ("CCBot", "train-ai"),
        ("ExampleCrawler", "train-genai"),
        ("GPTBot", "train-ai"),
    ]
    assert combine(Purpose.TRAIN_AI, found).reserved is True
