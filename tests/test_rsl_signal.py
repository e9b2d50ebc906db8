"""signals/rsl.py: what RSL documents mean for each purpose (../shared/rsl.md sections 2, 4-7)."""

from __future__ import annotations

import pytest

from optout_middleware.evaluate import Evaluator
from optout_middleware.formats.robotstxt import parse as parse_robots
from optout_middleware.formats.rsl import parse_rsl
from optout_middleware.inputs import (
    Context,
    FileState,
    HeaderList,
    ResponseView,
    SiteFile,
    SiteFiles,
)
from optout_middleware.signals.rsl import (
    NO_DOCUMENT,
    RslSignal,
    page_associations,
    site_associations,
)
from optout_middleware.sitepolicy import FetchResult, read_rsl_document
from optout_middleware.verdict import Purpose, Verdict, combine

ORIGIN = "https://news.example"
NS = 'xmlns="https://rslstandard.org/rsl"'
CTX = Context(user_agent="ExampleBot")


def doc(body: str) -> str:
    return f"<rsl {NS}>{body}</rsl>"


def content(licences: str, url: str = "/", attrs: str = "") -> str:
    return f'<content url="{url}" {attrs}>{licences}</content>'


def lic(inner: str) -> str:
    return f"<license>{inner}</license>"


def parsed(url: str, xml: str) -> SiteFile:  # type: ignore[type-arg]
    return read_rsl_document(FetchResult(url, 200, xml.encode(), final_url=url), now=0)


def site(robots: str, docs: dict[str, str | SiteFile]) -> SiteFiles:  # type: ignore[type-arg]
    files = tuple(v if isinstance(v, SiteFile) else parsed(k, v) for k, v in docs.items())
    return SiteFiles(
        origin=ORIGIN + ":443",
        robots=SiteFile(FileState.PARSED, url=ORIGIN + "/robots.txt", parsed=parse_robots(robots)),
        rsl=files,
    )


def one_doc(xml: str) -> SiteFiles:
    return site("License: https://news.example/rsl.xml\n", {"https://news.example/rsl.xml": xml})


def verdict(s: SiteFiles, path: str, purpose: Purpose, context: Context = CTX) -> Verdict:
    return Evaluator(purpose, context, [RslSignal()]).before_download(ORIGIN + path, s)


def reserved(s: SiteFiles, path: str, context: Context = CTX) -> dict[str, bool | None]:
    return {p.value: verdict(s, path, p, context).reserved for p in Purpose}


def page(
    url: str, head: str = "", link: str | None = None, docs: dict[str, str] | None = None
) -> ResponseView:
    headers = [("Content-Type", "text/html")]
    if link is not None:
        headers.append(("Link", link))
    body = f"<html><head>{head}</head><body></body></html>".encode()
    view = ResponseView(url, headers=HeaderList(headers), body=body)
    view.rsl_documents = {k: parsed(k, v) for k, v in (docs or {}).items()}
    return view


AI_ALL = doc(content(lic('<prohibits type="usage">ai-all</prohibits>')))


def test_example_a_prohibits_ai_all_reserves_ai_purposes_not_search() -> None:
    assert reserved(one_doc(AI_ALL), "/2026/story") == {
        "tdm": True,  # the verdict model: a tdm crawl contains training
        "train-ai": True,
        "train-genai": True,
        "ai-input": True,
        "search": False,  # free, and no closed list: granted
    }


EXAMPLE_B = doc(
    content(
        lic('<permits type="usage">search ai-input ai-index</permits><payment type="attribution">'
            "<custom>https://news.example/credit</custom></payment>")
        + lic('<permits type="usage">ai-train</permits><payment type="training">'
              '<amount currency="EUR">0.002</amount></payment>')
    )
    + content(lic('<prohibits type="usage">all</prohibits>'), url="/premium/")
)  # fmt: skip


def test_example_b_paid_training_is_licence_required_and_attribution_allows() -> None:
    s = one_doc(EXAMPLE_B)
    assert reserved(s, "/blog/x") == {
        "tdm": True,
        "train-ai": True,
        "train-genai": True,
        "ai-input": False,
        "search": False,
    }
    train = verdict(s, "/blog/x", Purpose.TRAIN_AI).decided_by
    assert train is not None
    assert "licence required" in train.value
    assert "training 0.002 EUR" in train.note
    rag = verdict(s, "/blog/x", Purpose.AI_INPUT).decided_by
    assert rag is not None
    assert "attribution required (https://news.example/credit)" in rag.note


def test_overlapping_content_longest_pattern_governs() -> None:
    s = one_doc(EXAMPLE_B)
    assert set(reserved(s, "/premium/y").values()) == {True}
    assert reserved(s, "/premium")["search"] is False  # "/premium/" does not match "/premium"


def test_overlapping_content_equal_length_ties_are_most_restrictive() -> None:
    xml = doc(
        content(lic('<permits type="usage">all</permits>'), url="/a*")
        + content(lic('<prohibits type="usage">ai-train</prohibits>'), url="/*b")
    )
    s = one_doc(xml)
    assert verdict(s, "/ab", Purpose.TRAIN_AI).reserved is True
    assert verdict(s, "/ab", Purpose.AI_INPUT).reserved is False


def test_example_c_prohibition_beats_permission_in_one_licence() -> None:
    xml = doc(
        content(
            lic('<permits type="usage">ai-input search</permits>'
                '<prohibits type="usage">ai-all</prohibits>'),
            url="/docs/*",
        )
    )  # fmt: skip
    s = one_doc(xml)
    assert reserved(s, "/docs/api") == {
        "tdm": True,
        "train-ai": True,
        "train-genai": True,
        "ai-input": True,
        "search": False,
    }
    assert set(reserved(s, "/docs").values()) == {None}  # no content matches


def test_guardian_pattern_prohibits_all_beats_permits() -> None:
    xml = doc(content(lic('<permits type="usage">ai-train ai-input</permits>'
                          '<prohibits type="usage">all</prohibits>')))  # fmt: skip
    assert set(reserved(one_doc(xml), "/x").values()) == {True}


def test_closed_permits_reserve_what_they_do_not_list() -> None:
    s = one_doc(doc(content(lic('<permits type="usage">search</permits>'))))
    assert reserved(s, "/x") == {
        "tdm": True,
        "train-ai": True,
        "train-genai": True,
        "ai-input": True,
        "search": False,
    }
    by = verdict(s, "/x", Purpose.TRAIN_AI).decided_by
    assert by is not None
    assert "not permitted" in by.value


def test_empty_closed_permits_grant_nothing() -> None:
    s = one_doc(doc(content(lic('<permits type="usage"/>'))))
    assert set(reserved(s, "/x").values()) == {True}


def test_unmentioned_usage_without_permits_is_not_reserved() -> None:
    s = one_doc(doc(content(lic('<prohibits type="usage">ai-train</prohibits>'))))
    assert verdict(s, "/x", Purpose.AI_INPUT).reserved is False
    assert verdict(s, "/x", Purpose.SEARCH).reserved is False
    assert verdict(s, "/x", Purpose.TRAIN_AI).reserved is True


def test_permits_all_for_free_allows_every_purpose() -> None:
    s = one_doc(doc(content(lic('<permits type="usage">all</permits><payment type="free"/>'))))
    assert set(reserved(s, "/x").values()) == {False}


@pytest.mark.parametrize(
    ("attrs", "extra", "why"),
    [
        ('server="https://ls.example/"', "", "licence server https://ls.example/"),
        ('server="https://ls.example/" encrypted="true"', "", "encrypted"),
        ("", '<reporting type="telemetry" profile="https://p.example/unknown"/>', "reporting"),
        ("", "<payment><standard>https://rslcollective.org/license</standard></payment>",
         "payment without type"),
        ("", '<permits type="user">non-commercial</permits>', "permits user"),
    ],
    ids=["server", "encrypted", "reporting", "payment-without-type", "user-restricted"],
)  # fmt: skip
def test_licence_required_even_for_free_terms(attrs: str, extra: str, why: str) -> None:
    xml = doc(content(lic(f'<permits type="usage">all</permits>{extra}'), attrs=attrs))
    s = one_doc(xml)
    assert set(reserved(s, "/x").values()) == {True}
    by = verdict(s, "/x", Purpose.SEARCH).decided_by
    assert by is not None
    assert "licence required" in by.value
    assert why in by.note


def test_held_licence_server_or_content_url_grants() -> None:
    xml = doc(content(lic('<permits type="usage">all</permits><payment type="crawl"/>'),
                      attrs='server="https://ls.example/"'))  # fmt: skip
    s = one_doc(xml)
    for held in ("https://ls.example/", "https://ls.example", "https://news.example/"):
        context = Context(user_agent="ExampleBot", rsl_licenses=frozenset({held}))
        assert set(reserved(s, "/x", context).values()) == {False}, held
    other = Context(user_agent="ExampleBot", rsl_licenses=frozenset({"https://other.example/"}))
    assert verdict(s, "/x", Purpose.TRAIN_AI, other).reserved is True


def test_attribution_is_kept_in_the_verdict() -> None:
    xml = doc(content(lic('<permits type="usage">all</permits><payment type="attribution">'
                          "<standard>https://creativecommons.org/licenses/by/4.0/</standard>"
                          "</payment>")))  # fmt: skip
    v = verdict(one_doc(xml), "/x", Purpose.TRAIN_AI)
    assert v.reserved is False
    assert v.decided_by is not None
    assert "attribution required (https://creativecommons.org/licenses/by/4.0/)" in (
        v.decided_by.note
    )


@pytest.mark.parametrize(
    ("token", "purpose"),
    [("train-ai", Purpose.TRAIN_AI), ("train-genai", Purpose.TRAIN_GENAI),
     ("ai-use", Purpose.AI_INPUT), ("ai-summarize", Purpose.AI_INPUT), ("tdm", Purpose.SEARCH)],
)  # fmt: skip
def test_legacy_tokens_count_when_they_prohibit(token: str, purpose: Purpose) -> None:
    s = one_doc(doc(content(lic(f'<prohibits type="usage">{token}</prohibits>'))))
    assert verdict(s, "/x", purpose).reserved is True


def test_legacy_tokens_prohibiting_reserve_their_purposes() -> None:
    s = one_doc(doc(content(lic('<prohibits type="usage">train-ai,ai-use</prohibits>'))))
    assert verdict(s, "/x", Purpose.TRAIN_AI).reserved is True
    assert verdict(s, "/x", Purpose.AI_INPUT).reserved is True
    assert verdict(s, "/x", Purpose.SEARCH).reserved is False


def test_legacy_tokens_never_grant_when_permitted() -> None:
    s = one_doc(doc(content(lic('<permits type="usage">train-ai tdm</permits>'))))
    assert verdict(s, "/x", Purpose.TRAIN_AI).reserved is True  # closed list of unknown tokens


def test_content_without_licence_is_unlicensed_for_ai_not_search() -> None:
    s = one_doc(doc('<content url="/"/>'))
    assert reserved(s, "/x") == {
        "tdm": True,
        "train-ai": True,
        "train-genai": True,
        "ai-input": True,
        "search": None,
    }


ROBOTS_D = (
    "License: https://news.example/default.xml\n\n"
    "User-agent: ExampleBot\nAllow: /\nLicense: https://news.example/examplebot.xml\n"
)


def test_robots_group_license_replaces_the_global_lines() -> None:
    s = site(
        ROBOTS_D,
        {
            "https://news.example/default.xml": doc(content(lic('<permits type="usage">all</permits>'))),
            "https://news.example/examplebot.xml": AI_ALL,
        },
    )  # fmt: skip
    assert [a.url for a in site_associations(s, CTX)] == ["https://news.example/examplebot.xml"]
    assert verdict(s, "/x", Purpose.TRAIN_AI).reserved is True
    other = Context(user_agent="OtherBot")
    assert [a.url for a in site_associations(s, other)] == ["https://news.example/default.xml"]
    assert verdict(s, "/x", Purpose.TRAIN_AI, other).reserved is False


def test_robots_global_license_lines_before_the_wildcard_group() -> None:
    robots = (
        "License: https://news.example/global.xml\n"
        "User-agent: ExampleBot\nDisallow: /private\n\n"
        "User-agent: *\nLicense: https://news.example/star.xml\n"
    )
    s = site(robots, {})
    assert [a.url for a in site_associations(s, CTX)] == ["https://news.example/global.xml"]
    no_global = site(robots.split("\n", 1)[1], {})
    assert [a.url for a in site_associations(no_global, CTX)] == ["https://news.example/star.xml"]


def test_robots_license_directive_is_case_insensitive_and_repeatable() -> None:
    s = site("license: https://a.example/1.xml\nLICENSE: https://a.example/2.xml\n", {})
    assert [a.url for a in site_associations(s, CTX)] == [
        "https://a.example/1.xml",
        "https://a.example/2.xml",
    ]


def test_robots_relative_and_http_license_values_are_followed_with_a_note() -> None:
    s = site("License: /license.xml\nLicense: http://news.example/l.xml\n", {})
    first, second = site_associations(s, CTX)
    assert first.url == "https://news.example/license.xml"
    assert "relative URL" in first.note
    assert "https" in second.note


def test_unreadable_document_reserves_ai_purposes_never_search() -> None:
    gone = read_rsl_document(FetchResult("https://news.example/rsl.xml", 404), now=0)
    s = site("License: https://news.example/rsl.xml\n", {"https://news.example/rsl.xml": gone})
    assert reserved(s, "/x") == {
        "tdm": True,
        "train-ai": True,
        "train-genai": True,
        "ai-input": True,
        "search": None,
    }
    by = verdict(s, "/x", Purpose.TRAIN_AI).decided_by
    assert by is not None
    assert "HTTP 404" in by.value


@pytest.mark.parametrize(
    "result",
    [
        FetchResult("https://news.example/rsl.xml", 503),
        FetchResult("https://news.example/rsl.xml", None, error="TimeoutError"),
        FetchResult("https://news.example/rsl.xml", 200, b"<html>spa</html>"),
        FetchResult("https://news.example/rsl.xml", 200, b"<rsl/>"),
        FetchResult("https://news.example/rsl.xml", 301, redirects=5, error="too many redirects"),
        FetchResult(
            "https://news.example/rsl.xml",
            200,
            AI_ALL.encode(),
            final_url="http://news.example/rsl.xml",
        ),
    ],
    ids=["5xx", "network", "html", "no-namespace", "redirects", "https-to-http"],
)
def test_unreadable_document_every_way(result: FetchResult) -> None:
    s = site("License: https://news.example/rsl.xml\n", {result.url: read_rsl_document(result)})
    assert verdict(s, "/x", Purpose.TRAIN_AI).reserved is True
    assert verdict(s, "/x", Purpose.SEARCH).reserved is None


def test_unreadable_document_setting_reads_it_as_unknown() -> None:
    gone = read_rsl_document(FetchResult("https://news.example/rsl.xml", 404), now=0)
    s = site("License: https://news.example/rsl.xml\n", {"https://news.example/rsl.xml": gone})
    context = Context(user_agent="ExampleBot", rsl_unreadable_reserves=False)
    assert set(reserved(s, "/x", context).values()) == {None}
    assert (
        verdict(s, "/x", Purpose.TRAIN_AI, context).evidence[0].note.startswith("read as unknown")
    )


def test_absolute_content_url_counts_only_on_the_linking_origin() -> None:
    xml = doc(content(lic('<prohibits type="usage">ai-train</prohibits>'),
                      url="https://news.example/*"))  # fmt: skip
    assert verdict(one_doc(xml), "/x", Purpose.TRAIN_AI).reserved is True
    foreign = doc(content(lic('<prohibits type="usage">ai-train</prohibits>'),
                          url="https://other.example/*"))  # fmt: skip
    assert verdict(one_doc(foreign), "/x", Purpose.TRAIN_AI).reserved is None


def test_content_url_percent_encoding_and_end_anchor() -> None:
    xml = doc(content(lic('<prohibits type="usage">ai-train</prohibits>'), url="/%7Euser/p$"))
    s = one_doc(xml)
    assert verdict(s, "/~user/p", Purpose.TRAIN_AI).reserved is True
    assert verdict(s, "/~user/p2", Purpose.TRAIN_AI).reserved is None


def test_site_level_evidence_is_overridable_at_precedence_0() -> None:
    ev = verdict(one_doc(AI_ALL), "/x", Purpose.TRAIN_AI).evidence
    assert ev
    assert all(e.overridable and e.precedence == 0 for e in ev)


def test_page_level_link_header_supersedes_robots_license() -> None:
    s = one_doc(AI_ALL)
    free = doc(content(lic('<permits type="usage">all</permits>')))
    link = '<https://cdn.example/free.xml>; rel="license"; type="application/rsl+xml"'
    view = page(ORIGIN + "/x", link=link, docs={"https://cdn.example/free.xml": free})
    v = Evaluator(Purpose.TRAIN_AI, CTX, [RslSignal()]).after_download(view, s)
    assert v.reserved is False
    assert v.decided_by is not None
    assert v.decided_by.source == "header"
    assert v.decided_by.url == "https://cdn.example/free.xml"  # a cross-origin document


def test_page_level_link_prohibiting_reserves() -> None:
    link = '<https://cdn.example/l.xml>; rel="license nofollow"; TYPE="Application/RSL+XML"'
    view = page(ORIGIN + "/x", link=link, docs={"https://cdn.example/l.xml": AI_ALL})
    v = Evaluator(Purpose.TRAIN_AI, CTX, [RslSignal()]).after_download(view, SiteFiles())
    assert v.reserved is True


def test_link_header_without_rsl_type_is_not_rsl() -> None:
    view = page(ORIGIN + "/x", link='<https://creativecommons.org/licenses/by/4.0/>; rel="license"')
    assert page_associations(view) == ()


def test_html_link_and_inline_script_are_associations() -> None:
    script = doc(content(lic('<prohibits type="usage">ai-input</prohibits>'), url=""))
    head = (
        '<link rel="license" type="application/rsl+xml" href="/l.xml">'
        f'<script type="application/rsl+xml">{script}</script>'
    )
    view = page(ORIGIN + "/a/b", head=head, docs={ORIGIN + "/l.xml": AI_ALL})
    sources = [(a.source, a.url) for a in page_associations(view)]
    assert sources == [("link", ORIGIN + "/l.xml"), ("script", ORIGIN + "/a/b")]
    v = Evaluator(Purpose.AI_INPUT, CTX, [RslSignal()]).after_download(view, SiteFiles())
    assert v.reserved is True


def test_inline_script_with_two_contents_is_unreadable() -> None:
    two = doc(content(lic(""), url="") + content(lic(""), url="/x"))
    view = page(ORIGIN + "/x", head=f'<script type="application/rsl+xml">{two}</script>')
    v = Evaluator(Purpose.TRAIN_AI, CTX, [RslSignal()]).after_download(view, SiteFiles())
    assert v.reserved is True
    assert v.decided_by is not None
    assert "exactly one" in v.decided_by.value


def test_page_document_not_fetched_takes_no_stance() -> None:
    link = '<https://cdn.example/l.xml>; rel="license"; type="application/rsl+xml"'
    view = page(ORIGIN + "/x", link=link)
    v = Evaluator(Purpose.TRAIN_AI, CTX, [RslSignal()]).after_download(view, SiteFiles())
    assert v.reserved is None
    assert "not fetched" in v.evidence[0].note


def test_channels_disagree_at_page_level_most_restrictive_wins() -> None:
    free = doc(content(lic('<permits type="usage">all</permits>')))
    link = '<https://cdn.example/free.xml>; rel="license"; type="application/rsl+xml"'
    script = doc(content(lic('<prohibits type="usage">ai-train</prohibits>'), url=""))
    view = page(
        ORIGIN + "/x",
        head=f'<script type="application/rsl+xml">{script}</script>',
        link=link,
        docs={"https://cdn.example/free.xml": free},
    )
    v = Evaluator(Purpose.TRAIN_AI, CTX, [RslSignal()]).after_download(view, SiteFiles())
    assert v.reserved is True


def test_no_license_lines_no_evidence() -> None:
    s = site("User-agent: *\nDisallow: /x\n", {})
    assert verdict(s, "/y", Purpose.TRAIN_AI).evidence == ()
    assert page_associations(page(ORIGIN + "/y")) == ()


def test_parse_rsl_used_by_the_signal_is_the_format_parser() -> None:
    assert parse_rsl(AI_ALL).contents[0].licenses[0].prohibited("usage") == ("ai-all",)


def test_robots_license_after_a_blank_line_at_the_end_still_applies() -> None:
    """rsl.md 6 #16: under RFC 9309 it belongs to the last group; the `*` fallback reaches it."""
    robots = "User-agent: *\nDisallow: /x\n\nLicense: https://news.example/l.xml\n"
    s = site(robots, {})
    assert [a.url for a in site_associations(s, CTX)] == ["https://news.example/l.xml"]
    named = site("User-agent: ExampleBot\nAllow: /\n\n" + robots, {})
    assert [a.url for a in site_associations(named, CTX)] == ["https://news.example/l.xml"]


def test_robots_protocol_relative_license_is_resolved_with_a_note() -> None:
    (assoc,) = site_associations(site("License: //cdn.example/l.xml\n", {}), CTX)
    assert assoc.url == "https://cdn.example/l.xml"
    assert "relative URL" in assoc.note


def test_robots_license_that_is_not_http_is_unreadable() -> None:
    s = site("License: ftp://news.example/l.xml\n", {"": NO_DOCUMENT})
    assert verdict(s, "/x", Purpose.TRAIN_AI).reserved is True
    assert verdict(s, "/x", Purpose.SEARCH).reserved is None


def test_creative_commons_link_stays_licence_evidence() -> None:
    from optout_middleware.signals.licence import LicenceSignal  # noqa: PLC0415

    cc = '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">'
    view = page(ORIGIN + "/x", head=cc)
    v = Evaluator(Purpose.TRAIN_AI, CTX, [LicenceSignal(), RslSignal()]).after_download(
        view, SiteFiles()
    )
    assert [e.family for e in v.evidence] == ["licence"]
    assert v.reserved is None


def test_head_visits_scripts_only_when_it_mentions_the_rsl_type() -> None:
    from optout_middleware.formats.htmlhead import extract_head  # noqa: PLC0415

    rsl_script = '<script type="Application/RSL+XML"><rsl/></script>'
    head = extract_head(f"<html><head>{rsl_script}</head><body></body></html>".encode())
    assert head.rsl_scripts == ("<rsl/>",)
    other = extract_head(b'<html><head><script type="text/x">rsl</script></head><body></body>')
    assert other.rsl_scripts == ()
    link = '<link rel="License nofollow" type=" application/rsl+xml" href="/l.xml">'
    linked = extract_head(f"<html><head>{link}</head><body></body></html>".encode())
    assert [x.href for x in linked.rsl_links] == ["/l.xml"]
    assert linked.links[0].type == "application/rsl+xml"


def test_inline_script_governs_its_page_whatever_its_content_url() -> None:
    """rsl.md 2.3: a non-empty url names the canonical (e.g. syndicated) asset, not a scope."""
    script = doc(content(lic('<prohibits type="usage">ai-train</prohibits>'),
                         url="https://original.example/story"))  # fmt: skip
    view = page(ORIGIN + "/copy", head=f'<script type="application/rsl+xml">{script}</script>')
    v = Evaluator(Purpose.TRAIN_AI, CTX, [RslSignal()]).after_download(view, SiteFiles())
    assert v.reserved is True


def test_rsl_14_pattern_without_leading_slash_and_query_matching() -> None:
    xml = doc(
        content(lic('<prohibits type="usage">ai-train</prohibits>'), url="articles/")
        + content(lic('<prohibits type="usage">ai-input</prohibits>'), url="/s?q=*")
    )
    s = one_doc(xml)
    assert verdict(s, "/articles/x", Purpose.TRAIN_AI).reserved is True
    assert verdict(s, "/s?q=rsl", Purpose.AI_INPUT).reserved is True
    assert verdict(s, "/s", Purpose.AI_INPUT).reserved is None


def test_rsl_24_several_links_in_one_header() -> None:
    header = (
        '</app.css>; rel="preload"; as="style", '
        '<https://cdn.example/l.xml>; rel="license"; type="application/rsl+xml", '
        '<https://creativecommons.org/licenses/by/4.0/>; rel="license"'
    )
    view = page(ORIGIN + "/x", link=header)
    assert [a.url for a in page_associations(view)] == ["https://cdn.example/l.xml"]


def test_rsl_25_html_escaped_inline_script_is_unreadable() -> None:
    escaped = doc(content(lic(""), url="")).replace("<", "&lt;").replace(">", "&gt;")
    view = page(ORIGIN + "/x", head=f'<script type="application/rsl+xml">{escaped}</script>')
    v = Evaluator(Purpose.TRAIN_AI, CTX, [RslSignal()]).after_download(view, SiteFiles())
    assert v.reserved is True
    assert v.decided_by is not None
    assert "unreadable" in v.decided_by.value


def test_site_key_shares_verdicts_only_where_no_licence_is_named() -> None:
    """Issue 13's path classes: an origin with no ``License:`` line gives every URL the same
    (empty) RSL evidence, so its key is ``()``; with a licence the key is None (per URL), and
    the evaluator's verdicts equal the plain per-URL evaluation either way."""
    signal = RslSignal()
    licensed = one_doc(doc(content(lic('<prohibits type="usage">ai-train</prohibits>'), "/a/")))
    bare = site("User-agent: *\nAllow: /\n", {})
    assert signal.site_key(bare, ORIGIN + "/a/1", CTX) == ()
    assert signal.site_key(licensed, ORIGIN + "/a/1", CTX) is None
    evaluator = Evaluator(Purpose.TRAIN_AI, CTX, [RslSignal()])
    for path in ("/a/1", "/b/1", "/a/2"):
        plain = combine(Purpose.TRAIN_AI, evaluator.site_evidence(ORIGIN + path, licensed))
        assert evaluator.before_download(ORIGIN + path, licensed) == plain
    assert evaluator.before_download(ORIGIN + "/a/1", licensed).reserved is True
    assert evaluator.before_download(ORIGIN + "/b/1", licensed).reserved is None
