"""Reading a ``<head>`` for the crawl's interest: only the tags some signal family reads.

Each rule has a test below; the differential test generates heads from the fragments real and
hostile pages hold and checks that every built-in family (and the page-to-image directives)
finds exactly the same evidence in the head read for the evaluator's interest as in the whole
head.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optout_middleware import HeadInterest  # the path the README gives plugin authors
from optout_middleware.evaluate import Evaluator, builtin_signals
from optout_middleware.formats.htmlhead import NO_HEAD_TAGS, LinkTag, MetaTag, extract_head
from optout_middleware.inputs import Context, HeaderList, ResponseView, SiteFiles
from optout_middleware.plugin import SignalParser
from optout_middleware.signals.pageimages import page_directives
from optout_middleware.verdict import Evidence, Purpose, disallows

from .conftest import crawl, crawl_test
from .site import Site, html

if TYPE_CHECKING:
    from collections.abc import Iterable

HEAD = (
    b'<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
    b'<META NAME=" Robots " content="noai"><meta name="description" content="a page">'
    b'<link rel="stylesheet" href="/a.css"><link rel="LICENSE Alternate" href="/licence">'
    b'<base href="/base/"><meta name="tdm-reservation" content="1">'
    b'<script type="application/rsl+xml"><rsl/></script></head><body>x</body></html>'
)


def test_a_head_read_for_an_interest_keeps_only_its_tags() -> None:
    """Metas by name and links by rel token, compared as the families compare them (ASCII
    lower-case, trimmed); the ``<base>`` and inline RSL scripts are always read."""
    interest = HeadInterest(frozenset({"robots"}), frozenset({"license"}))
    head = extract_head(HEAD, interest=interest)
    assert head.metas == (MetaTag("robots", "noai"),)
    assert head.links == (LinkTag(frozenset({"license", "alternate"}), "/licence"),)
    assert head.base_href == "/base/"
    assert head.rsl_scripts == ("<rsl/>",)


def test_without_an_interest_every_tag_is_read() -> None:
    """None (what a custom parser that cannot say gets): the whole head, as before."""
    whole = extract_head(HEAD)
    assert [m.name for m in whole.metas] == ["viewport", "robots", "description", "tdm-reservation"]
    assert len(whole.links) == 2
    assert extract_head(HEAD, interest=None) == whole


def test_an_empty_interest_reads_no_meta_or_link() -> None:
    head = extract_head(HEAD, interest=NO_HEAD_TAGS)
    assert head.metas == ()
    assert head.links == ()
    assert head.base_href == "/base/"


def test_the_evaluator_takes_the_union_of_its_families_interests() -> None:
    """Robots metas (and one per name our crawler answers to), the TDMRep metas, licence links;
    the families that read no head add nothing."""
    context = Context(user_agent="MyBot", ai_agents=("GPTBot",))
    interest = Evaluator("train-ai", context, builtin_signals()).head_interest
    assert interest == HeadInterest(
        frozenset({"robots", "mybot", "gptbot", "tdm-reservation", "tdm-policy"}),
        frozenset({"license"}),
    )
    headers_only = Evaluator("train-ai", context, builtin_signals(["aipref", "robotstxt"]))
    assert headers_only.head_interest == NO_HEAD_TAGS


class DescriptionSignal(SignalParser):
    """A custom family that reads a meta no built-in one reads, and states no interest."""

    family: ClassVar[str] = "house-description"

    def response_evidence(self, response: ResponseView, context: Context) -> Iterable[Evidence]:
        for meta in response.head.metas:
            if meta.name == "description" and "no-train" in meta.content:
                yield Evidence(self.family, "meta", meta.content, disallows(Purpose.TRAIN_AI))


def test_a_parser_that_states_no_interest_gets_the_whole_head() -> None:
    evaluator = Evaluator("train-ai", Context(), [*builtin_signals(), DescriptionSignal()])
    assert evaluator.head_interest is None


@crawl_test
async def test_a_custom_parser_reads_any_meta_in_a_crawl() -> None:
    """README ``OPTOUT_SIGNALS``: a custom family that reads ``<meta name=description>`` sees it
    in a real crawl, with every built-in family on (their interests do not narrow its head)."""
    pages = {
        "/kept": html(head='<meta name="description" content="open">'),
        "/reserved": html(head='<meta name="description" content="no-train please">'),
    }
    with Site(pages) as site:
        result = await crawl(
            [site.url("/kept"), site.url("/reserved")],
            OPTOUT_SIGNALS=[f"{__name__}.DescriptionSignal"],
        )
    assert result.urls() == [site.url("/kept")]
    assert result.stats["optout/response_dropped"] == 1


_NAMES = st.sampled_from(
    ["robots", "ROBOTS", " robots ", "gptbot", "GPTBot", "mybot", "ccbot", "tdm-reservation",
     "TDM-Policy", "tdm-policy", "description", "", "robots\u212a"]
)  # fmt: skip
_CONTENTS = st.sampled_from(
    ["noai", "noimageai", "NoAI, noindex", "index, follow", "noai noimageai", "1", "0",
     "https://example.com/policy.json", "", "gptbot: noai", "nocache, noarchive"]
)  # fmt: skip
_RELS = st.sampled_from(["license", "LICENSE", "stylesheet license", "licence", "canonical", ""])
_HREFS = st.sampled_from(
    ["https://creativecommons.org/licenses/by-nc/4.0/", "/rsl.xml", "licence.html", ""]
)
_TYPES = st.sampled_from(["", "application/rsl+xml", "APPLICATION/RSL+XML", "text/html"])


@st.composite
def _tag(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["meta", "meta", "link", "base", "script", "text", "comment"]))
    if kind == "meta":
        return f'<meta name="{draw(_NAMES)}" content="{draw(_CONTENTS)}">'
    if kind == "link":
        kind_attr = draw(_TYPES)
        typed = f' type="{kind_attr}"' if kind_attr else ""
        return f'<link rel="{draw(_RELS)}" href="{draw(_HREFS)}"{typed}>'
    if kind == "base":
        return f'<base href="{draw(_HREFS)}">'
    if kind == "script":
        return f'<script type="{draw(_TYPES)}"><rsl/></script>'
    if kind == "comment":
        return '<!-- <meta name="robots" content="noai"> -->'
    return "text"  # opens the body: what follows is not the head


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_tag(), max_size=10),
    st.sampled_from(["text/html", "image/png"]),
    st.sampled_from([200, 301]),
    st.sampled_from(
        [
            Context(),
            Context(user_agent="MyBot"),
            Context(extra_robots_directives=frozenset({"noindex"})),
        ]
    ),
)
def test_differential_every_family_reads_the_same_from_the_head_read_for_its_interest(
    tags: list[str], content_type: str, status: int, context: Context
) -> None:
    """The interest is exact: a family's evidence from the narrowed head equals its evidence
    from the whole head, and so does the verdict and the pages' image directives."""
    body = ("<html><head>" + "".join(tags) + "</head><body><p>x</p></body></html>").encode()
    signals = builtin_signals()
    evaluator = Evaluator("train-ai", context, signals)
    assert evaluator.head_interest is not None

    def view(interest: HeadInterest | None) -> ResponseView:
        headers = HeaderList([("Content-Type", content_type)])
        return ResponseView(
            "https://example.com/a/page.html",
            status=status,
            headers=headers,
            body=body,
            head_interest=interest,
        )

    narrow, whole = view(evaluator.head_interest), view(None)
    for signal in signals:
        got = list(signal.response_evidence(narrow, context))
        assert got == list(signal.response_evidence(whole, context)), (signal.family, body)
    assert page_directives(narrow, context) == page_directives(whole, context)
    site = SiteFiles()
    assert evaluator.after_download(narrow, site) == evaluator.after_download(whole, site)
