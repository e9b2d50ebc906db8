"""The plugin protocol: a custom signal written, registered and unit-tested the documented way."""

from __future__ import annotations

import sys
import textwrap
from typing import TYPE_CHECKING

import pytest

from optout_middleware.errors import ConfigError
from optout_middleware.evaluate import Evaluator
from optout_middleware.formats.robotstxt import RobotsTxt, parse
from optout_middleware.inputs import Context, FileState, SiteFile, SiteFiles
from optout_middleware.plugin import SignalParser, load_signal, load_signals
from optout_middleware.testing import (
    assert_not_reserved,
    assert_reserved,
    assert_unknown,
    make_response,
    verdict_for,
)
from optout_middleware.verdict import Evidence, Purpose, disallows

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path

    from optout_middleware.inputs import ResponseView


class HouseHeaderSignal(SignalParser):
    """The README example: a publisher's own `X-No-Train: 1` header."""

    family = "house-header"

    def response_evidence(self, response: ResponseView, context: Context) -> Iterable[Evidence]:
        for value in response.header("X-No-Train"):
            if value.strip() == "1":
                yield Evidence(
                    self.family, "header", value, disallows(Purpose.TRAIN_AI), "X-No-Train"
                )


class BrokenSignal(SignalParser):
    family = "broken"

    def response_evidence(self, response: ResponseView, context: Context) -> Iterable[Evidence]:
        raise RuntimeError("bug in a custom parser")


def test_custom_signal_reserves_through_the_testing_helpers() -> None:
    verdict = verdict_for(HouseHeaderSignal(), response=make_response(headers={"X-No-Train": "1"}))
    assert_reserved(verdict, family="house-header")
    assert verdict.decided_by is not None
    assert verdict.decided_by.location == "X-No-Train"


def test_custom_signal_silent_without_its_header() -> None:
    assert_unknown(verdict_for(HouseHeaderSignal(), response=make_response()))


def test_assert_helpers_fail_with_the_evidence_in_the_message() -> None:
    verdict = verdict_for(HouseHeaderSignal(), response=make_response(headers={"X-No-Train": "1"}))
    with pytest.raises(AssertionError, match="house-header"):
        assert_not_reserved(verdict)


def test_a_failing_parser_is_recorded_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing escapes mid-crawl: a parser bug becomes evidence with a note, and is logged."""
    evaluator = Evaluator("train-ai", Context(), [BrokenSignal(), HouseHeaderSignal()])
    verdict = evaluator.after_download(make_response(headers={"X-No-Train": "1"}), SiteFiles())
    assert verdict.reserved is True
    assert any(e.family == "broken" and "parser error" in e.note for e in verdict.evidence)
    assert "signal parser broken failed" in caplog.text


def test_evaluator_calls_only_the_hooks_a_parser_overrides() -> None:
    evaluator = Evaluator("train-ai", Context(), [HouseHeaderSignal()])
    assert evaluator.site_evidence("https://example.com/", SiteFiles()) == ()


def test_load_signal_by_import_path() -> None:
    parser = load_signal("tests.test_plugin.HouseHeaderSignal")
    assert isinstance(parser, HouseHeaderSignal)
    assert load_signal("tests.test_plugin:HouseHeaderSignal").family == "house-header"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("nodots", "import path"),
        ("tests.test_plugin.Missing", "cannot import"),
        ("no_such_module_xyz.Signal", "cannot import"),
        ("tests.test_plugin.ev_not_a_parser", "SignalParser subclass"),
    ],
)
def test_load_signal_errors_name_the_path(path: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_signal(path)


ev_not_a_parser = object()


@pytest.fixture
def installed_plugin(tmp_path: Path) -> Iterator[None]:
    """A real distribution on sys.path that registers a signal by entry point."""
    pkg = tmp_path / "house_signal_pkg.py"
    pkg.write_text(
        textwrap.dedent(
            """
            from optout_middleware.plugin import SignalParser

            class EntryPointSignal(SignalParser):
                family = "entry-point-demo"
            """
        )
    )
    dist = tmp_path / "house_signal_pkg-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: house-signal-pkg\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[optout_middleware.signals]\nhouse = house_signal_pkg:EntryPointSignal\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("house_signal_pkg", None)


@pytest.mark.usefixtures("installed_plugin")
def test_entry_point_signals_are_loaded_once_per_family() -> None:
    parsers = load_signals(["tests.test_plugin.HouseHeaderSignal"])
    families = [p.family for p in parsers]
    assert families == ["house-header", "entry-point-demo"]
    assert [p.family for p in load_signals(use_entry_points=False)] == []


def test_site_file_can_be_built_through_its_generic_alias() -> None:
    """Users type site files as SiteFile[RobotsTxt]; calling the alias must work (slots broke it)."""
    site_file = SiteFile[RobotsTxt](state=FileState.PARSED, parsed=parse(b"User-agent: *\n"))
    assert site_file.parsed is not None
