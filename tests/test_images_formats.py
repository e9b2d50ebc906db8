"""The image metadata scan: containers by magic bytes, XMP, JUMBF, CBOR, and their caps."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optout_middleware.formats.images import ImageScan, scan_image, sniff_image
from optout_middleware.formats.images.cbor import CborError, CborLimits, decode_cbor
from optout_middleware.formats.images.containers import walk
from optout_middleware.formats.images.jumbf import read_store
from optout_middleware.formats.images.xmp import read_packet

from . import imagebuild as b

DATA = Path(__file__).parent / "data" / "images"


def _values(scan: ImageScan) -> list[str]:
    return [v.value.rsplit("/", 1)[-1] for v in scan.data_mining]


def _labels(scan: ImageScan) -> list[list[tuple[str, str]]]:
    return [[(m.kind, a.label) for m in s.manifests for a in m.assertions] for s in scan.stores]


# --- magic bytes -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b.jpeg(), "jpeg"),
        (b.png(), "png"),
        (b.webp(), "webp"),
        (b.gif(), "gif"),
        (b.bmff(), "bmff"),
        (b"II*\x00rest", "tiff"),
        (b"<!doctype html><html>", None),
        (b"", None),
        (b"\xff\xd8", None),
    ],
)
def test_container_is_chosen_by_magic_bytes(body: bytes, kind: str | None) -> None:
    assert sniff_image(body) == kind


# --- real public files (tests/data/README.md) -------------------------------------------------
def test_real_cawg_file_has_an_active_manifest_with_cawg_training_mining() -> None:
    scan = scan_image((DATA / "C_with_CAWG_data.jpg").read_bytes())
    (store,) = scan.stores
    assert store.active is not None
    (tm,) = [a for a in store.active.assertions if a.label == "cawg.training-mining"]
    assert tm.payload["entries"]["cawg.ai_generative_training"] == {"use": "notAllowed"}


def test_real_png_cabx_chunk_holds_c2pa_training_mining_top_level() -> None:
    scan = scan_image((DATA / "sample_c2pa.png").read_bytes())
    assert _labels(scan) == [[("standard", "c2pa.training-mining")]]


def test_real_iptc_reference_image_datamining_element_form() -> None:
    scan = scan_image((DATA / "IPTC-PhotometadataRef-Std2023.1.jpg").read_bytes())
    assert _values(scan) == ["DMI-PROHIBITED-GENAIMLTRAINING"]
    assert not scan.data_mining[0].by_text


def test_real_update_manifest_is_the_active_one() -> None:
    scan = scan_image((DATA / "update_manifest.jpg").read_bytes())
    (store,) = scan.stores
    assert [m.kind for m in store.manifests] == ["standard", "update"]


def test_real_two_manifest_store_keeps_file_order() -> None:
    scan = scan_image((DATA / "ims_multiple_manifests.jpg").read_bytes())
    (store,) = scan.stores
    assert len(store.manifests) == 2
    assert {a.label for a in store.manifests[-1].assertions} == {
        "cawg.training-mining",
        "c2pa.training-mining",
    }


def test_real_provenance_reference_is_no_store() -> None:
    """no_manifest.jpg names a C2PA manifest in XMP but carries none: a byte search would lie."""
    scan = scan_image((DATA / "no_manifest.jpg").read_bytes())
    assert scan.stores == ()
    assert [v.prop for v in scan.xmp] == ["provenance"]


def test_real_extended_xmp_segments_before_and_after_the_main_packet() -> None:
    raw = walk((DATA / "ExtendedXMP.jpg").read_bytes())
    (extended,) = raw.extended.values()
    data, complete = extended.assemble()
    assert complete
    assert b"</x:xmpmeta>" in data or b"</rdf:RDF>" in data


def test_real_utf16_xmp_packet_is_decoded() -> None:
    raw = walk((DATA / "XMP.jpg").read_bytes())
    (packet,) = raw.xmp
    assert packet[1][:2] in (b"\xfe\xff", b"\xff\xfe", b"\x00<", b"<\x00")
    assert read_packet(packet[1], "x").notes == ()


# --- XMP ------------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["element", "attribute", "resource"])
def test_xmp_datamining_in_each_rdf_serialisation(form: str) -> None:
    scan = scan_image(b.jpeg(b.app1_xmp(b.xmp("DMI-PROHIBITED", form=form))))
    assert _values(scan) == ["DMI-PROHIBITED"]


def test_xmp_matches_namespace_uri_not_prefix() -> None:
    packet = b.xmp("DMI-PROHIBITED").replace(b"plus:", b"zz:").replace(b"xmlns:plus", b"xmlns:zz")
    assert _values(scan_image(b.jpeg(b.app1_xmp(packet)))) == ["DMI-PROHIBITED"]
    other = b.xmp("DMI-PROHIBITED").replace(b"ns.useplus.org/ldf/xmp/1.0/", b"example.com/ns/")
    assert scan_image(b.jpeg(b.app1_xmp(other))).data_mining == ()


@pytest.mark.parametrize("codec", ["utf-16-be", "utf-16-le", "utf-32-be"])
def test_xmp_utf16_and_utf32_packets(codec: str) -> None:
    packet = b.xmp("DMI-PROHIBITED-AIMLTRAINING").decode().encode(codec)
    assert _values(scan_image(b.png(b.itxt_xmp(packet)))) == ["DMI-PROHIBITED-AIMLTRAINING"]


def test_every_xmp_packet_is_read_not_only_the_last() -> None:
    body = b.jpeg(b.app1_xmp(b.xmp("DMI-PROHIBITED")), b.app1_xmp(b.xmp("DMI-ALLOWED")))
    assert _values(scan_image(body)) == ["DMI-PROHIBITED", "DMI-ALLOWED"]


def test_xmp_entity_bomb_is_rejected_before_parsing_but_values_still_found() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            b'<!ENTITY %c "&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;">'
            % ((98 + i,) + (97 + i,) * 10)
            for i in range(9)
        )
        + b"]>"
        + b.xmp("DMI-PROHIBITED", extra="<x>&j;</x>")
    )
    started = time.perf_counter()
    scan = scan_image(b.jpeg(b.app1_xmp(bomb)))
    assert time.perf_counter() - started < 0.5
    assert _values(scan) == ["DMI-PROHIBITED"]
    assert scan.data_mining[0].by_text
    assert any("DOCTYPE" in n for n in scan.notes)


def test_broken_xml_packet_is_searched_as_text() -> None:
    broken = b.xmp("DMI-PROHIBITED-GENAIMLTRAINING").replace(b"</rdf:RDF>", b"")
    scan = scan_image(b.webp(b.riff_chunk(b"XMP ", broken)))
    assert _values(scan) == ["DMI-PROHIBITED-GENAIMLTRAINING"]


def test_extended_xmp_reassembled_out_of_order_by_guid_and_offset() -> None:
    guid = "0123456789ABCDEF0123456789ABCDEF"
    extended = b.xmp("DMI-PROHIBITED-AIMLTRAINING")
    half = len(extended) // 2
    body = b.jpeg(
        b.app1_extended(guid, len(extended), half, extended[half:]),
        b.app1_xmp(b.xmp(ext_guid=guid)),
        b.app1_extended(guid, len(extended), 0, extended[:half]),
    )
    scan = scan_image(body)
    assert _values(scan) == ["DMI-PROHIBITED-AIMLTRAINING"]
    assert not scan.data_mining[0].by_text
    assert scan.xmp_packets == 2


def test_extended_xmp_with_a_missing_chunk_is_read_as_text() -> None:
    guid = "F" * 32
    extended = b.xmp("DMI-PROHIBITED")
    body = b.jpeg(b.app1_extended(guid, len(extended) + 500, 0, extended))
    scan = scan_image(body)
    assert _values(scan) == ["DMI-PROHIBITED"]
    assert any("chunks missing" in n for n in scan.notes)


def test_compressed_png_itxt_xmp() -> None:
    scan = scan_image(b.png(b.itxt_xmp(b.xmp("DMI-PROHIBITED"), compress=True)))
    assert _values(scan) == ["DMI-PROHIBITED"]


def test_png_itxt_after_idat_is_read() -> None:
    body = b.png(idat=b"\0" * 300_000)
    body = body[:-12] + b.itxt_xmp(b.xmp("DMI-PROHIBITED")) + body[-12:]
    assert _values(scan_image(body)) == ["DMI-PROHIBITED"]


def test_gif_xmp_application_extension_with_magic_trailer() -> None:
    scan = scan_image(b.gif(b.gif_xmp(b.xmp("DMI-PROHIBITED", form="attribute"))))
    assert _values(scan) == ["DMI-PROHIBITED"]


def test_gif_xmp_after_the_image_is_found_in_the_tail() -> None:
    scan = scan_image(b.gif(pixels=100_000, after=b.gif_xmp(b.xmp("DMI-PROHIBITED"))))
    assert _values(scan) == ["DMI-PROHIBITED"]


def test_bmff_xmp_and_c2pa_uuid_boxes() -> None:
    store = b.store(b.manifest("urn:m1", b.training({"cawg.ai_training": "notAllowed"})))
    scan = scan_image(b.bmff(b.bmff_xmp(b.xmp("DMI-PROHIBITED")), b.bmff_c2pa(store)))
    assert _values(scan) == ["DMI-PROHIBITED"]
    assert _labels(scan) == [[("standard", "cawg.training-mining")]]


# --- C2PA containers and JUMBF --------------------------------------------------------------
STORE = b.store(b.manifest("urn:m1", b.training({"cawg.ai_generative_training": "constrained"})))


@pytest.mark.parametrize(
    "body",
    [
        b.jpeg(*b.app11(STORE)),
        b.png(b.png_chunk(b"caBX", STORE)),
        b.webp(b.riff_chunk(b"C2PA", STORE)),
        b.gif(b.gif_c2pa(STORE)),
        b.bmff(b.bmff_c2pa(STORE)),
    ],
    ids=["jpeg", "png", "webp", "gif", "bmff"],
)
def test_manifest_store_found_in_every_container(body: bytes) -> None:
    scan = scan_image(body)
    assert _labels(scan) == [[("standard", "cawg.training-mining")]]
    (a,) = scan.stores[0].manifests[0].assertions
    assert a.payload == {"entries": {"cawg.ai_generative_training": {"use": "constrained"}}}


def test_jpeg_store_split_over_1000_app11_segments() -> None:
    big = b.store(
        b.manifest(
            "urn:m1", b.training({"cawg.data_mining": "notAllowed"}), b.assertion("x", "y" * 30_000)
        )
    )
    segments = b.app11(big, chunk=len(big) // 999)
    assert len(segments) >= 1000
    scan = scan_image(b.jpeg(*segments))
    assert _labels(scan) == [[("standard", "cawg.training-mining")]]


def test_jpeg_app11_segments_out_of_order_are_ordered_by_sequence_number() -> None:
    segments = b.app11(STORE, chunk=40)
    scan = scan_image(b.jpeg(*reversed(segments)))
    assert _labels(scan) == [[("standard", "cawg.training-mining")]]


def test_two_stores_in_one_jpeg_are_both_read() -> None:
    other = b.store(
        b.manifest(
            "urn:m2", b.training({"c2pa.ai_training": "notAllowed"}, label="c2pa.training-mining")
        )
    )
    scan = scan_image(b.jpeg(*b.app11(STORE, instance=1), *b.app11(other, instance=2)))
    assert len(scan.stores) == 2


def test_brob_compressed_manifest_is_decompressed() -> None:
    inner = b.manifest("urn:m1", b.training({"cawg.ai_training": "notAllowed"}))
    store = b.store(b.compressed("urn:m1", inner))
    (manifest,) = scan_image(b.png(b.png_chunk(b"caBX", store))).stores[0].manifests
    assert manifest.compressed
    assert manifest.kind == "standard"
    assert [a.label for a in manifest.assertions] == ["cawg.training-mining"]


def test_brob_that_is_not_brotli_is_a_note() -> None:
    store = b.store(b.superbox(b"c2cm", "urn:m1", b.box(b"brob", b"not brotli at all")))
    (manifest,) = scan_image(b.png(b.png_chunk(b"caBX", store))).stores[0].manifests
    assert manifest.kind == "compressed"
    assert "not valid Brotli" in manifest.note


def test_truncated_jpeg_keeps_complete_segments() -> None:
    body = b.jpeg(b.app1_xmp(b.xmp("DMI-PROHIBITED")), *b.app11(STORE))
    cut = body[: body.index(b"\xff\xeb") + 40]
    scan = scan_image(cut)
    assert scan.truncated
    assert _values(scan) == ["DMI-PROHIBITED"]


def test_truncated_store_keeps_complete_assertions() -> None:
    store = b.store(
        b.manifest(
            "urn:m1", b.training({"cawg.ai_training": "notAllowed"}), b.assertion("pad", "p" * 5000)
        )
    )
    scan = scan_image(b.png(b.png_chunk(b"caBX", store[:-3000])))
    assert _labels(scan) == [[("standard", "cawg.training-mining")]]
    assert any("truncated" in n for n in scan.notes)


@pytest.mark.parametrize("cut", [9, 20, 33, 100, 1000])
def test_truncated_png_never_raises(cut: int) -> None:
    body = b.png(b.png_chunk(b"caBX", STORE), b.itxt_xmp(b.xmp("DMI-PROHIBITED")))
    scan = scan_image(body[:cut])
    assert scan.kind == "png"


def test_read_store_rejects_a_box_that_is_not_a_c2pa_store() -> None:
    assert read_store(b.superbox(b"abcd", "other"), "x") is None
    assert read_store(b"garbage", "x") is None


def test_jumbf_box_count_is_capped() -> None:
    many = b.store(b.manifest("urn:m1", *(b.box(b"free", b"") for _ in range(12_000))))
    scan = scan_image(b.png(b.png_chunk(b"caBX", many)))
    assert any("JUMBF boxes" in n for n in scan.notes)


# --- CBOR -----------------------------------------------------------------------------------
def test_cbor_round_trip_of_assertion_values() -> None:
    value = {"entries": {"a": {"use": "notAllowed"}}, "n": [1, -2, True, None, b"x"]}
    assert decode_cbor(b.cbor(value)) == value


def test_cbor_depth_bomb_raises_a_typed_error() -> None:
    bomb = b"\x81" * 100_000 + b"\x00"
    with pytest.raises(CborError, match="deeper"):
        decode_cbor(bomb)


def test_cbor_depth_bomb_in_an_assertion_is_recorded_not_raised() -> None:
    store = b.store(
        b.manifest(
            "urn:m1", b.superbox(b"cbor", "cawg.training-mining", b.box(b"cbor", b"\x81" * 5000))
        )
    )
    (a,) = scan_image(b.png(b.png_chunk(b"caBX", store))).stores[0].manifests[0].assertions
    assert "deeper" in a.error


def test_cbor_declared_lengths_beyond_the_data_raise() -> None:
    with pytest.raises(CborError):
        decode_cbor(b"\x9b\xff\xff\xff\xff\xff\xff\xff\xff")  # array of 2**64-1 items
    with pytest.raises(CborError):
        decode_cbor(b"\x5a\xff\xff\xff\xff")  # 4 GiB byte string


def test_cbor_item_count_is_capped() -> None:
    with pytest.raises(CborError, match="items"):
        decode_cbor(b"\x9f" + b"\x00" * 200 + b"\xff", CborLimits(max_items=100))


def test_cbor_indefinite_lengths() -> None:
    assert decode_cbor(b"\x7f\x62ab\x61c\xff") == "abc"
    assert decode_cbor(b"\xbf\x61a\x01\xff") == {"a": 1}


# --- hostile bytes --------------------------------------------------------------------------
MAGIC = [
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"RIFF\0\0\0\0WEBP",
    b"GIF89a",
    b"\0\0\0\x18ftypavif",
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(MAGIC), st.binary(max_size=600))
def test_any_bytes_give_a_well_formed_scan(magic: bytes, tail: bytes) -> None:
    scan = scan_image(magic + tail)
    assert isinstance(scan, ImageScan)
    assert all(isinstance(n, str) for n in scan.notes)
    for store in scan.stores:
        assert all(isinstance(m.label, str) for m in store.manifests)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_inside_a_store_never_raise(junk: bytes) -> None:
    scan_image(b.png(b.png_chunk(b"caBX", b.store(junk))))
    scan_image(b.jpeg(b.app1_xmp(junk)))
    with pytest.raises(CborError) if junk == b"" else _maybe():
        decode_cbor(junk)


class _maybe:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: object, tb: object) -> bool:
        return kind is None or (isinstance(kind, type) and issubclass(kind, CborError))


# --- cost -----------------------------------------------------------------------------------
def test_jpeg_scan_never_reads_past_the_first_scan() -> None:
    """The header walk stops at SOS: a 5 MB JPEG costs the same as a 10 KB one."""
    small = b.jpeg(b.app1_xmp(b.xmp("DMI-PROHIBITED")), pixels=b.SOS_AND_PIXELS)
    big = small[:-2] + b"\x11" * 5_000_000 + b"\xff\xd9"
    assert walk(big).xmp == walk(small).xmp


def test_segment_walk_is_capped() -> None:
    body = b.jpeg(*(b.segment(0xE2, b"x") for _ in range(5000)))
    scan = scan_image(body)
    assert any("more than 4096 segments" in n for n in scan.notes)


def test_extended_xmp_lying_totals_allocate_only_what_is_present() -> None:
    """Thousands of GUIDs each declaring 16 MiB at a far offset: joined, never laid out."""
    segments = [b.app1_extended(f"{n:032d}", 16 << 20, (16 << 20) - 10, b"x") for n in range(3000)]
    started = time.perf_counter()
    scan = scan_image(b.jpeg(*segments))
    assert time.perf_counter() - started < 2
    assert scan.xmp_packets == 3000


def test_decompression_is_capped_per_file_not_per_chunk() -> None:
    """zlib bombs in many iTXt chunks: the file's budget, not each chunk's, bounds the work."""
    bomb = b.itxt_xmp(b"DataMining " + b" " * (8 << 20), compress=True)
    scan = scan_image(b.png(*(bomb for _ in range(10))))
    assert any("budget of the file spent" in n for n in scan.notes)


def test_jpeg_ending_between_segments_is_truncated() -> None:
    body = b.jpeg(b.app1_xmp(b.xmp("DMI-PROHIBITED")))
    cut = body[: body.index(b"\xff\xda")]
    scan = scan_image(cut)
    assert scan.truncated
    assert _values(scan) == ["DMI-PROHIBITED"]
