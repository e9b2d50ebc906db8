"""The demo site's site files and assets: robots.txt variants, tdmrep.json, ai.txt, media.

Written for this demo after the examples of specs.md sections 1-7. ``str`` bodies are templates
(``${self}`` is the serving origin's base URL, see ``loopback.Page``).
"""

from __future__ import annotations

import struct
import zlib


def _png() -> bytes:
    """A valid 1x1 PNG, built rather than pasted."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x99\x33")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = _png()
# A JFIF header and end marker only: no one decodes it, the extension is what ai.txt reads.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PDF = b"%PDF-1.4\n% optout demo placeholder\n%%EOF\n"
CSS = "body { font-family: sans-serif; max-width: 46rem; margin: 2rem auto; }\n"


GPTBOT_ROBOTS = """\
# Training crawlers are not welcome here; everyone else is.
User-agent: GPTBot
Disallow: /

User-agent: *
Allow: /
"""

AIPREF_ROBOTS = """\
# AI preferences, draft-ietf-aipref-attach: no training, except the blog.
User-Agent: *
Allow: /
Content-Usage: train-ai=n
Content-Usage: /blog/ train-ai=y
"""

CLOUDFLARE_ROBOTS = """\
# Content signals (paraphrased for this demo): search = building a search index and
# linking to results; ai-input = feeding content to a model at answer time (RAG);
# ai-train = training or fine-tuning AI models. yes = allowed, no = not allowed,
# absent = no preference expressed.

# BEGIN Cloudflare Managed content

User-Agent: *
Content-signal: search=yes,ai-train=no
Allow: /

# END Cloudflare Managed Content

User-agent: *
Disallow: /cgi-bin/
"""

MS_DRAFT_ROBOTS = """\
# draft-canel-robots-ai-control: generative AI training only on the open data.
User-agent: *
Allow: /
DisallowAITraining: /
AllowAITraining: /open-data/
"""

TDMREP_JSON = """\
[
  {"location": "/press-kit/", "tdm-reservation": 0},
  {"location": "/articles/*.pdf$", "tdm-reservation": 1,
   "tdm-policy": "${self}/tdm/policy.json"},
  {"location": "/", "tdm-reservation": 1, "tdm-policy": "${self}/tdm/policy.json"}
]
"""

TDM_POLICY = """\
{
  "@context": ["http://www.w3.org/ns/odrl.jsonld", "http://www.w3.org/ns/tdmrep.jsonld"],
  "@type": "Offer",
  "profile": "http://www.w3.org/ns/tdmrep",
  "uid": "${self}/tdm/policy.json",
  "assigner": {"vcard:fn": "Demo Press", "vcard:hasEmail": "mailto:rights@demo.invalid"},
  "permission": [{"action": "tdm:mine", "duty": [{"action": "compensate"}]}]
}
"""

SPAWNING_AITXT = """\
# Spawning AI
# Prevent datasets from using the following file types
User-Agent: *
Disallow: *.jpg
Disallow: *.jpeg
Disallow: *.png
Allow: *.txt
Allow: /
"""

ALL_ROBOTS = """\
User-agent: GPTBot
User-agent: CCBot
User-agent: Google-Extended
Disallow: /

User-agent: *
Allow: /
Content-Usage: train-ai=n, ai-use=n
Content-Signal: search=yes, ai-train=no, ai-input=no
DisallowAITraining: /
"""

RSL_ROBOTS = """\
# RSL 1.0 licence for every crawler (robots.txt License:, rsl.md 2.1).
User-agent: *
Allow: /
License: ${self}/license.xml
"""

RSL_LICENSE = """\
<?xml version="1.0" encoding="UTF-8"?>
<rsl xmlns="https://rslstandard.org/rsl" max-age="7">
  <!-- Everything free to use with credit, except two sections. -->
  <content url="/">
    <license>
      <permits type="usage">all</permits>
      <payment type="attribution"><custom>${self}/credit.html</custom></payment>
    </license>
  </content>
  <content url="/premium/">
    <license>
      <permits type="usage">ai-train ai-input search</permits>
      <payment type="training"><amount currency="EUR">0.002</amount></payment>
    </license>
  </content>
  <content url="/no-ai/">
    <license><prohibits type="usage">ai-all</prohibits></license>
  </content>
</rsl>
"""

RSL_PAGE_LICENSE = """\
<?xml version="1.0" encoding="UTF-8"?>
<rsl xmlns="https://rslstandard.org/rsl">
  <content url="/">
    <license>
      <permits type="usage">search</permits>
      <prohibits type="usage">ai-train</prohibits>
    </license>
  </content>
</rsl>
"""
