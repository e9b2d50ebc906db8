"""The image-crawl benchmark's web site, served from a process of its own.

``python -m bench.imagesite --origins 12 --pages 6 --images 6`` serves image-heavy origins on
127.0.0.2, 127.0.0.3, ... (one port): HTML pages each presenting ``--images`` JPEG and PNG
images of 10 KB to 500 KB (log-uniform). A fixed share of pages says ``noimageai``; a share of
images carries an IPTC XMP packet (some with ``plus:DataMining``) or a C2PA manifest store.
Protocol and control host as :mod:`bench.server` (``/urls`` lists pages and images, origins
interleaved; ``/reset``; ``/counts``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import sys

from bench.imagegen import jpeg, png, store, xmp_packet
from bench.server import _response, serve_site
from bench.sitegen import html_page

__all__ = ["build_image_site", "main"]

_ROBOTS = b"User-agent: *\nDisallow: /private/\n"
NOIMAGEAI_SHARE = 0.15
XMP_SHARE = 0.35  # of images: an IPTC-style packet (a third of them with DataMining)
C2PA_SHARE = 0.10


def build_image_site(
    origins: int, pages: int, images: int, port: int, seed: str = "images"
) -> tuple[dict[str, dict[str, bytes]], list[str]]:
    """Responses by host and path, and the URLs to crawl (pages then their images)."""
    site: dict[str, dict[str, bytes]] = {}
    per_origin: list[list[str]] = []
    for i in range(origins):
        host = f"127.0.0.{i + 2}"
        origin = f"http://{host}:{port}"
        rng = random.Random(f"{seed}:origin:{i}")
        # No AI groups: verdicts then come from the pages and the images themselves.
        responses = {"/robots.txt": _response(200, _ROBOTS, "text/plain")}
        urls: list[str] = []
        for p in range(pages):
            paths = [f"/img/{p}-{k}.{rng.choice(['jpg', 'png'])}" for k in range(images)]
            head = {}
            if rng.random() < NOIMAGEAI_SHARE:
                head["robots"] = '<meta name="robots" content="noimageai">'
            imgs = "".join(f'<img src="{path}" alt="">' for path in paths)
            body = html_page(rng, origin, f"/gallery/{p}", 30_000, signals=head)
            body = body.replace(b"<body>", b"<body>" + imgs.encode(), 1)
            responses[f"/gallery/{p}"] = _response(200, body, "text/html; charset=utf-8")
            urls.append(f"{origin}/gallery/{p}")
            for path in paths:
                size = int(math.exp(rng.uniform(math.log(10_000), math.log(500_000))))
                roll = rng.random()
                xmp = b""
                c2pa = b""
                if roll < XMP_SHARE:
                    value = "DMI-PROHIBITED-GENAIMLTRAINING" if rng.random() < 1 / 3 else None
                    xmp = xmp_packet(value, rng)
                elif roll < XMP_SHARE + C2PA_SHARE:
                    c2pa = store(rng.choice(["notAllowed", "allowed"]))
                make = jpeg if path.endswith(".jpg") else png
                ctype = "image/jpeg" if path.endswith(".jpg") else "image/png"
                responses[path] = _response(200, make(size, rng, xmp=xmp, c2pa=c2pa), ctype)
                urls.append(origin + path)
        site[host] = responses
        per_origin.append(urls)
    longest = max(len(u) for u in per_origin)
    ordered = [urls[k] for k in range(longest) for urls in per_origin if k < len(urls)]
    return site, ordered


async def _serve(origins: int, pages: int, images: int, seed: str) -> None:
    await serve_site(lambda port: build_image_site(origins, pages, images, port, seed))


def main(argv: list[str] | None = None) -> int:
    """Serve the site until terminated."""
    parser = argparse.ArgumentParser(prog="python -m bench.imagesite")
    parser.add_argument("--origins", type=int, default=12)
    parser.add_argument("--pages", type=int, default=6, help="pages per origin")
    parser.add_argument("--images", type=int, default=6, help="images per page")
    parser.add_argument("--seed", default="images")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.origins, args.pages, args.images, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
