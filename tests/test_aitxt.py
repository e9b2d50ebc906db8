"""Spawning ai.txt (specs.md section 4): format detection, group selection, the extension reading
of ``*.ext``, longest-match precedence and the evidence it gives.

Not tested here because not in this module: which host ai.txt is fetched from (specs.md 4.4.1 and
the CDN bullet of 4.7) belongs to the site-policy layer.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optout_middleware.formats.aitxt import parse_aitxt
from optout_middleware.inputs import Context, FileState, SiteFile, SiteFiles
from optout_middleware.signals.aitxt import AiTxtSignal
from optout_middleware.verdict import Evidence, Purpose, Stance, combine

DATA = Path(__file__).parent / "data" / "aitxt"
ORIGIN = "https://media.example"
FILE_URL = ORIGIN + "/ai.txt"
CONTEXT = Context()

EXAMPLE_1 = "# Spawning AI\nUser-agent: *\nDisallow: *\nDisallow: /\n"
EXAMPLE_2 = """# Spawning AI
User-agent: *
Disallow: *.jpg
Disallow: *.png
Disallow: *.mp4
Allow: *.txt
Allow: *.py
Allow: /
"""
EXAMPLE_3 = "User-agent: *\nAllow: *.jpg\nDisallow: *.html\nDisallow: /\n"


def star(*lines: str) -> str:
    return "User-agent: *\n" + "".join(line + "\n" for line in lines)


def allowed(body: str | bytes, path: str, agent: str = "*", *, ties: bool = True) -> bool | None:
    """True/False for the deciding rule's stance, None when no rule matches."""
    rule = parse_aitxt(body).match(ORIGIN + path, agent, allow_wins_ties=ties)
    return None if rule is None else rule.allow


def site(body: str | bytes | None, state: FileState = FileState.PARSED) -> SiteFiles:
    parsed = parse_aitxt(body) if body is not None else None
    return SiteFiles(ORIGIN, aitxt=SiteFile(state, FILE_URL, parsed, 200))


def evidence(
    body: str | bytes, path: str, context: Context = CONTEXT, signal: AiTxtSignal | None = None
) -> list[Evidence]:
    return list((signal or AiTxtSignal()).site_evidence(site(body), ORIGIN + path, context))


# --- 4.2 syntax -------------------------------------------------------------------------------


def test_aitxt_comments_and_spawning_header_are_ignored() -> None:
    """specs.md 4.2: `# ...` comments (first line `# Spawning AI`) carry no rule."""
    body = "# Spawning AI\n# Disallow: /\nUser-agent: *  # all\nAllow: /  # everything\n"
    assert allowed(body, "/x.jpg") is True


def test_aitxt_generator_output_reads_as_intended() -> None:
    """specs.md 4.2: the generator's shape: per-extension lines, then the Text catch-all."""
    body = (DATA / "spawning-generated.txt").read_bytes()
    assert parse_aitxt(body).is_spawning
    assert allowed(body, "/photos/cat.jpg") is False
    assert allowed(body, "/papers/a.pdf") is True
    assert allowed(body, "/about") is True


def test_aitxt_blanket_opt_out_when_no_category_allowed() -> None:
    """specs.md 4.2: no category allowed => `Disallow: *` and `Disallow: /` => everything."""
    for path in ("/", "/a.jpg", "/page?x=1", "/deep/dir/file.txt"):
        assert allowed(EXAMPLE_1, path) is False


# --- 4.4 recommended interpretation -----------------------------------------------------------


def test_aitxt_spawning_format_needs_user_agent_and_rules() -> None:
    """specs.md 4.4.2: at least one User-Agent line with Allow/Disallow lines."""
    assert parse_aitxt(star("Disallow: /")).is_spawning
    assert not parse_aitxt("Disallow: /\nAllow: *.jpg\n").is_spawning  # no User-agent
    assert not parse_aitxt("User-agent: *\nSitemap: https://x.example/s.xml\n").is_spawning
    assert not parse_aitxt("").is_spawning


def test_aitxt_other_dialect_gives_no_evidence() -> None:
    """specs.md 4.4.2 / 4.5 / 4.7: Markdown/YAML ai.txt is not Spawning's: no permissions."""
    body = (DATA / "markdown-dialect.txt").read_bytes()
    aitxt = parse_aitxt(body)
    assert not aitxt.is_spawning
    assert aitxt.match(ORIGIN + "/private") is None
    assert evidence(body, "/private/a.jpg") == []


def test_aitxt_ad_hoc_lines_without_group_say_nothing() -> None:
    """specs.md 4.5: `Allow: train-ai`, `Allowed: yes` lines have no defined semantics."""
    assert evidence("Allow: train-ai\nAllowed: yes\nLLMs: no\n", "/a.jpg") == []


def test_aitxt_group_selection_prefers_own_token() -> None:
    """specs.md 4.4.3 / 4.7: RFC 9309 group selection: our product token, else `*`."""
    body = "User-agent: *\nDisallow: /\n\nUser-agent: MyBot\nAllow: /\n"
    assert allowed(body, "/a.jpg", "MyBot") is True
    assert allowed(body, "/a.jpg", "mybot") is True  # tokens compare case-insensitively
    assert allowed(body, "/a.jpg", "OtherBot") is False


def test_aitxt_named_group_does_not_inherit_star_group() -> None:
    """specs.md 4.4.3 (RFC 9309): a named group does not inherit the `*` group's rules."""
    body = "User-agent: *\nDisallow: *.jpg\n\nUser-agent: MyBot\nDisallow: *.png\n"
    assert allowed(body, "/a.jpg", "MyBot") is None
    assert allowed(body, "/a.png", "MyBot") is False


def test_aitxt_no_matching_group_says_nothing() -> None:
    """specs.md 4.4.3 (RFC 9309): no group for us and no `*` group => no rules apply."""
    body = "User-agent: OtherBot\nDisallow: /\n"
    assert parse_aitxt(body).is_spawning
    assert allowed(body, "/a.jpg", "MyBot") is None


@pytest.mark.parametrize("value", ["*", "/"])
def test_aitxt_star_or_slash_matches_every_path(value: str) -> None:
    """specs.md 4.4.4: `*` or `/` matches every path."""
    for path in ("/", "/a", "/a/b.jpg", "/x?y=1"):
        assert allowed(star(f"Disallow: {value}"), path) is False


def test_aitxt_extension_glob_is_an_extension_test() -> None:
    """specs.md 4.4.4: `*.ext` => the URL path ends with `.ext` (`/*.ext$` semantics)."""
    body = star("Disallow: *.jpg")
    assert allowed(body, "/a/b/cat.jpg") is False
    assert allowed(body, "/cat.jpg/index.html") is None
    assert allowed(body, "/cat.jpeg") is None


def test_aitxt_extension_compare_is_case_insensitive() -> None:
    """specs.md 4.4.4 / 4.7 [inferred]: `Disallow: *.JPG` vs `/IMG_001.jpg` => disallowed."""
    assert allowed(star("Disallow: *.JPG"), "/IMG_001.jpg") is False
    assert allowed(star("Disallow: *.jpg"), "/IMG_001.JPG") is False


def test_aitxt_slash_values_are_rfc9309_patterns() -> None:
    """specs.md 4.4.4: other values starting with `/` are RFC 9309 path patterns."""
    body = star("Disallow: /private/", "Disallow: /*.gif$", "Disallow: /Docs")
    assert allowed(body, "/private/a/b") is False  # prefix
    assert allowed(body, "/x/y.gif") is False  # '*' and '$'
    assert allowed(body, "/x/y.gif?v=2") is None  # '$' sees the query, as in robots.txt
    assert allowed(body, "/docs/a") is None  # case-sensitive, unlike the extension test
    assert allowed(body, "/public/a") is None


def test_aitxt_longest_match_wins() -> None:
    """specs.md 4.4.5: RFC 9309 longest match, in octets of the value as written."""
    assert allowed(star("Allow: *.jpg", "Disallow: /"), "/a.jpg") is True  # 5 > 1
    assert allowed(star("Allow: /", "Disallow: *.html"), "/a.html") is False  # 6 > 1
    assert allowed(star("Disallow: /img/", "Allow: *.jpg"), "/img/a.jpg") is True  # 5 = 5: tie
    assert allowed(star("Disallow: /images/", "Allow: *.jpg"), "/images/a.jpg") is False  # 8 > 5


def test_aitxt_allow_wins_ties() -> None:
    """specs.md 4.4.5 / 4.7: both `Allow: *.ts` and `Disallow: *.ts` => tie => allow."""
    for body in (star("Allow: *.ts", "Disallow: *.ts"), star("Disallow: *.ts", "Allow: *.ts")):
        assert allowed(body, "/v/clip.ts") is True


def test_aitxt_conservative_tie_breaking_prefers_disallow() -> None:
    """specs.md 4.7 [inferred]: a conservative consumer may prefer disallow on ties."""
    for body in (star("Allow: *.ts", "Disallow: *.ts"), star("Disallow: *.ts", "Allow: *.ts")):
        assert allowed(body, "/v/clip.ts", ties=False) is False
        (ev,) = evidence(body, "/v/clip.ts", signal=AiTxtSignal(allow_wins_ties=False))
        assert ev.stance(Purpose.TRAIN_AI) is Stance.DISALLOWED
        assert "conservative" in ev.note


def test_aitxt_disallow_reserves_training_only() -> None:
    """specs.md 4.4.6 / 0: a disallowed match => train_any disallowed; nothing for ai-input or
    search."""
    evs = evidence(star("Disallow: *.jpg"), "/cat.jpg")
    assert [e.stances for e in evs] == [((Purpose.TRAIN_AI, Stance.DISALLOWED),)]
    assert combine(Purpose.TRAIN_AI, evs).reserved is True
    assert combine(Purpose.TRAIN_GENAI, evs).reserved is True
    assert combine(Purpose.AI_INPUT, evs).reserved is None
    assert combine(Purpose.SEARCH, evs).reserved is None


def test_aitxt_allow_permits_training_but_not_tdm() -> None:
    """specs.md 4.4 / 0: an Allow match allows training; a child's yes says nothing of tdm."""
    evs = evidence(star("Allow: /"), "/page")
    assert combine(Purpose.TRAIN_AI, evs).reserved is False
    assert combine(Purpose.TDM, evs).reserved is None


def test_aitxt_evidence_names_line_pattern_and_file() -> None:
    """specs.md 4.4: the evidence says which line of which file decided, as written."""
    (ev,) = evidence(EXAMPLE_3, "/a.jpg")
    assert (ev.family, ev.source, ev.value, ev.location, ev.path, ev.url, ev.agent) == (
        "aitxt",
        "ai.txt",
        "Allow: *.jpg",
        "line 2",
        "*.jpg",
        FILE_URL,
        None,
    )
    assert "extension" in ev.note


def test_aitxt_evidence_names_our_agent_for_a_named_group() -> None:
    """specs.md 4.4.3: evidence from our own group is scoped to our token."""
    body = "User-agent: *\nAllow: /\n\nUser-agent: MyBot\nDisallow: /\n"
    (ev,) = evidence(body, "/a", Context(user_agent="MyBot"))
    assert (ev.agent, ev.location, ev.value) == ("MyBot", "line 5", "Disallow: /")


@pytest.mark.parametrize("state", [FileState.ABSENT, FileState.UNREACHABLE, FileState.NOT_FETCHED])
def test_aitxt_missing_file_is_no_signal(state: FileState) -> None:
    """specs.md 4.4.1: 404 => no signal (5xx is not a reservation either)."""
    files = SiteFiles(ORIGIN, aitxt=SiteFile(state, FILE_URL, None, 404))
    assert list(AiTxtSignal().site_evidence(files, ORIGIN + "/a.jpg", CONTEXT)) == []


# --- 4.6 examples -----------------------------------------------------------------------------


def test_aitxt_example_1_blanket_opt_out() -> None:
    """specs.md 4.6 example 1: `Disallow: *` and `Disallow: /` => everything withheld."""
    assert allowed(EXAMPLE_1, "/img/cat.jpg") is False
    assert allowed(EXAMPLE_1, "/notes.txt") is False


def test_aitxt_example_2_images_and_video_withheld() -> None:
    """specs.md 4.6 example 2: /img/cat.jpg disallowed; /notes.txt and /page allowed."""
    assert allowed(EXAMPLE_2, "/img/cat.jpg") is False
    assert allowed(EXAMPLE_2, "/v/a.mp4") is False
    assert allowed(EXAMPLE_2, "/notes.txt") is True
    rule = parse_aitxt(EXAMPLE_2).match(ORIGIN + "/page")
    assert rule is not None
    assert (rule.allow, rule.raw) == (True, "/")


def test_aitxt_example_3_text_withheld() -> None:
    """specs.md 4.6 example 3: /a.jpg allowed (5 > 1 octets); /article disallowed."""
    assert allowed(EXAMPLE_3, "/a.jpg") is True
    assert allowed(EXAMPLE_3, "/article") is False
    assert allowed(EXAMPLE_3, "/a.html") is False


# --- 4.7 edge cases ---------------------------------------------------------------------------


def test_aitxt_lines_without_field_name_are_ignored() -> None:
    """specs.md 4.7: lines `/` without a field name (generator bug) are ignored."""
    body = "# Spawning AI\n/\nUser-agent: *\n/\nDisallow: *.jpg\n/\nAllow: /\n"
    aitxt = parse_aitxt(body)
    assert [r.raw for r in aitxt.rules_for("*")] == ["*.jpg", "/"]
    assert allowed(body, "/a.jpg") is False


def test_aitxt_query_is_stripped_before_extension_test() -> None:
    """specs.md 4.7 [inferred]: /img/cat.jpg?w=200 matches `*.jpg`."""
    assert allowed(star("Disallow: *.jpg"), "/img/cat.jpg?w=200") is False
    assert allowed(star("Disallow: *.jpg"), "/img/cat.jpg#top") is False
    assert allowed(star("Disallow: *.jpg"), "/img/cat?f=.jpg") is None


@pytest.mark.parametrize(
    "path", ["/x.css", "/a.cpp", "/my.company/page", "/a.tsx", "/news.com-archive/", "/b.ts/"]
)
def test_aitxt_extension_glob_is_not_a_prefix_pattern(path: str) -> None:
    """specs.md 4.7: `*.c` / `*.ts` must not match paths that merely contain `.c` / `.ts`."""
    assert allowed(star("Disallow: *.c", "Disallow: *.ts"), path) is None


def test_aitxt_disallow_star_alone_matches_everything() -> None:
    """specs.md 4.7: `Disallow: *` alone => disallow all."""
    for path in ("/", "/a.jpg", "/deep/x?y"):
        assert allowed(star("Disallow: *"), path) is False


def test_aitxt_empty_disallow_matches_nothing() -> None:
    """specs.md 4.7: empty `Disallow:` matches nothing (RFC 9309)."""
    body = star("Disallow:")
    assert parse_aitxt(body).is_spawning
    assert allowed(body, "/") is None
    assert allowed(body, "/a.jpg") is None
    assert allowed(star("Disallow:", "Allow: *.jpg"), "/a.jpg") is True


def test_aitxt_extension_with_trailing_dollar_is_an_extension_test() -> None:
    """specs.md 4.4.4: `*.jpg$` spells the same `/*.ext$` test explicitly."""
    assert allowed(star("Disallow: *.jpg$"), "/A.JPG?w=1") is False


def test_aitxt_bom_and_crlf_are_read() -> None:
    """Hostile input: robots.txt line rules apply (BOM skipped, CRLF ends lines)."""
    body = b"\xef\xbb\xbfUser-agent: *\r\nDisallow: *.png\r\n"
    assert allowed(body, "/a.png") is False


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048), st.text(max_size=40))
def test_aitxt_any_bytes_never_raise(body: bytes, path: str) -> None:
    """Hostile input: any bytes parse; matching and evidence never raise."""
    aitxt = parse_aitxt(body)
    url = ORIGIN + "/" + path
    rule = aitxt.match(url, "MyBot")
    assert rule is None or rule in aitxt.rules_for("MyBot")  # the decision is one of its lines
    files = SiteFiles(ORIGIN, aitxt=SiteFile(FileState.PARSED, FILE_URL, aitxt))
    found = list(AiTxtSignal().site_evidence(files, url, Context(user_agent="MyBot")))
    if not aitxt.is_spawning or rule is None:
        assert found == []
    else:  # the evidence states the deciding line's stance on train-ai, nothing else
        (evidence,) = found
        stance = Stance.ALLOWED if rule.allow else Stance.DISALLOWED
        assert evidence.stances == ((Purpose.TRAIN_AI, stance),)
        assert evidence.location == f"line {rule.line}"


LINE = st.sampled_from(["User-agent: *", "User-agent: MyBot", "Allow:", "Disallow:", "/", "#"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(LINE, st.text(max_size=12)), max_size=12), st.text(max_size=20))
def test_aitxt_line_shaped_input_never_raises(lines: list[tuple[str, str]], path: str) -> None:
    """Hostile input: plausible ai.txt lines with arbitrary values parse and match."""
    body = "\n".join(f"{field} {value}" for field, value in lines)
    aitxt = parse_aitxt(body)
    for agent in ("*", "MyBot", ""):
        lenient = aitxt.match(ORIGIN + "/" + path, agent)
        strict = aitxt.match(ORIGIN + "/" + path, agent, allow_wins_ties=False)
        # the tie rule only chooses between equally long lines; it never finds a match alone
        assert (lenient is None) is (strict is None)
        if lenient is not None and strict is not None:
            assert lenient.length == strict.length
            assert lenient.allow or not strict.allow  # Allow wins ties, else Disallow does
