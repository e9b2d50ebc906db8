"""``optout check`` with RSL licences, as a subprocess: it fetches what the middleware fetches
(robots.txt ``License:`` documents, the page's linked documents) and shows what it read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .cli_server import Reply
from .test_cli import check_json, page, run

if TYPE_CHECKING:
    from collections.abc import Callable


NS = 'xmlns="https://rslstandard.org/rsl"'
XML = ("Content-Type", "application/rsl+xml")
SITE_DOC = (
    f'<rsl {NS} max-age="7"><content url="/"><license><permits type="usage">all</permits>'
    '</license></content><content url="/paid/"><license><permits type="usage">ai-train'
    '</permits><payment type="training"><amount currency="EUR">0.01</amount></payment>'
    "</license></content></rsl>"
)
PAGE_DOC = (
    f'<rsl {NS}><content url="/"><license><prohibits type="usage">ai-all</prohibits>'
    "</license></content></rsl>"
)


def test_check_reads_robots_license_document_and_shows_matching_content(
    serve: Callable[..., Any],
) -> None:
    site = serve(
        {
            "/robots.txt": "License: /license.xml\n",
            "/license.xml": Reply(SITE_DOC, 200, (XML,)),
            "/paid/x": page(),
        }
    )
    status, data = check_json(site.url("/paid/x"))
    assert status == 1
    assert data["decided_by"]["family"] == "rsl"
    assert "licence required" in data["decided_by"]["value"]
    assert "training 0.01 EUR" in data["decided_by"]["note"]
    (doc,) = data["rsl_documents"]
    assert doc["url"] == site.url("/license.xml")
    assert doc["state"] == "parsed"
    assert doc["max_age_days"] == 7
    assert doc["matching"] == [2]
    assert doc["contents"][1]["licenses"][0]["payment"] == ["training 0.01 EUR"]
    assert site.count("/license.xml") == 1
    text = run("check", site.url("/paid/x")).stdout
    assert "RSL licence documents (1)" in text
    assert "matching content 2: url='/paid/'" in text
    assert 'licence 1: permits usage "ai-train"; payment training 0.01 EUR' in text


def test_check_fetches_a_cross_origin_document_linked_by_the_page(
    serve: Callable[..., Any],
) -> None:
    licences = serve({"/l.xml": Reply(PAGE_DOC, 200, (XML,))}, host="127.0.0.2")
    link = ("Link", f'<{licences.url("/l.xml")}>; rel="license"; type="application/rsl+xml"')
    site = serve({"/a": page("", link)})
    status, data = check_json(site.url("/a"))
    assert status == 1
    assert data["decided_by"]["source"] == "header"
    assert [d["url"] for d in data["rsl_documents"]] == [licences.url("/l.xml")]
    assert licences.count("/l.xml") == 1


def test_check_shows_an_unreadable_document_and_its_reason(serve: Callable[..., Any]) -> None:
    site = serve(
        {
            "/robots.txt": "License: /license.xml\n",
            "/license.xml": Reply("<!DOCTYPE x [<!ENTITY a 'b'>]><rsl/>", 200, (XML,)),
            "/a": page(),
        }
    )
    status, data = check_json(site.url("/a"))
    assert status == 1
    assert "DOCTYPE" in data["decided_by"]["value"]
    _, search = check_json(site.url("/a"), "--purpose", "search")
    assert search["reserved"] is None
    assert "unreadable" in run("check", site.url("/a")).stdout
