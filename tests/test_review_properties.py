"""Properties for the defect classes of the review (issue 17, ../shared/review.md F1-F5).

Each test states a property that holds for every input of its class, not only the example that
exposed the defect: every cut position of the head windows (F1), every joining of header fields
(F2), every memo's keys (F3), every character of a crawler token (F4), and the per-URL work of
site evaluation against the number of robots.txt extension lines (F5).
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from scrapy.settings import Settings

from optout_middleware.cli.main import product_token as cli_product_token
from optout_middleware.errors import ConfigError
from optout_middleware.evaluate import builtin_signals
from optout_middleware.formats import htmlhead
from optout_middleware.formats.htmlhead import extract_head
from optout_middleware.formats.patterns import PathPattern
from optout_middleware.formats.robotstxt import RobotsTxt, agent_key
from optout_middleware.formats.robotstxt import parse as robots_parse
from optout_middleware.inputs import Context, SiteFiles
from optout_middleware.middlewares.config import OptOutConfig
from optout_middleware.signals import aiprefvocab
from optout_middleware.signals.robotsmeta import RobotsMetaSignal
from optout_middleware.testing import make_response, make_site, verdict_for
from optout_middleware.verdict import Purpose

if TYPE_CHECKING:
    from collections.abc import Callable

    from optout_middleware.plugin import SignalParser

# --- F1: the head of a cut window is the head of the whole document --------------------------

# Head content an HTML page may hold, including the constructs a cut can land inside: long tags,
# quoted ">" in values, raw-text elements holding "<", comments holding tags. No "</head" and
# no "<body": the window path, not the marker path.
_HEAD_PIECES = [
    '<meta name="robots" content="noai">',
    '<meta name="tdm-reservation" content="1">',
    "<meta name=CCBot content=noimageai>",
    '<meta content="a > b" name="description">',
    '<meta name="x" content=\'it\'s "quoted" >\'>',
    '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">',
    '<link rel="preload" href="/f.woff2" as="font">',
    '<base href="/b/">',
    "<title>a < b &amp; <meta name=robots content=noai></title>",
    "<script>if (a<b && c>d) { x = '<meta>'; }</script>",
    "<style>p > a { color: red }</style>",
    "<!-- <meta name=robots content=noai> -->",
    "<noscript><link rel=stylesheet href=/n.css></noscript>",
    "<script src=/a.js></script>",
    "\n  ",
]
_BODY_PIECES = ["<p>text</p>", "text", "<div><meta name=robots content=noai></div>", ""]


def _full_parse(doc: bytes) -> htmlhead.HtmlHead:
    """The oracle: the same collector over the parse of the whole document."""
    root = etree.fromstring(doc, htmlhead._PARSER)
    return htmlhead._collect(root, False, len(doc), "utf-8")


def _signals(head: htmlhead.HtmlHead) -> tuple[object, ...]:
    return (head.metas, head.links, head.base_href)


def _every_cut_agrees(doc: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _signals(_full_parse(doc))
    for cut in range(1, len(doc) + 1):
        monkeypatch.setattr(htmlhead, "_FIRST_WINDOW", cut)
        got = _signals(extract_head(doc))
        assert got == expected, f"first window cut at byte {cut}: {doc[cut - 20 : cut + 20]!r}"


def test_head_window_cut_at_every_position_gives_the_full_document_head(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Review F1: a document without ``</head>`` and ``<body>`` (valid HTML) has the same head
    signals whatever byte the first window (and the windows after it) ends at."""
    doc = ("<html><head>" + "".join(_HEAD_PIECES) + "<p>text</p><meta name=x content=y>").encode()
    _every_cut_agrees(doc, monkeypatch)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.sampled_from(_HEAD_PIECES), min_size=1, max_size=8),
    st.sampled_from(_BODY_PIECES),
    st.booleans(),
)
def test_head_window_cut_property_over_generated_heads(
    monkeypatch: pytest.MonkeyPatch, pieces: list[str], body: str, html_tag: bool
) -> None:
    """Review F1 as a property: any head of ordinary tags, every cut position of every window."""
    doc = (("<html><head>" if html_tag else "") + "".join(pieces) + body).encode()
    _every_cut_agrees(doc, monkeypatch)


def test_review_f1_example_noai_after_an_8_kib_window_ending_inside_a_link_tag() -> None:
    """Review F1, the reported input: byte 8192 falls inside ``<link r|el``; ``noai`` counts."""
    desc = '<meta name="description" content="' + "a" * 8127 + '">'
    doc = (
        "<html><head><title>t</title>"
        + desc
        + '<link rel="preload" href="/f.woff2" as="font">'
        + '<meta name="robots" content="noai"><p>text</p>'
    ).encode()
    assert b"<link r" in doc[8180:8200]
    for shift in range(-40, 60):  # and each neighbouring offset of the cut
        shifted = doc.replace(b"a" * 8127, b"a" * (8127 + shift))
        assert htmlhead.MetaTag("robots", "noai") in extract_head(shifted).metas, shift


# --- F2: a field joined from several lines means what the lines meant ------------------------

_CONTEXTS = (
    Context(),
    Context(user_agent="CCBot"),
    Context(extra_robots_directives=frozenset({"noindex", "noarchive"})),
)
_SCOPES = ["GPTBot", "googlebot", "otherbot", "CCBot/2.0", "img2dataset", "ChatGPT Agent"]
_DIRECTIVES = [
    "noai",
    "noimageai",
    "noindex",
    "nofollow",
    "noarchive",
    "max-snippet: 20",
    "unavailable_after: Wed, 31 Dec 2030 23:59:59 GMT",
    "NoAI",
]
_directive_lists = st.lists(st.sampled_from(_DIRECTIVES), min_size=1, max_size=3)
_scoped_field = st.builds(
    lambda scope, ds: f"{scope}: {', '.join(ds)}", st.sampled_from(_SCOPES), _directive_lists
)
_unscoped_field = _directive_lists.map(", ".join)


def _decisions(headers: list[tuple[str, str]], context: Context) -> list[bool | None]:
    response = make_response("https://example.com/p", headers=headers)
    return [
        verdict_for(response=response, purpose=p, context=context).reserved
        for p in (Purpose.TRAIN_AI, Purpose.TRAIN_GENAI, Purpose.AI_INPUT, Purpose.TDM)
    ]


def _joinings(fields: list[str], cuts: list[bool], sep: str) -> list[str]:
    """``fields`` joined into lines: ``cuts[i]`` keeps a line break after field ``i``."""
    lines, current = [], [fields[0]]
    for value, cut in zip(fields[1:], cuts, strict=False):
        if cut:
            lines.append(sep.join(current))
            current = [value]
        else:
            current.append(value)
    lines.append(sep.join(current))
    return lines


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(st.none(), _unscoped_field),
    st.lists(_scoped_field, min_size=1, max_size=4),
    st.lists(st.booleans(), min_size=4, max_size=4),
    st.sampled_from([", ", ",", " , "]),
    st.sampled_from(_CONTEXTS),
)
def test_x_robots_tag_any_joining_of_fields_gives_the_verdict_of_the_separate_fields(
    first: str | None, scoped: list[str], cuts: list[bool], sep: str, context: Context
) -> None:
    """Review F2, spec 5.6 "repeated headers vs one combined header => same meaning": however
    an intermediary joins ``X-Robots-Tag`` lines with commas (RFC 9110 5.3), the verdict is the
    one of the separate lines. (An unscoped field can only come first: after a scoped one, a
    joined line reads it inside that scope, as spec 5.6 says one line is read.)"""
    fields = ([first] if first else []) + scoped
    separate = _decisions([("X-Robots-Tag", f) for f in fields], context)
    joined = _joinings(fields, cuts, sep)
    assert _decisions([("X-Robots-Tag", line) for line in joined], context) == separate, joined


_USAGE = ["train-ai=n", "search=y", "ai-use=n", "train-ai=y", "tdm=n", "bots=n"]
_SIGNAL = ["ai-train=no", "search=yes", "ai-input=no", "ai-train=yes"]


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([("Content-Usage", _USAGE), ("Content-Signal", _SIGNAL)]).flatmap(
        lambda pair: st.tuples(
            st.just(pair[0]), st.lists(st.sampled_from(pair[1]), min_size=1, max_size=4)
        )
    ),
    st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_preference_headers_any_joining_gives_the_verdict_of_the_separate_fields(
    header_fields: tuple[str, list[str]], cuts: list[bool]
) -> None:
    """Review F2's property for the other list-valued headers (RFC 9651 4.2, spec 3.5): the
    joined ``Content-Usage`` / ``Content-Signal`` field means what its lines meant."""
    name, fields = header_fields
    separate = _decisions([(name, f) for f in fields], Context())
    joined = _joinings(fields, cuts, ", ")
    assert _decisions([(name, line) for line in joined], Context()) == separate


def test_x_robots_tag_scope_after_a_comma_starts_a_new_scope() -> None:
    """Review F2 examples: ``noindex, GPTBot: noai`` reserves for GPTBot (a default AI token),
    ``GPTBot: noindex, otherbot: noai`` does not, and ``ccbot/2.0: noai`` names CCBot."""
    for value, reserved in [
        ("noindex, GPTBot: noai", True),
        ("googlebot: noindex, GPTBot: noai", True),
        ("GPTBot: noindex, otherbot: noai", None),
        ("ccbot/2.0: noai", True),
    ]:
        response = make_response(headers=[("X-Robots-Tag", value)])
        assert verdict_for(response=response).reserved is reserved, value


# --- F3: no memo keyed by the id() of an object it does not hold -----------------------------

_ROBOTS = (
    "User-agent: CCBot\nContent-Signal: ai-train=no\nContent-Usage: train-ai=n\n"
    "DisallowAITraining: /x/\nDisallow: /private/\n\n"
    "User-agent: GPTBot\nDisallow: /\n\n"
    "User-agent: *\nContent-Signal: ai-train=yes\nContent-Usage: /a/ train-ai=y\nAllow: /\n"
)
_TDMREP = '[{"location": "/a/*", "tdm-reservation": 1}, {"location": "/", "tdm-reservation": 0}]'
_HEADERS = [
    [("X-Robots-Tag", "noindex"), ("Content-Signal", "ai-train=no")],
    [("X-Robots-Tag", "CCBot: noai"), ("Content-Usage", "train-ai=n")],
    [("Content-Type", "image/png"), ("X-Robots-Tag", "noimageai, noarchive")],
]
_HTML = "<html><head><meta name=robots content=noindex><meta name=ccbot content=noai></head>"


def _contexts() -> list[Context]:
    return [
        Context(),
        Context(user_agent="CCBot"),
        Context(extra_robots_directives=frozenset({"noindex", "noarchive"})),
        Context(user_agent="CCBot", wildcard_group_signals=False, aipref_legacy_labels=False),
        Context(ai_agents=()),
    ]


def _site() -> SiteFiles:
    return make_site("https://example.com/", robots=_ROBOTS, tdmrep=_TDMREP, aitxt="Disallow: /")


def _exercise(
    signals: list[SignalParser], contexts: list[Context], site: SiteFiles | None = None
) -> list[object]:
    """Every built-in family over site files, headers and metas, under each context."""
    site = site or _site()
    seen: list[object] = []
    for context in contexts:
        for path in ("/", "/a/b", "/x/y", "/private/p"):
            url = "https://example.com" + path
            seen.append(verdict_for(*signals, url=url, site=site, context=context).to_dict())
        for headers in _HEADERS:
            response = make_response("https://example.com/p", headers=headers, html=_HTML)
            for purpose in (Purpose.TRAIN_AI, Purpose.TDM):
                v = verdict_for(*signals, response=response, context=context, purpose=purpose)
                seen.append(v.to_dict())
    return seen


def _reachable_ids(root: object) -> set[int]:
    ids: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in ids or isinstance(obj, type):
            continue
        ids.add(id(obj))
        stack.extend(gc.get_referents(obj))
    return ids


def _memos(root: object) -> list[dict[object, object]]:
    """Every dict held by the signal object (its memos and their nested ones)."""
    found: list[dict[object, object]] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, (type, str, bytes, int)):
            continue
        seen.add(id(obj))
        if isinstance(obj, dict):
            found.append(obj)
        stack.extend(gc.get_referents(obj))
    return found


def _key_ints(key: object) -> list[int]:
    if isinstance(key, tuple):
        return [i for k in key for i in _key_ints(k)]
    return [key] if isinstance(key, int) and not isinstance(key, bool) else []


_ID_FLOOR = 1 << 20  # ids are addresses; indexes and flags in keys are small


def test_no_memo_is_keyed_by_the_id_of_an_object_it_does_not_hold() -> None:
    """Review F3: a memo keyed by ``id(x)`` must hold ``x``, else a new object at the freed
    address gets the old answer. After the contexts, files and responses are gone, every id in
    every memo key of every built-in parser names an object the parser still holds."""
    signals = builtin_signals()
    _exercise(signals, _contexts())
    gc.collect()
    for signal in signals:
        held = _reachable_ids(signal)
        for memo in _memos(signal):
            for key in memo:
                for number in _key_ints(key):
                    assert number < _ID_FLOOR or number in held, (signal.family, key)


def test_one_parser_instance_across_contexts_answers_as_fresh_parsers_do() -> None:
    """Review F3 / M11: a parser reused across contexts (tests, services that rebuild them)
    gives each context the verdicts a fresh parser gives it, in either order."""
    contexts = _contexts()
    fresh = [_exercise(builtin_signals(), [c]) for c in contexts]
    site, shared = _site(), builtin_signals()  # one parsed file too, as in a crawl
    assert [_exercise(shared, [c], site) for c in contexts] == fresh
    site, shared = _site(), builtin_signals()
    assert [_exercise(shared, [c], site) for c in reversed(contexts)] == fresh[::-1]


def test_review_f3_example_extra_directive_after_a_plain_context() -> None:
    """Review F3, the reported input: ``noindex`` counts only under a context that lists it."""
    signal = RobotsMetaSignal()
    response = make_response(headers={"X-Robots-Tag": "noindex"})
    assert verdict_for(signal, response=response, context=Context()).reserved is None
    extras = Context(extra_robots_directives=frozenset({"noindex"}))
    assert verdict_for(signal, response=response, context=extras).reserved is True
    assert verdict_for(signal, response=response, context=Context()).reserved is None


# --- F4: the crawler's own token keeps every character a robots.txt group matches ------------

# Names a robots.txt User-agent line can hold and our matcher reads whole (formats.robotstxt):
# letters, digits, ".", "-", "_"; at least one letter.
_AGENT_NAMES = st.from_regex(r"[A-Za-z0-9._-]{0,6}[A-Za-z][A-Za-z0-9._-]{0,6}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(_AGENT_NAMES, st.sampled_from(["/1.0", "/2.19 (+https://x.test/bot)", " (compatible)", ""]))
def test_crawler_token_from_any_user_agent_selects_the_group_written_with_its_name(
    name: str, rest: str
) -> None:
    """Review F4, specs.md 6.5: the token taken from ``USER_AGENT`` (middleware) and from
    ``--user-agent`` (CLI) selects the robots.txt group written with that name, whatever its
    characters, so the crawler reads its own Disallow and its own extension lines."""
    robots = robots_parse(f"User-agent: {name}\nDisallow: /private/\n\nUser-agent: *\nAllow: /\n")
    user_agent = name + rest
    for token in (
        OptOutConfig.from_settings(Settings({"USER_AGENT": user_agent})).user_agent,
        cli_product_token(user_agent),
    ):
        assert agent_key(token) == agent_key(name)
        assert robots.names_agent(token)
        assert not robots.allowed("/private/page", token)


@settings(max_examples=200, deadline=None)
@given(_AGENT_NAMES)
def test_optout_user_agent_accepts_every_name_a_group_can_be_written_with(name: str) -> None:
    """Review F4: ``OPTOUT_USER_AGENT="AI2Bot"`` is accepted as given and its group's extension
    lines reach the crawl. (A name with a space is refused: a ``User-agent`` value is its first
    word, so no group could ever name it; issue 12.)"""
    context = OptOutConfig.from_settings(Settings({"OPTOUT_USER_AGENT": name})).context()
    assert context.user_agent == name
    robots = f"User-agent: {name}\nContent-Usage: train-ai=n\n\nUser-agent: *\nAllow: /\n"
    site = make_site("https://example.com/", robots=robots)
    assert verdict_for(url="https://example.com/x", site=site, context=context).reserved is True


def test_review_f4_example_ai2bot_reads_its_own_group() -> None:
    """Review F4, the reported input: ``AI2Bot/1.0`` reads ``User-agent: AI2Bot``."""
    robots = (
        "User-agent: AI2Bot\nContent-Usage: train-ai=n\nDisallow: /private/\n\n"
        "User-agent: *\nAllow: /\n"
    )
    agent = OptOutConfig.from_settings(Settings({"USER_AGENT": "AI2Bot/1.0 (+x)"})).user_agent
    assert agent == "AI2Bot"
    site = make_site("https://example.com/", robots=robots)
    context = Context(user_agent=agent)
    assert verdict_for(url="https://example.com/x", site=site, context=context).reserved is True
    assert not robots_parse(robots).allowed("/private/a", agent)


# --- F5: per-URL work does not grow with the number of extension lines -----------------------


class _Counts:
    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def wrap(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            return func(*args, **kwargs)

        return counted


def _robots_with(lines: int) -> str:
    usage = "".join(f"Content-Usage: /s{i}/ train-ai=n\nCrawl-delay: {i}\n" for i in range(lines))
    return (
        "User-agent: *\nContent-Signal: search=yes\nContent-Usage: train-ai=y\n"
        + usage
        + "DisallowAITraining: /t/\nAllow: /\n"
    )


def _per_url_work(lines: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Parse, pattern and group-scan calls made by 17 URLs after the first, all families."""
    site = make_site("https://example.com/", robots=_robots_with(lines))
    signals = builtin_signals()
    context = Context(user_agent="MyBot")
    verdict_for(*signals, url="https://example.com/s1/a", site=site, context=context)  # warm
    counts = _Counts()
    monkeypatch.setattr(
        aiprefvocab, "parse_dictionary", counts.wrap("sfv", aiprefvocab.parse_dictionary)
    )
    monkeypatch.setattr(aiprefvocab, "PathPattern", counts.wrap("pattern", aiprefvocab.PathPattern))
    monkeypatch.setattr(PathPattern, "matches", counts.wrap("match", PathPattern.matches))
    scan = counts.wrap("group scan", RobotsTxt._extension_records)
    monkeypatch.setattr(RobotsTxt, "_extension_records", scan)
    for k in (*range(2, 10), *range(2, 10)):
        url = f"https://example.com/s{k}/page?q={k}"
        assert verdict_for(*signals, url=url, site=site, context=context).reserved is True
    other = verdict_for(*signals, url="https://example.com/x", site=site, context=context)
    assert other.reserved is None  # only the pathless train-ai=y applies: train-genai allowed
    monkeypatch.undo()
    return counts.calls


def test_site_evaluation_work_per_url_is_independent_of_the_number_of_extension_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Review F5: with 10, 1,100 or 5,000 ``Content-Usage`` (and ``Crawl-delay``) lines, a URL
    costs the same counted work: no value is parsed again, no group is scanned again, and only
    the patterns that could match the URL are tried (1,025 lines used to re-parse every line
    on every URL)."""
    work = [_per_url_work(n, monkeypatch) for n in (10, 1100, 5000)]
    assert work[0] == work[1] == work[2], work
    assert work[0].get("sfv", 0) == work[0].get("pattern", 0) == work[0].get("group scan", 0) == 0


# --- F8, F9: decided readings ---------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "search=yes; ai-train=no",
        "ai-train=no;",
        "search=yes ai-train=no",
        "ai-train=no;v=1",
        "ai-train='no'",
        "ai-train:no",
        "ai-train=no\u00a0, search=yes",
    ],
)
def test_content_signal_negative_survives_odd_separators_and_punctuation(value: str) -> None:
    """Review F8 (decided: fix), spec 3.7 [inferred] "treat negative-looking values as no": a
    ``no`` written with ``;``, spaces, ``:``, quotes or a non-ASCII space reserves, in the
    header and in robots.txt."""
    response = make_response(headers={"Content-Signal": value})
    assert verdict_for(response=response).reserved is True
    site = make_site("https://example.com/", robots=f"User-agent: *\nContent-Signal: {value}\n")
    assert verdict_for(url="https://example.com/a", site=site).reserved is True


@pytest.mark.parametrize("value", ["search=no; ai-train=yes", "ai-train:yes", "ai-train='yes'"])
def test_content_signal_lenient_reading_never_reads_a_yes(value: str) -> None:
    """Review F8: the lenient reading goes only towards "no"; a "yes" it would find is unknown."""
    response = make_response(headers={"Content-Signal": value})
    assert verdict_for(response=response).reserved is None


_F9_BODY = (
    b'<html><head><meta name="robots" content="noai"><meta name="tdm-reservation" content="1">'
    b"</head><body>x</body></html>"
)


@pytest.mark.parametrize("charset", ["utf-16", "UTF-16LE", "utf-16be", "utf-32"])
def test_http_wide_charset_on_ascii_bytes_does_not_hide_the_head(charset: str) -> None:
    """Review F9 (decided: fix): an HTTP ``charset=utf-16`` on an ASCII body is wrong the way a
    ``<meta charset=utf-16>`` on one is; the head is read as ASCII-compatible."""
    headers = {"Content-Type": f"text/html; charset={charset}"}
    response = make_response(headers=headers, body=_F9_BODY)
    assert verdict_for(response=response, purpose=Purpose.TDM).reserved is True


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-16"])
def test_http_utf16_charset_on_wide_bytes_is_still_obeyed(codec: str) -> None:
    """Review F9: real UTF-16 (with or without a BOM, either byte order) is still decoded."""
    headers = {"Content-Type": "text/html; charset=utf-16"}
    response = make_response(headers=headers, body=_F9_BODY.decode().encode(codec))
    assert verdict_for(response=response, purpose=Purpose.TDM).reserved is True


# --- minor readings (review "Minor or debatable readings") -----------------------------------


def test_template_content_is_not_the_head() -> None:
    """HTML: ``<template>`` content is inert; a ``noai`` meta inside it is not the page's."""
    html = "<html><head><template><meta name=robots content=noai></template></head><body>x"
    assert verdict_for(response=make_response(html=html)).reserved is None
    html = "<html><head><template><p></template><meta name=robots content=noai></head><body>x"
    assert verdict_for(response=make_response(html=html)).reserved is True


def test_tdmrep_json_duplicate_reservation_key_keeps_the_reservation() -> None:
    """tdmrep.json ``"tdm-reservation": 1, "tdm-reservation": 0`` in one rule reserves (JSON
    leaves duplicate keys undefined; the conservative reading keeps the 1)."""
    body = '[{"location": "/", "tdm-reservation": 1, "tdm-reservation": 0}]'
    site = make_site("https://example.com/", tdmrep=body)
    assert verdict_for(url="https://example.com/a", site=site, purpose="tdm").reserved is True
    body = '[{"location": "/", "tdm-reservation": 0, "tdm-reservation": 0}]'
    site = make_site("https://example.com/", tdmrep=body)
    assert verdict_for(url="https://example.com/a", site=site, purpose="tdm").reserved is False


def test_tdmrep_json_protocol_relative_location_is_read_on_the_files_origin() -> None:
    """spec 1.7 [inferred]: a same-origin absolute URL location uses its path; ``//host/`` is one."""
    body = '[{"location": "//example.com/private/", "tdm-reservation": 1}]'
    site = make_site("https://example.com/", tdmrep=body)
    assert verdict_for(url="https://example.com/private/a", site=site, purpose="tdm").reserved
    other = '[{"location": "//other.example/", "tdm-reservation": 1}]'
    site = make_site("https://example.com/", tdmrep=other)
    assert verdict_for(url="https://example.com/a", site=site, purpose="tdm").reserved is None


def test_tdm_reservation_header_quoted_value_is_read_like_the_files() -> None:
    """``tdm-reservation: "1"`` is strictly invalid (spec 1.2) but evidently 1, as tdmrep.json's
    ``"1"`` is read: the header reserves, with a note."""
    response = make_response(headers={"tdm-reservation": '"1"'})
    verdict = verdict_for(response=response, purpose="tdm")
    assert verdict.reserved is True
    assert verdict.decided_by is not None
    assert "quoted" in verdict.decided_by.note


@pytest.mark.parametrize(
    "start", [b"<!-- generated -->\n<html>", b"<title>t</title>", b"<script>x</script>"]
)
def test_html_without_content_type_is_sniffed_as_whatwg_does(start: bytes) -> None:
    """WHATWG MIME sniffing: a body that starts with a comment or an HTML tag is HTML, so a
    ``noai`` meta in a page served without Content-Type is read."""
    body = start + b'<meta name="robots" content="noai">'
    response = make_response("https://example.com/p", body=body)
    assert response.is_html
    assert verdict_for(response=response).reserved is True


def test_body_that_is_not_html_is_not_sniffed_as_html() -> None:
    """A JSON or binary body without Content-Type is not read for metas."""
    assert not make_response(body=b'{"a": "<html>"}').is_html
    assert not make_response(body=b"\x89PNG\r\n\x1a\n<html>").is_html
    assert not make_response(body=b"<abbr>").is_html  # "<a" then a letter is not "<a "
    assert make_response(body=b"<p>text").is_html  # HTML, though its metas are in the body


def test_optout_user_agent_with_a_space_is_refused() -> None:
    """Issue 12 x review F4: ``User-agent: ChatGPT Agent`` names ``ChatGPT``, so a crawler
    called "ChatGPT Agent" could never read its own group; the setting says so at startup."""
    with pytest.raises(ConfigError, match="OPTOUT_USER_AGENT"):
        OptOutConfig.from_settings(Settings({"OPTOUT_USER_AGENT": "ChatGPT Agent"}))
