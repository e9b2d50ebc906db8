"""``optout check`` on images: the embedded metadata found, and ``--embedded-in PAGE_URL``.

Formatting and fetching only: the scan is :func:`~optout_middleware.formats.images.scan_image`,
the page rule :mod:`optout_middleware.signals.pageimages`, as in the middleware.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from optout_middleware.formats.imagelinks import image_links
from optout_middleware.inputs import HeaderList, ResponseView
from optout_middleware.signals.pageimages import page_directives

from .fetch import PAGE_MAX_BYTES, PAGE_MAX_REDIRECTS

if TYPE_CHECKING:
    from optout_middleware.formats.images import ImageScan
    from optout_middleware.inputs import Context
    from optout_middleware.signals.pageimages import PageDirective

    from .fetch import Fetcher

__all__ = ["EmbeddingPage", "fetch_embedding_page", "image_dict", "image_lines"]


@dataclass(frozen=True, slots=True)
class EmbeddingPage:
    """The page named by ``--embedded-in``: what it says about its images."""

    url: str
    final_url: str
    status: int | None
    error: str | None
    directives: tuple[PageDirective, ...] = ()
    presents_image: bool = False  # the image URL is among the page's <img>/<source>/og:image

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "final_url": self.final_url,
            "status": self.status,
            "error": self.error,
            "directives": [d.to_dict() for d in self.directives],
            "presents_image": self.presents_image,
        }


def fetch_embedding_page(
    fetcher: Fetcher, page_url: str, image_urls: tuple[str, ...], context: Context
) -> EmbeddingPage:
    """Fetch the page and read its ``noai``/``noimageai`` and the images it presents."""
    page = fetcher.fetch(page_url, max_bytes=PAGE_MAX_BYTES, max_redirects=PAGE_MAX_REDIRECTS)
    if page.status is None or page.error is not None:
        return EmbeddingPage(page_url, page.final_url, page.status, page.error or "no response")
    view = ResponseView(
        page.final_url, status=page.status, headers=HeaderList(page.headers), body=page.body
    )
    links = set(image_links(page.body, page.final_url))
    return EmbeddingPage(
        page_url,
        page.final_url,
        page.status,
        None,
        page_directives(view, context),
        any(url.partition("#")[0] in links for url in image_urls),
    )


def image_dict(scan: ImageScan) -> dict[str, Any]:
    """The scan in plain JSON types."""
    return {
        "container": scan.kind,
        "xmp_packets": scan.xmp_packets,
        "xmp": [
            {"property": v.prop, "value": v.value, "where": v.where, "by_text": v.by_text}
            for v in scan.xmp
        ],
        "c2pa_stores": [
            {
                "where": store.where,
                "manifests": [
                    {
                        "label": m.label,
                        "kind": m.kind,
                        "active": i == len(store.manifests) - 1,
                        "compressed": m.compressed,
                        "note": m.note,
                        "assertions": [
                            {"label": a.label, "payload": _plain(a.payload), "error": a.error}
                            for a in m.assertions
                        ],
                    }
                    for i, m in enumerate(store.manifests)
                ],
            }
            for store in scan.stores
        ],
        "notes": list(scan.notes),
        "truncated": scan.truncated,
    }


def _plain(value: Any) -> Any:
    """CBOR values as JSON types (byte strings as hex)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return value


def image_lines(scan: ImageScan, printable: Any) -> list[str]:
    """The "Image metadata" section of the text report."""
    lines = ["", f"Image metadata ({scan.kind}; signatures are not validated)"]
    lines.append(f"  XMP packets: {scan.xmp_packets}")
    for v in scan.xmp:
        how = ", found by text search" if v.by_text else ""
        lines.append(f"    {v.prop}: {printable(v.value)}  ({printable(v.where)}{how})")
    lines.append(f"  C2PA manifest stores: {len(scan.stores)}")
    for store in scan.stores:
        lines.append(f"    {printable(store.where)}")
        for i, m in enumerate(store.manifests):
            role = "active" if i == len(store.manifests) - 1 else "ingredient"
            packed = ", compressed" if m.compressed else ""
            lines.append(f"      {m.kind} manifest {printable(m.label)} ({role}{packed})")
            if m.note:
                lines.append(f"        note: {printable(m.note)}")
            for a in m.assertions:
                shown = a.error or printable(repr(_plain(a.payload)))
                lines.append(f"        {printable(a.label)}: {shown}")
    lines.extend(f"  note: {printable(note)}" for note in scan.notes)
    if scan.truncated:
        lines.append("  the body ended inside the image headers (truncated)")
    return lines


def embedded_lines(page: EmbeddingPage, printable: Any) -> list[str]:
    """The "Embedded in" section of the text report."""
    lines = ["", f"Embedded in {printable(page.url)}"]
    if page.error is not None:
        lines.append(f"  not fetched: {printable(page.error)}; its directives are not applied")
        return lines
    lines.append(
        f"  {page.status}; the page "
        + ("presents" if page.presents_image else "does not present (in its HTML)")
        + " this image"
    )
    if not page.directives:
        lines.append("  no noai/noimageai addressed to us")
    lines.extend(
        f"  {d.directive} in {printable(d.location)}: {printable(d.value)}" for d in page.directives
    )
    return lines
