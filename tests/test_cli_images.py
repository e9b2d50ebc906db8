"""``optout check`` on image URLs, as a subprocess: embedded metadata and ``--embedded-in``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import imagebuild as b
from .cli_server import Reply
from .test_cli import HTML, check_json, run

DATA = Path(__file__).parent / "data" / "images"
OCTET = ("Content-Type", "application/octet-stream")


def test_check_shows_the_c2pa_manifest_of_a_real_image(serve: Any) -> None:
    body = (DATA / "C_with_CAWG_data.jpg").read_bytes()
    site = serve({"/c.jpg": Reply(body, headers=(("Content-Type", "image/jpeg"),))})
    status, data = check_json(site.url("/c.jpg"), "--purpose", "train-genai")
    assert status == 1
    assert data["decided_by"]["family"] == "c2pa"
    (store,) = data["image"]["c2pa_stores"]
    (manifest,) = store["manifests"]
    assert manifest["active"] is True
    (assertion,) = [a for a in manifest["assertions"] if a["label"] == "cawg.training-mining"]
    assert assertion["payload"]["entries"]["cawg.ai_generative_training"] == {"use": "notAllowed"}
    text = run("check", site.url("/c.jpg")).stdout
    assert "Image metadata (jpeg; signatures are not validated)" in text
    assert "cawg.training-mining" in text


def test_check_shows_iptc_datamining_of_an_untyped_image(serve: Any) -> None:
    body = b.webp(b.riff_chunk(b"XMP ", b.xmp("DMI-PROHIBITED-AIMLTRAINING", form="attribute")))
    site = serve({"/blob": Reply(body, headers=(OCTET,))})
    status, data = check_json(site.url("/blob"))
    assert status == 1
    assert data["image"]["container"] == "webp"
    (value,) = data["image"]["xmp"]
    assert value["property"] == "DataMining"
    assert value["value"].endswith("DMI-PROHIBITED-AIMLTRAINING")
    assert data["decided_by"]["family"] == "iptc"


def test_check_on_an_html_page_has_no_image_section(serve: Any) -> None:
    site = serve({"/": Reply("<html><body>hi</body></html>", headers=(HTML,))})
    _, data = check_json(site.url("/"))
    assert data["image"] is None
    assert data["embedded_in"] is None


def test_embedded_in_applies_the_pages_noimageai(serve: Any) -> None:
    site = serve(
        {
            "/art": Reply(
                '<html><head><meta name="robots" content="noimageai"></head>'
                '<body><img src="/a.jpg"></body></html>',
                headers=(HTML,),
            ),
            "/a.jpg": Reply(b.jpeg(), headers=(("Content-Type", "image/jpeg"),)),
        }
    )
    status, data = check_json(site.url("/a.jpg"))
    assert status == 0  # on its own, the image says nothing
    status, data = check_json(site.url("/a.jpg"), "--embedded-in", site.url("/art"))
    assert status == 1
    by = data["decided_by"]
    assert (by["family"], by["source"], by["url"]) == ("robots-meta", "page", site.url("/art"))
    assert data["embedded_in"]["presents_image"] is True
    assert [d["directive"] for d in data["embedded_in"]["directives"]] == ["noimageai"]
    text = run("check", site.url("/a.jpg"), "--embedded-in", site.url("/art")).stdout
    assert "Embedded in " + site.url("/art") in text
    assert "the page presents this image" in text


def test_embedded_in_a_page_without_directives_changes_nothing(serve: Any) -> None:
    site = serve(
        {
            "/plain": Reply('<html><body><img src="/other.jpg"></body></html>', headers=(HTML,)),
            "/a.jpg": Reply(b.jpeg(), headers=(("Content-Type", "image/jpeg"),)),
        }
    )
    status, data = check_json(site.url("/a.jpg"), "--embedded-in", site.url("/plain"))
    assert status == 0
    assert data["reserved"] is None
    assert data["embedded_in"]["presents_image"] is False


def test_embedded_in_an_unreachable_page_is_reported_not_fatal(serve: Any) -> None:
    site = serve({"/a.jpg": Reply(b.jpeg(), headers=(("Content-Type", "image/jpeg"),))})
    proc = run("check", site.url("/a.jpg"), "--json", "--embedded-in", site.url("/missing"))
    data = json.loads(proc.stdout)
    assert proc.returncode == 0
    assert data["embedded_in"]["status"] == 404
    assert data["embedded_in"]["directives"] == []


def test_embedded_in_with_no_page_is_a_usage_error(serve: Any) -> None:
    site = serve({})
    proc = run("check", site.url("/a.jpg"), "--no-page", "--embedded-in", site.url("/art"))
    assert proc.returncode == 2
    assert "--embedded-in" in proc.stderr
    assert "Traceback" not in proc.stderr
