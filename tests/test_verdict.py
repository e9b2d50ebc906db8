"""The verdict model: purposes, their hierarchy, per-family precedence and cross-family combining
(specs.md section 0)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optout_middleware.verdict import (
    Evidence,
    Purpose,
    Stance,
    Verdict,
    allows,
    combine,
    disallows,
)

P = Purpose


def ev(
    family: str, *stances: tuple[Purpose, Stance], precedence: int = 0, value: str = "x"
) -> Evidence:
    return Evidence(
        family=family, source="header", value=value, stances=stances, precedence=precedence
    )


def no(*purposes: Purpose) -> tuple[Purpose, Stance]:
    (pair,) = disallows(*purposes)
    return pair


def yes(*purposes: Purpose) -> tuple[Purpose, Stance]:
    (pair,) = allows(*purposes)
    return pair


def test_nothing_said_gives_reserved_none() -> None:
    """specs.md 0: no statement from any source => unknown."""
    verdict = combine(P.TRAIN_AI, [])
    assert verdict.reserved is None
    assert verdict.decided_by is None


def test_informational_evidence_never_decides() -> None:
    """specs.md 9.1: a licence is recorded but is not an opt-out."""
    licence = Evidence(
        family="licence", source="link", value="https://creativecommons.org/licenses/by-nc/4.0/"
    )
    verdict = combine(P.TRAIN_AI, [licence])
    assert verdict.reserved is None
    assert verdict.licences == (licence,)


def test_any_disallow_from_any_family_wins() -> None:
    """specs.md 0 combining rule: any disallowed from any source => disallowed."""
    allow = ev("content-signal", yes(P.TRAIN_AI))
    deny = ev("robots-meta", no(P.TRAIN_AI))
    verdict = combine(P.TRAIN_AI, [allow, deny])
    assert verdict.reserved is True
    assert verdict.decided_by is deny


def test_allow_when_nothing_disallows() -> None:
    """specs.md 0 combining rule: else any allowed => allowed."""
    allow = ev("content-signal", yes(P.TRAIN_AI))
    verdict = combine(P.TRAIN_AI, [allow])
    assert verdict.reserved is False
    assert verdict.decided_by is allow


def test_parent_disallow_applies_to_every_child() -> None:
    """specs.md 0 hierarchy: a "no" on a parent applies to every child."""
    tdm_no = ev("tdmrep", no(P.TDM))
    for purpose in (P.TRAIN_AI, P.TRAIN_GENAI, P.AI_INPUT, P.SEARCH, P.TDM):
        assert combine(purpose, [tdm_no]).reserved is True


def test_parent_allow_only_fills_unknown_children() -> None:
    """specs.md 0 hierarchy: a parent "yes" never beats a child-level "no" from any source."""
    tdm_yes = ev("tdmrep", yes(P.TDM))
    child_no = ev("aipref", no(P.TRAIN_GENAI))
    assert combine(P.TRAIN_GENAI, [tdm_yes, child_no]).reserved is True
    assert combine(P.SEARCH, [tdm_yes, child_no]).reserved is False


def test_child_allow_says_nothing_about_parent() -> None:
    """specs.md 0 hierarchy: a "yes" on a child never implies anything about the parent."""
    genai_yes = ev("aipref", yes(P.TRAIN_GENAI))
    assert combine(P.TRAIN_AI, [genai_yes]).reserved is None
    assert combine(P.TRAIN_GENAI, [genai_yes]).reserved is False


def test_child_disallow_reserves_a_crawl_whose_purpose_contains_it() -> None:
    """Our reading of specs.md 0: a train-ai crawl also trains generative models, so aipref-08
    train-ai=n (mapped to train-genai) must reserve it (README: purposes)."""
    genai_no = ev("aipref", no(P.TRAIN_GENAI))
    assert combine(P.TRAIN_AI, [genai_no]).reserved is True
    assert combine(P.TDM, [genai_no]).reserved is True


def test_sibling_disallow_does_not_reserve() -> None:
    """specs.md 0: tdm > ai-input and tdm > search are separate branches."""
    input_no = ev("content-signal", no(P.AI_INPUT))
    assert combine(P.SEARCH, [input_no]).reserved is None
    assert combine(P.TRAIN_AI, [input_no]).reserved is None


def test_higher_precedence_supersedes_inside_a_family() -> None:
    """specs.md 1.4: TDMRep header supersedes the file; a later 0 overrides an earlier 1."""
    file_1 = ev("tdmrep", no(P.TDM), precedence=0)
    header_0 = ev("tdmrep", yes(P.TDM), precedence=1)
    verdict = combine(P.TRAIN_AI, [file_1, header_0])
    assert verdict.reserved is False
    assert verdict.decided_by is header_0


def test_precedence_is_scoped_to_its_family() -> None:
    """specs.md 0: override rules apply inside their own signal, then combine across signals."""
    file_1 = ev("tdmrep", no(P.TDM), precedence=0)
    meta_high = ev("robots-meta", yes(P.TDM), precedence=5)
    assert combine(P.TRAIN_AI, [file_1, meta_high]).reserved is True


def test_equal_precedence_disallow_wins_ties() -> None:
    """specs.md 1.7 [inferred]: several metas with different values => 1 wins."""
    a = ev("tdmrep", yes(P.TDM), precedence=2)
    b = ev("tdmrep", no(P.TDM), precedence=2)
    assert combine(P.TRAIN_AI, [a, b]).reserved is True


def test_decided_by_is_the_first_reserving_evidence_in_order() -> None:
    """The deciding evidence is deterministic: the first reserving one in evaluation order."""
    first = ev("robotstxt", no(P.TRAIN_AI), value="first")
    second = ev("robots-meta", no(P.TRAIN_AI), value="second")
    assert combine(P.TRAIN_AI, [first, second]).decided_by is first


def test_verdict_to_dict_is_plain_json_and_round_trips() -> None:
    """Users keep verdicts as proof: JSON-serialisable, and readable back."""
    evidence = (
        Evidence(
            "tdmrep",
            "tdmrep.json",
            "1",
            disallows(P.TDM),
            "rule 1",
            path="/",
            url="https://a/.well-known/tdmrep.json",
        ),
        Evidence("licence", "link", "https://creativecommons.org/licenses/by/4.0/"),
    )
    verdict = combine(P.TRAIN_AI, evidence)
    data = json.loads(json.dumps(verdict.to_dict()))
    assert data["reserved"] is True
    assert data["purpose"] == "train-ai"
    assert data["decided_by"]["stances"] == {"tdm": "disallowed"}
    assert Verdict.from_dict(data) == verdict


# A literal reading of the rule in verdict.py's docstring, written for clarity, not speed.
_CONTAINS = {
    P.TDM: {P.TDM},
    P.TRAIN_AI: {P.TRAIN_AI, P.TDM},
    P.TRAIN_GENAI: {P.TRAIN_GENAI, P.TRAIN_AI, P.TDM},
    P.AI_INPUT: {P.AI_INPUT, P.TDM},
    P.SEARCH: {P.SEARCH, P.TDM},
}  # purpose -> itself and every purpose containing it


def _reference(purpose: Purpose, evidence: list[Evidence]) -> tuple[bool | None, Evidence | None]:
    survivors = []  # (evidence, purpose, stance) at the top precedence of its (family, purpose)
    for e in evidence:
        for p, s in e.stances:
            top = max(
                x.precedence
                for x in evidence
                for q, _ in x.stances
                if x.family == e.family and q is p
            )
            if e.precedence == top:
                survivors.append((e, p, s))
    reserving = {p for p in Purpose if p in _CONTAINS[purpose] or purpose in _CONTAINS[p]}
    for wanted, counts in ((Stance.DISALLOWED, reserving), (Stance.ALLOWED, _CONTAINS[purpose])):
        found = [e for e, p, s in survivors if s is wanted and p in counts]
        if found:
            first = min(found, key=lambda x: next(i for i, y in enumerate(evidence) if y is x))
            return wanted is Stance.DISALLOWED, first
    return None, None


_EVIDENCE = st.builds(
    lambda family, stances, precedence: Evidence(
        family, "header", "x", tuple(stances), precedence=precedence
    ),
    st.sampled_from(["a", "b", "c"]),
    st.lists(st.tuples(st.sampled_from(list(Purpose)), st.sampled_from(list(Stance))), max_size=3),
    st.integers(0, 2),
)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(list(Purpose)), st.lists(_EVIDENCE, max_size=8))
def test_combine_equals_the_rule_as_written(purpose: Purpose, evidence: list[Evidence]) -> None:
    """specs.md 0 and verdict.py's docstring: the fast one-pass combine() gives the verdict
    and the deciding evidence of a literal reading of the rule, on any evidence."""
    verdict = combine(purpose, evidence)
    assert (verdict.reserved, verdict.decided_by) == _reference(purpose, evidence)


@pytest.mark.parametrize(
    ("text", "purpose"),
    [
        ("train-ai", P.TRAIN_AI),
        ("TRAIN_GENAI", P.TRAIN_GENAI),
        (" tdm ", P.TDM),
        ("ai-input", P.AI_INPUT),
    ],
)
def test_purpose_parse_accepts_names(text: str, purpose: Purpose) -> None:
    assert Purpose.parse(text) is purpose


def test_purpose_parse_names_valid_values_on_error() -> None:
    with pytest.raises(ValueError, match="train-ai"):
        Purpose.parse("training")


def test_evidence_to_dict_is_a_fresh_dict_every_call() -> None:
    """Evidence is shared by every URL of an origin: a caller editing the dict it got (an item
    pipeline, say) must not change what the next response reports."""
    evidence = Evidence("robotstxt", "robots.txt", "Disallow: /", disallows(P.TDM))
    first = evidence.to_dict()
    first["value"] = "edited"
    first["stances"]["tdm"] = "allowed"
    second = evidence.to_dict()
    assert second["value"] == "Disallow: /"
    assert second["stances"] == {"tdm": "disallowed"}


def test_verdicts_share_their_combine_state_keys() -> None:
    """A crawl keeps the combine state of every path class's verdict, and each full collection
    of the garbage collector visits what is kept: one (family, purpose) key object serves every
    verdict, not one per verdict (the state is private; this is the only way to see it)."""
    first = combine(P.TRAIN_AI, (ev("tdmrep", no(P.TDM), value="a"),))
    second = combine(P.TRAIN_AI, (ev("tdm" + "rep", no(P.TDM), value="b"),))
    assert first._fold is not None
    assert second._fold is not None
    (key_a,) = first._fold
    (key_b,) = second._fold
    assert key_a == ("tdmrep", P.TDM)
    assert key_a is key_b
