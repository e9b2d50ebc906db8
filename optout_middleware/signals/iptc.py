"""The ``iptc`` family: the IPTC/PLUS ``DataMining`` property in an image's XMP (images.md 4.2).

``plus:DataMining`` takes a value of the PLUS "Data Mining" vocabulary
(``http://ns.useplus.org/ldf/vocab/DMI-...``), written by Getty, Shutterstock and photo tools.
Values compare case-insensitively on their last path segment, so ``https://`` and bare
``DMI-...`` spellings read the same. The 2023 public-draft values are read too. Readings:

* ``DMI-PROHIBITED`` and the ``SEE...`` values (the constraint is in a rights expression we do
  not parse) reserve all text and data mining (:attr:`Purpose.TDM`);
* ``...-AIMLTRAINING`` / draft ``DMI-ALLOWED-noaitraining`` reserve AI training;
* ``...-GENAIMLTRAINING`` / draft ``DMI-ALLOWED-noaigentraining`` reserve generative training;
* ``...-EXCEPTSEARCHENGINEINDEXING`` reserves every use but search indexing (AI training and
  AI input);
* ``DMI-ALLOWED`` allows data mining (it never cancels a reservation from another family);
* ``DMI-UNSPECIFIED`` is recorded with no stance; any other value reserves all data mining
  (unknown values deny, images.md 4.2), and says so in its note.

A value the XML parser could not reach (a hostile or broken packet searched as text) counts the
same way and its note says so. No metadata is silence: PLUS itself says the absence of a
prohibition grants nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from optout_middleware.formats.htmlhead import NO_HEAD_TAGS, HeadInterest
from optout_middleware.formats.images.jumbf import METADATA_LABELS, base_label
from optout_middleware.plugin import SignalParser
from optout_middleware.verdict import Evidence, Purpose, allows, disallows

if TYPE_CHECKING:
    from collections.abc import Iterable

    from optout_middleware.inputs import Context, ResponseView
    from optout_middleware.verdict import Stances

__all__ = ["DATA_MINING_VALUES", "FAMILY", "IptcSignal", "read_data_mining"]

FAMILY = "iptc"

_ALL = disallows(Purpose.TDM)
_TRAIN = disallows(Purpose.TRAIN_AI)
_GENAI = disallows(Purpose.TRAIN_GENAI)
_BUT_SEARCH = disallows(Purpose.TRAIN_AI, Purpose.AI_INPUT)

# Lower-cased last path segment -> (stances, note). Data, not code: the vocabulary grows.
DATA_MINING_VALUES: dict[str, tuple[Stances, str]] = {
    "dmi-unspecified": ((), "DMI-UNSPECIFIED: the rights holder said nothing; no stance"),
    "dmi-allowed": (allows(Purpose.TDM), "DMI-ALLOWED: data mining allowed"),
    "dmi-prohibited": (_ALL, "DMI-PROHIBITED: all data mining prohibited"),
    "dmi-prohibited-aimltraining": (_TRAIN, "AI/ML training prohibited"),
    "dmi-prohibited-genaimltraining": (_GENAI, "generative AI/ML training prohibited"),
    "dmi-prohibited-exceptsearchengineindexing": (
        _BUT_SEARCH,
        "prohibited except search engine indexing: AI training and AI input reserved",
    ),
    "dmi-prohibited-seeconstraint": (
        _ALL,
        "prohibited, see plus:OtherConstraints (not parsed): all data mining reserved",
    ),
    "dmi-prohibited-seeembeddedrightsexpr": (
        _ALL,
        "prohibited, see the embedded rights expression (not parsed): all data mining reserved",
    ),
    "dmi-prohibited-seelinkedrightsexpr": (
        _ALL,
        "prohibited, see the linked rights expression (not parsed): all data mining reserved",
    ),
    # 2023 public-draft values (images.md 4.2)
    "dmi-allowed-noaitraining": (_TRAIN, "draft value: allowed except AI training"),
    "dmi-allowed-noaigentraining": (_GENAI, "draft value: allowed except generative AI training"),
    "dmi-see-constraint": (
        _ALL,
        "draft value: see constraint (not parsed): all data mining reserved",
    ),
    "dmi-see-embeddedrightsexpr": (
        _ALL,
        "draft value: see embedded rights expression (not parsed): all data mining reserved",
    ),
    "dmi-see-linkedrightsexpr": (
        _ALL,
        "draft value: see linked rights expression (not parsed): all data mining reserved",
    ),
}
_UNKNOWN = "unknown DataMining value read as a reservation of all data mining (images.md 4.2)"


def read_data_mining(value: str) -> tuple[Stances, str]:
    """What one ``DataMining`` value reserves or allows, and how it was read."""
    key = value.strip().rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1].lower()
    known = DATA_MINING_VALUES.get(key)
    if known is not None:
        return known
    if not key:
        return (), "empty DataMining value: no stance"
    return _ALL, _UNKNOWN


class IptcSignal(SignalParser):
    """``plus:DataMining`` in the XMP of image responses (sniffed by magic bytes)."""

    family: ClassVar[str] = FAMILY

    def head_interest(self, context: Context) -> HeadInterest:
        """Nothing: IPTC metadata is read from image bodies, not the head."""
        return NO_HEAD_TAGS

    def response_evidence(self, response: ResponseView, context: Context) -> Iterable[Evidence]:
        """One evidence per DataMining value found (XMP, or IPTC metadata inside a manifest)."""
        scan = response.image
        if scan.kind is None or (not scan.xmp and not scan.stores):
            return ()
        found = []
        for item in scan.data_mining:
            stances, note = read_data_mining(item.value)
            if item.by_text:
                note += "; packet not parsed as XML, value found by a text search"
            found.append(
                Evidence(FAMILY, "image", item.value, stances, location=item.where, note=note)
            )
        for store in scan.stores:
            for manifest in store.manifests:
                for assertion in manifest.assertions:
                    if base_label(assertion.label) not in METADATA_LABELS:
                        continue
                    for value in _metadata_values(assertion.payload):
                        stances, note = read_data_mining(value)
                        found.append(
                            Evidence(
                                FAMILY,
                                "image",
                                value,
                                stances,
                                location=f"{store.where}, manifest {manifest.label}, "
                                f"assertion {assertion.label}",
                                note=note + "; IPTC metadata carried in a C2PA assertion",
                            )
                        )
        return found


def _metadata_values(payload: object, depth: int = 0) -> list[str]:
    """``...DataMining`` values in a C2PA metadata assertion's JSON-LD (bounded depth)."""
    found: list[str] = []
    if depth > 16:  # noqa: PLR2004
        return found
    if isinstance(payload, dict):
        for key, value in payload.items():
            if isinstance(key, str) and key.rsplit(":", 1)[-1] == "DataMining":
                if isinstance(value, str):
                    found.append(value)
                elif isinstance(value, dict) and isinstance(value.get("@id"), str):
                    found.append(value["@id"])
                elif isinstance(value, list):
                    found.extend(v for v in value if isinstance(v, str))
            else:
                found.extend(_metadata_values(value, depth + 1))
    elif isinstance(payload, list):
        for value in payload[:1000]:
            found.extend(_metadata_values(value, depth + 1))
    return found
