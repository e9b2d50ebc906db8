"""The ``iptc`` and ``c2pa`` families: what embedded opt-outs reserve, and which manifests count."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optout_middleware.evaluate import Evaluator, builtin_signals
from optout_middleware.inputs import Context, HeaderList, ResponseView, SiteFiles
from optout_middleware.signals.c2pa import C2paSignal
from optout_middleware.signals.iptc import IptcSignal, read_data_mining
from optout_middleware.verdict import Purpose, Stance, Verdict

from . import imagebuild as b

DATA = Path(__file__).parent / "data" / "images"


def verdict(
    body: bytes, purpose: str = "train-ai", ctype: str = "image/jpeg", **headers: str
) -> Verdict:
    pairs = [("Content-Type", ctype)] if ctype else []
    pairs += [(k.replace("_", "-"), v) for k, v in headers.items()]
    view = ResponseView("https://cdn.example/p.jpg", headers=HeaderList(pairs), body=body)
    return Evaluator(purpose, Context(), builtin_signals()).after_download(view, SiteFiles())


def c2pa_png(*manifests: bytes) -> bytes:
    return b.png(b.png_chunk(b"caBX", b.store(*manifests)))


def stances(v: Verdict, family: str) -> set[tuple[str, str]]:
    return {(p.value, s.value) for e in v.evidence if e.family == family for p, s in e.stances}


# --- IPTC DataMining -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "reserved"),
    [
        ("DMI-PROHIBITED", {"tdm"}),
        ("DMI-PROHIBITED-AIMLTRAINING", {"train-ai"}),
        ("DMI-PROHIBITED-GENAIMLTRAINING", {"train-genai"}),
        ("DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", {"train-ai", "ai-input"}),
        ("DMI-PROHIBITED-SEECONSTRAINT", {"tdm"}),
        ("DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR", {"tdm"}),
        ("DMI-PROHIBITED-SEELINKEDRIGHTSEXPR", {"tdm"}),
        ("DMI-ALLOWED-noaitraining", {"train-ai"}),
        ("DMI-ALLOWED-noaigentraining", {"train-genai"}),
        ("DMI-SEE-constraint", {"tdm"}),
        ("DMI-SEE-embeddedrightsexpr", {"tdm"}),
        ("DMI-SEE-linkedrightsexpr", {"tdm"}),
        ("DMI-SOMETHING-NEW", {"tdm"}),
        ("DMI-UNSPECIFIED", set()),
        ("DMI-ALLOWED", set()),
    ],
)
def test_iptc_vocabulary_maps_to_purposes(value: str, reserved: set[str]) -> None:
    """images.md 4.2: PLUS values, 2023 draft values, unknown DMI-* values deny."""
    stance_list, _ = read_data_mining(f"http://ns.useplus.org/ldf/vocab/{value}")
    assert {p.value for p, s in stance_list if s is Stance.DISALLOWED} == reserved


@pytest.mark.parametrize(
    "spelling",
    [
        "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED",
        "https://ns.useplus.org/ldf/vocab/DMI-PROHIBITED",
        "DMI-PROHIBITED",
        "dmi-prohibited",
        " DMI-PROHIBITED ",
    ],
)
def test_iptc_values_compare_on_last_segment_case_insensitively(spelling: str) -> None:
    assert read_data_mining(spelling)[0] == read_data_mining("DMI-PROHIBITED")[0]


def test_iptc_allowed_allows_but_never_cancels_another_family() -> None:
    body = b.jpeg(b.app1_xmp(b.xmp("DMI-ALLOWED")))
    assert verdict(body).reserved is False
    assert verdict(body, X_Robots_Tag="noai").reserved is True


def test_iptc_except_search_leaves_a_search_crawl_alone() -> None:
    body = b.jpeg(b.app1_xmp(b.xmp("DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING")))
    assert verdict(body, "train-ai").reserved is True
    assert verdict(body, "search").reserved is None


def test_iptc_genai_prohibition_reserves_genai_crawls_only() -> None:
    body = b.jpeg(b.app1_xmp(b.xmp("DMI-PROHIBITED-GENAIMLTRAINING")))
    assert verdict(body, "train-genai").reserved is True
    assert (
        verdict(body, "train-ai").reserved is True
    )  # a train-ai crawl trains generative models too
    assert verdict(body, "ai-input").reserved is None


def test_iptc_value_found_by_text_search_counts_and_says_so() -> None:
    bomb = b'<!DOCTYPE x [<!ENTITY a "b">]>' + b.xmp("DMI-PROHIBITED")
    v = verdict(b.jpeg(b.app1_xmp(bomb)))
    assert v.reserved is True
    assert "text search" in v.decided_by.note  # type: ignore[union-attr]


def test_iptc_inside_a_c2pa_metadata_assertion() -> None:
    meta = b.assertion(
        "stds.iptc", {"plus:DataMining": {"@id": "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED"}}
    )
    v = verdict(c2pa_png(b.manifest("urn:m1", meta)))
    assert stances(v, "iptc") == {("tdm", "disallowed")}


def test_real_iptc_reference_image_is_reserved_for_genai_training() -> None:
    v = verdict((DATA / "IPTC-PhotometadataRef-Std2023.1.jpg").read_bytes(), "train-genai")
    assert v.reserved is True
    assert v.decided_by is not None
    assert v.decided_by.family == "iptc"


# --- C2PA / CAWG entries ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("entry", "purpose"),
    [
        ("cawg.data_mining", "tdm"),
        ("cawg.ai_training", "train-ai"),
        ("cawg.ai_generative_training", "train-genai"),
        ("cawg.ai_inference", "ai-input"),
        ("c2pa.data_mining", "tdm"),
        ("c2pa.ai_generative_training", "train-genai"),
    ],
)
def test_c2pa_entries_map_to_purposes(entry: str, purpose: str) -> None:
    v = verdict(c2pa_png(b.manifest("urn:m1", b.training({entry: "notAllowed"}))))
    assert stances(v, "c2pa") == {(purpose, "disallowed")}


def test_cawg_constrained_is_not_allowed() -> None:
    """CAWG 1.1: constrained "shall be treated as equivalent to notAllowed"."""
    entry = {"use": "constrained", "constraint_info": "ask first"}
    v = verdict(c2pa_png(b.manifest("urn:m1", b.training({"cawg.ai_generative_training": entry}))))
    assert v.reserved is True
    assert "constrained" in v.decided_by.note
    assert "ask first" in v.decided_by.note


@pytest.mark.parametrize("use", ["maybe", "NOTALLOWED", None, 7])
def test_c2pa_unknown_or_missing_use_is_not_allowed(use: object) -> None:
    entry = {} if use is None else {"use": use}
    v = verdict(c2pa_png(b.manifest("urn:m1", b.training({"cawg.ai_training": entry}))))
    assert v.reserved is True


def test_c2pa_allowed_from_an_unvalidated_manifest_takes_no_stance() -> None:
    v = verdict(c2pa_png(b.manifest("urn:m1", b.training({"cawg.ai_training": "allowed"}))))
    assert v.reserved is None
    (ev,) = [e for e in v.evidence if e.family == "c2pa"]
    assert ev.stances == ()
    assert "not validated" in ev.note


def test_c2pa_custom_entry_keys_are_recorded_without_stance() -> None:
    v = verdict(c2pa_png(b.manifest("urn:m1", b.training({"com.example.scrape": "notAllowed"}))))
    assert v.reserved is None
    assert [e.value for e in v.evidence if e.family == "c2pa"] == ["com.example.scrape: notAllowed"]


def test_c2pa_entries_at_the_top_level_cawg_1_0_layout() -> None:
    assertion = b.training(
        {"c2pa.ai_training": "notAllowed"}, label="c2pa.training-mining", top=True
    )
    assert verdict(c2pa_png(b.manifest("urn:m1", assertion))).reserved is True


def test_c2pa_several_instances_union_of_denials() -> None:
    first = b.training({"cawg.ai_inference": "allowed"})
    second = b.training({"cawg.ai_training": "notAllowed"}, label="cawg.training-mining__2")
    v = verdict(c2pa_png(b.manifest("urn:m1", first, second)))
    assert stances(v, "c2pa") == {("train-ai", "disallowed")}


def test_c2pa_update_manifest_falls_back_to_its_ingredients() -> None:
    parent = b.manifest("urn:parent", b.training({"cawg.ai_training": "notAllowed"}))
    update = b.manifest("urn:update", kind=b"c2um")
    v = verdict(c2pa_png(parent, update))
    assert v.reserved is True
    assert "ingredient" in v.decided_by.location
    assert "update manifest" in v.decided_by.location


def test_c2pa_active_without_the_assertion_falls_back_to_ingredients() -> None:
    parent = b.manifest("urn:parent", b.training({"cawg.data_mining": "constrained"}))
    child = b.manifest("urn:child", b.assertion("c2pa.actions", {"actions": []}))
    assert verdict(c2pa_png(parent, child)).reserved is True


def test_c2pa_active_manifest_with_the_assertion_decides() -> None:
    parent = b.manifest("urn:parent", b.training({"cawg.ai_training": "notAllowed"}))
    child = b.manifest("urn:child", b.training({"cawg.ai_training": "allowed"}))
    v = verdict(c2pa_png(parent, child))
    assert v.reserved is None
    assert all("urn:child" in e.location for e in v.evidence if e.family == "c2pa")


def test_c2pa_several_stores_union_of_denials() -> None:
    one = b.store(b.manifest("urn:a", b.training({"cawg.ai_training": "allowed"})))
    two = b.store(b.manifest("urn:b", b.training({"cawg.ai_generative_training": "notAllowed"})))
    body = b.jpeg(*b.app11(one, instance=1), *b.app11(two, instance=2))
    assert verdict(body, "train-genai").reserved is True


def test_c2pa_brob_compressed_manifest_denial_counts() -> None:
    inner = b.manifest("urn:m1", b.training({"cawg.ai_generative_training": "notAllowed"}))
    v = verdict(c2pa_png(b.compressed("urn:m1", inner)))
    assert v.reserved is True
    assert "compressed" in v.decided_by.location  # type: ignore[union-attr]


def test_c2pa_undecodable_assertion_takes_no_stance() -> None:
    bad = b.superbox(b"cbor", "cawg.training-mining", b.box(b"cbor", b"\x81" * 200))
    v = verdict(c2pa_png(b.manifest("urn:m1", bad)))
    assert v.reserved is None
    assert any("deeper" in e.value for e in v.evidence)


def test_iptc_and_c2pa_in_one_file_both_count() -> None:
    store = b.store(b.manifest("urn:m1", b.training({"cawg.ai_inference": "notAllowed"})))
    body = b.jpeg(b.app1_xmp(b.xmp("DMI-PROHIBITED-GENAIMLTRAINING")), *b.app11(store))
    v = verdict(body, "tdm")
    assert stances(v, "iptc") == {("train-genai", "disallowed")}
    assert stances(v, "c2pa") == {("ai-input", "disallowed")}


@pytest.mark.parametrize(
    ("name", "purpose", "reserved"),
    [
        ("C_with_CAWG_data.jpg", "train-genai", True),
        ("C_with_CAWG_data.jpg", "ai-input", True),
        ("sample_c2pa.png", "train-ai", True),
        ("ims_multiple_manifests.jpg", "train-ai", None),  # all "allowed": no stance
        ("update_manifest.jpg", "train-ai", None),  # no assertion anywhere: silence
        ("no_manifest.jpg", "train-ai", None),
    ],
)
def test_real_c2pa_files(name: str, purpose: str, reserved: bool | None) -> None:
    assert verdict((DATA / name).read_bytes(), purpose).reserved is reserved


# --- costs and F7 ----------------------------------------------------------------------------
def test_families_say_nothing_on_html() -> None:
    view = ResponseView(
        "https://x/",
        headers=HeaderList([("Content-Type", "text/html")]),
        body=b"<html>DataMining DMI-PROHIBITED",
    )
    assert list(IptcSignal().response_evidence(view, Context())) == []
    assert list(C2paSignal().response_evidence(view, Context())) == []


def test_metadata_is_found_whatever_the_content_type() -> None:
    body = b.jpeg(b.app1_xmp(b.xmp("DMI-PROHIBITED")))
    for ctype in ("image/png", "application/octet-stream", "text/plain", ""):
        assert verdict(body, ctype=ctype).reserved is True


@pytest.mark.parametrize("ctype", ["application/octet-stream", "binary/octet-stream", ""])
def test_noimageai_on_an_image_served_without_an_image_type(ctype: str) -> None:
    """Review F7: is_image sniffs magic bytes, so noimageai reserves an untyped JPEG."""
    v = verdict(b.jpeg(), ctype=ctype, X_Robots_Tag="noimageai")
    assert v.reserved is True
    assert v.decided_by is not None
    assert v.decided_by.value == "noimageai"


def test_noimageai_on_a_non_image_body_still_takes_no_stance() -> None:
    v = verdict(b"%PDF-1.7 ...", ctype="application/octet-stream", X_Robots_Tag="noimageai")
    assert v.reserved is None


def test_scan_runs_once_per_response() -> None:
    view = ResponseView("https://x/a.jpg", body=b.jpeg(b.app1_xmp(b.xmp("DMI-PROHIBITED"))))
    assert view.image is view.image
    assert view.is_image
    assert Purpose.TDM in {
        p for e in IptcSignal().response_evidence(view, Context()) for p, _ in e.stances
    }


MAGIC = [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\0\0\0\0WEBP", b"GIF89a"]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(MAGIC), st.binary(max_size=400), st.sampled_from(list(Purpose)))
def test_any_image_bytes_give_a_well_formed_verdict(magic: bytes, tail: bytes, p: Purpose) -> None:
    """Hostile input: the families never raise, and their evidence is plain and serialisable."""
    v = verdict(magic + tail, p.value)
    assert Verdict.from_dict(v.to_dict()) == v
    assert all(e.source != "parser" for e in v.evidence)  # no parser error was caught
