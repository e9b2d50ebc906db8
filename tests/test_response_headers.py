"""inputs.header_values / ResponseView.header, and the evaluator's per-response hook loop.

The fast header path must answer what ``getlist`` answers, for Scrapy's ``Headers`` in any
spelling of a name, for ``HeaderList``, and fall back to ``getlist`` for anything else (a
subclass may store keys its own way). The hook loop must record a failing parser, including one
whose generator fails half-way, as ``_run`` did: none of its evidence, one note.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.http import Headers

from optout_middleware.evaluate import Evaluator
from optout_middleware.inputs import Context, HeaderList, ResponseView, SiteFiles, header_values
from optout_middleware.plugin import SignalParser
from optout_middleware.verdict import Evidence, Purpose, disallows

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    import pytest

_NAMES = ["X-Robots-Tag", "x-robots-tag", "X-ROBOTS-TAG", "Link", "tdm-reservation",
          "TDM-Policy", "Content-Usage", "content-signal", "Content-Type", "x-a.b_c", "X-1a"]  # fmt: skip
_pairs = st.lists(
    st.tuples(st.sampled_from(_NAMES), st.binary(max_size=8)),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(_pairs, st.sampled_from([*_NAMES, "Absent", "\u00e9tag"]))
def test_scrapy_headers_answer_as_getlist_in_any_spelling(
    pairs: list[tuple[str, bytes]], name: str
) -> None:
    headers = Headers(pairs)
    assert header_values(headers, name) == headers.getlist(name)


@settings(max_examples=300, deadline=None)
@given(_pairs, st.sampled_from([*_NAMES, "Absent"]))
def test_header_list_answers_as_getlist(pairs: list[tuple[str, bytes]], name: str) -> None:
    headers = HeaderList(pairs)
    assert header_values(headers, name) == headers.getlist(name)


class _Renamed(Headers):
    """A subclass that stores keys its own way: only its getlist knows them."""

    def normkey(self, key: str | bytes) -> bytes:
        return b"k-" + super().normkey(key)


class _Plain:
    def getlist(self, key: str) -> list[bytes]:
        return [b"from getlist"] if key == "Link" else []


def test_anything_but_the_exact_classes_is_asked_through_getlist() -> None:
    renamed = _Renamed([("Link", b"<a>")])
    assert header_values(renamed, "link") == [b"<a>"]
    wide = Headers([("Link", b"<w>")], encoding="utf-16")  # keys stored as UTF-16 names
    assert header_values(wide, "link") == wide.getlist("link") == [b"<w>"]
    assert header_values(_Plain(), "Link") == [b"from getlist"]


def test_header_lines_stay_separate_and_decode_as_latin1() -> None:
    view = ResponseView("https://x/", headers=Headers([("Link", [b"<a>", b"<\xe9>"])]))
    assert view.header("link") == ("<a>", "<\u00e9>")
    assert view.header("X-Robots-Tag") == ()


def test_is_image_by_type_or_magic_bytes_is_decided_once() -> None:
    jpeg = ResponseView("https://x/a", body=b"\xff\xd8\xff\xe0" + bytes(16))
    typed = ResponseView("https://x/b", headers=HeaderList([("Content-Type", "image/png")]))
    page = ResponseView("https://x/c", headers=HeaderList([("Content-Type", "text/html")]))
    assert (jpeg.is_image, typed.is_image, page.is_image) == (True, True, False)
    jpeg.body = b"<html>"  # a view is read-only in use; the answer is not recomputed
    assert jpeg.is_image is True


class _HalfGenerator(SignalParser):
    family = "half"

    def response_evidence(self, response: ResponseView, context: Context) -> Iterator[Evidence]:
        yield Evidence(self.family, "header", "x", disallows(Purpose.TRAIN_AI))
        raise RuntimeError("fails half-way")


class _ListSignal(SignalParser):
    family = "listed"

    def response_evidence(self, response: ResponseView, context: Context) -> Iterable[Evidence]:
        return [Evidence(self.family, "header", "y")]


def test_a_parser_failing_half_way_adds_only_its_error_note(
    caplog: pytest.LogCaptureFixture,
) -> None:
    evaluator = Evaluator("train-ai", Context(), [_HalfGenerator(), _ListSignal()])
    verdict = evaluator.after_download(ResponseView("https://x/"), SiteFiles())
    assert [(e.family, e.source) for e in verdict.evidence] == [
        ("half", "parser"),
        ("listed", "header"),
    ]
    assert verdict.reserved is None  # the half-way evidence did not count
    assert "fails half-way" in caplog.text
