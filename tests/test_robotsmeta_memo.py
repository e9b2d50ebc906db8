"""robots-meta remembers each header line / meta content it has read (robotsmeta.py).

The reading of a value is shared between responses only where it cannot differ: specs.md 5.1
gives ``noimageai`` (and the ``noimageindex`` extra) a stance on images only, so a value that
can name one is remembered per kind of response, and one that cannot is shared by all.
"""

from __future__ import annotations

from optout_middleware.inputs import Context, HeaderList, ResponseView
from optout_middleware.signals.robotsmeta import RobotsMetaSignal


def _page(head: str = "", *headers: tuple[str, str]) -> ResponseView:
    body = f"<html><head>{head}</head><body></body></html>".encode()
    pairs = [("Content-Type", "text/html"), *headers]
    return ResponseView("https://pub.example/a", headers=HeaderList(pairs), body=body)


def _image(*headers: tuple[str, str]) -> ResponseView:
    pairs = [("Content-Type", "image/png"), *headers]
    return ResponseView("https://pub.example/a.png", headers=HeaderList(pairs), body=b"\x89PNG")


CONTEXT = Context()  # one crawl: what is remembered is remembered per context


def _stances(signal: RobotsMetaSignal, response: ResponseView) -> list[bool]:
    return [bool(e.stances) for e in signal.response_evidence(response, CONTEXT)]


def test_a_remembered_noimageai_line_keeps_its_page_and_image_readings_apart() -> None:
    """specs.md 5.1: noimageai reserves an image, and only informs on a page, in any case."""
    signal = RobotsMetaSignal()
    line = ("X-Robots-Tag", "NoImageAI")
    assert _stances(signal, _page("", line)) == [False]
    assert _stances(signal, _image(line)) == [True]
    assert _stances(signal, _page("", line)) == [False]


def test_a_remembered_noimageai_meta_and_the_same_line_on_an_image_read_apart() -> None:
    signal = RobotsMetaSignal()
    meta = '<meta name="robots" content="noai, NOIMAGEAI">'
    assert _stances(signal, _page(meta)) == [True, False]
    assert _stances(signal, _image(("X-Robots-Tag", "noai, NOIMAGEAI"))) == [True, True]
    assert _stances(signal, _page(meta)) == [True, False]


def test_a_value_without_image_directives_reads_the_same_everywhere() -> None:
    """specs.md 5.1: noai reserves pages and images alike."""
    signal = RobotsMetaSignal()
    line = ("X-Robots-Tag", "noai")
    assert _stances(signal, _page("", line)) == [True]
    assert _stances(signal, _image(line)) == [True]
