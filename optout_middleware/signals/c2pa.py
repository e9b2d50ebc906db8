"""The ``c2pa`` family: the C2PA/CAWG training-and-data-mining assertion (images.md 4.1, 4.4).

Labels ``cawg.training-mining`` (CAWG 1.0/1.1) and ``c2pa.training-mining`` (C2PA 1.x), any
instance (``__2``...), entries under ``entries`` (CAWG 1.1) or at the top level (1.0 and C2PA
1.4): all are read. Entry keys map to purposes (:data:`ENTRY_PURPOSES`), for both prefixes:

* ``data_mining`` -> :attr:`Purpose.TDM` (text and data mining: the EU art. 4 reading);
* ``ai_training`` -> :attr:`Purpose.TRAIN_AI` (non-generative models; a train-genai crawl is
  reserved by it too, as by any reservation of AI training);
* ``ai_generative_training`` -> :attr:`Purpose.TRAIN_GENAI`;
* ``ai_inference`` -> :attr:`Purpose.AI_INPUT`.

``use``: ``notAllowed`` reserves; ``constrained`` reserves too (CAWG 1.1: "in the absence of
additional information, shall be treated as equivalent to notAllowed"); a missing or unknown
``use`` reserves. ``allowed`` takes **no stance**: we never validate manifests (no signature,
certificate or hash is checked), and an unvalidated manifest may deny but not permit. Custom
entry keys (not ``cawg.``/``c2pa.``) are recorded without a stance: they name no use of ours.

Which manifests count: in each store the active (last) manifest decides; when it is an update
manifest or has no training-mining assertion, the other manifests of the store (its
ingredients) count instead, and any of their reservations stands (the conservative reading).
Several stores, or several instances of the assertion: every reservation counts. A compressed
manifest that cannot be read, or an assertion that cannot be decoded, is recorded with no stance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from optout_middleware.formats.htmlhead import NO_HEAD_TAGS, HeadInterest
from optout_middleware.formats.images.jumbf import TRAINING_LABELS, base_label
from optout_middleware.plugin import SignalParser
from optout_middleware.verdict import Evidence, Purpose, disallows

if TYPE_CHECKING:
    from collections.abc import Iterable

    from optout_middleware.formats.images import Manifest, ManifestStore
    from optout_middleware.inputs import Context, ResponseView

__all__ = ["ENTRY_PURPOSES", "FAMILY", "C2paSignal", "read_entry"]

FAMILY = "c2pa"

# Entry name without its "cawg."/"c2pa." prefix -> the purpose it governs.
ENTRY_PURPOSES: dict[str, Purpose] = {
    "data_mining": Purpose.TDM,
    "ai_training": Purpose.TRAIN_AI,
    "ai_generative_training": Purpose.TRAIN_GENAI,
    "ai_inference": Purpose.AI_INPUT,
}
_PREFIXES = ("cawg.", "c2pa.")
_USES = {
    "notallowed": "notAllowed: reserved",
    "constrained": "constrained: treated as notAllowed (CAWG 1.1)",
}
_UNVALIDATED = "allowed, but manifests are not validated here: no stance"


def read_entry(key: str, entry: object) -> tuple[Purpose | None, bool, str]:
    """(purpose, reserves, note) for one entry of a training-mining assertion."""
    name = key
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            name = key[len(prefix) :]
            break
    else:
        return None, False, "custom entry: names no use this library knows; no stance"
    purpose = ENTRY_PURPOSES.get(name)
    if purpose is None:
        return None, False, "unknown entry name: no stance"
    use = entry.get("use") if isinstance(entry, dict) else None
    if not isinstance(use, str):
        return purpose, True, "entry without a use value: read as notAllowed"
    if use.strip().lower() == "allowed":
        return purpose, False, _UNVALIDATED
    why = _USES.get(use.strip().lower(), f"unknown use {use!r}: read as notAllowed")
    if isinstance(entry, dict):
        info = entry.get("constraint_info", entry.get("constraints_info"))
        if isinstance(info, str) and info.strip():
            why += f"; constraint: {info.strip()[:200]}"
    return purpose, True, why


class C2paSignal(SignalParser):
    """Training-and-mining assertions in the C2PA manifest stores of image responses."""

    family: ClassVar[str] = FAMILY

    def head_interest(self, context: Context) -> HeadInterest:
        """Nothing: manifests are read from image bodies, not the head."""
        return NO_HEAD_TAGS

    def response_evidence(self, response: ResponseView, context: Context) -> Iterable[Evidence]:
        """Evidence for each entry of each counted assertion; notes for what was unreadable."""
        scan = response.image
        if not scan.stores:
            return ()
        found: list[Evidence] = []
        for store in scan.stores:
            _store_evidence(store, found)
        return found


def _store_evidence(store: ManifestStore, found: list[Evidence]) -> None:
    active = store.active
    if active is None:
        return
    if active.kind == "standard" and _has_training(active):
        _manifest_evidence(store, active, "active manifest", found)
        return
    why = (
        "update manifest"
        if active.kind == "update"
        else "unreadable compressed manifest"
        if active.kind == "compressed"
        else "no training-mining assertion"
    )
    if active.note:
        found.append(
            Evidence(FAMILY, "image", active.note, location=_where(store, active, "active"))
        )
    for manifest in store.manifests[:-1]:
        if manifest.note:
            found.append(
                Evidence(FAMILY, "image", manifest.note, location=_where(store, manifest, ""))
            )
        _manifest_evidence(store, manifest, f"ingredient manifest (active: {why})", found)


def _has_training(manifest: Manifest) -> bool:
    return any(base_label(a.label) in TRAINING_LABELS for a in manifest.assertions)


def _where(store: ManifestStore, manifest: Manifest, role: str) -> str:
    role = f" ({role})" if role else ""
    packed = ", compressed" if manifest.compressed else ""
    return f"{store.where}, manifest {manifest.label}{role}{packed}"


def _manifest_evidence(
    store: ManifestStore, manifest: Manifest, role: str, found: list[Evidence]
) -> None:
    for assertion in manifest.assertions:
        if base_label(assertion.label) not in TRAINING_LABELS:
            continue
        location = f"{_where(store, manifest, role)}, assertion {assertion.label}"
        if assertion.error:
            found.append(
                Evidence(FAMILY, "image", assertion.error, location=location, note="no stance")
            )
            continue
        for key, entry in _entries(assertion.payload):
            purpose, reserves, note = read_entry(key, entry)
            use = entry.get("use") if isinstance(entry, dict) else None
            value = f"{key}: {use if isinstance(use, str) else repr(entry)[:80]}"
            stances = disallows(purpose) if reserves and purpose is not None else ()
            found.append(Evidence(FAMILY, "image", value, stances, location=location, note=note))


def _entries(payload: Any) -> list[tuple[str, Any]]:
    """The entries of a payload: under ``entries`` (CAWG 1.1) and at the top level (1.0)."""
    if not isinstance(payload, dict):
        return []
    found = [
        (k, v)
        for k, v in payload.items()
        if isinstance(k, str)
        and k != "entries"
        and (k.startswith(_PREFIXES) or (isinstance(v, dict) and "use" in v))
    ]
    nested = payload.get("entries")
    if isinstance(nested, dict):
        found.extend((k, v) for k, v in nested.items() if isinstance(k, str))
    return found
