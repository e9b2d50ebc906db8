"""robots.txt parsers compared: ours, Protego (Scrapy's default), robotexclusionrulesparser.

The files follow robots-parsers.md section 3: a realistic ~5 KB file with the AI groups, a
~500 KB one and a wildcard-heavy ~500 KB one, generated from fixed seeds. Parse time is the best
of several repeats of bytes -> parsed object (Protego and REPP take text, so their time includes
the ``utf-8-sig`` decode that Scrapy's wrapper does, as ours includes its own). Query time is
the best of several passes over realistic URLs for ExampleBot (falls through to ``*``) and GPTBot
(a group of its own); when a pass would exceed the time budget, an evenly spaced sample of the
URLs is used and the table says how many. Hostile patterns run one per subprocess with a time
limit, because REPP's backtracking regexes can run for minutes.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from bench.adversarial import CASES
from bench.sitegen import query_urls, robots_stats, robots_txt
from bench.timing import interleaved_best, sample

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = ["FILES", "PEERS", "adversarial", "robots_comparison"]

PEERS = ("optout", "protego", "repp")
AGENTS = ("ExampleBot", "GPTBot")
# name: (seed, rules, share of rules with * or $)
FILES: dict[str, tuple[str, int, float]] = {
    "5 KB": ("robots-5k", 140, 0.42),
    "500 KB": ("robots-500k", 14_700, 0.12),
    "500 KB wildcard-heavy": ("robots-500k-wild", 15_400, 0.49),
}
_URLS = 10_000


@dataclass(frozen=True, slots=True)
class _Peer:
    parse: Callable[[bytes], Any]
    query: Callable[[Any, str, str], bool]


def _peers() -> dict[str, _Peer]:
    from protego import Protego  # noqa: PLC0415
    from robotexclusionrulesparser import (  # type: ignore[import-untyped]  # noqa: PLC0415
        RobotExclusionRulesParser,
    )

    from optout_middleware.formats import robotstxt  # noqa: PLC0415

    def repp_parse(body: bytes) -> RobotExclusionRulesParser:
        parser = RobotExclusionRulesParser()
        parser.parse(body.decode("utf-8-sig", "replace"))
        return parser

    return {
        "optout": _Peer(robotstxt.parse, lambda rp, url, agent: rp.allowed(url, agent)),
        "protego": _Peer(
            lambda body: Protego.parse(body.decode("utf-8-sig", "replace")),
            lambda rp, url, agent: rp.can_fetch(url, agent),
        ),
        "repp": _Peer(repp_parse, lambda rp, url, agent: rp.is_allowed(agent, url)),
    }


def _query_sample(
    peer: _Peer, parsed: Any, urls: list[str], agent: str, budget: float
) -> list[str]:
    """The URLs one timed pass will use: all of them, or an even sample that fits ``budget``."""
    peer.query(parsed, urls[0], agent)  # the first query builds per-agent lookups: not per query
    done = 0
    start = time.perf_counter()
    while done < len(urls) and time.perf_counter() - start < budget:
        peer.query(parsed, urls[done], agent)
        done += 1
    return sample(urls, max(done, 20))


def _answer(
    query: Callable[[Any, str, str], bool],
    parsed: Any,
    urls: list[str],
    agent: str,
    *,
    out: dict[str, list[bool]],
    key: str,
) -> None:
    """One timed pass: query every URL, keep the answers (the same list work for every peer)."""
    out[key] = [query(parsed, url, agent) for url in urls]


def robots_comparison(*, quick: bool, log: Callable[[str], None]) -> list[dict[str, Any]]:
    """Parse and query times of the three parsers on the three files.

    Repeats are interleaved (ours, protego, REPP, ours, ...) so that load from other work on
    the machine falls on all three alike; each figure is the best of its repeats.
    """
    peers = _peers()
    rounds = 1 if quick else 7
    budget = 0.02 if quick else 0.3
    rows: list[dict[str, Any]] = []
    for name, (seed, rules, wildcard_share) in FILES.items():
        text = robots_txt(random.Random(seed), rules=rules, wildcard_share=wildcard_share)
        body = text.encode()
        spec = robots_stats(text)
        urls = query_urls(random.Random(seed + ":urls"), text, 1_000 if quick else _URLS)
        log(f"  robots.txt {name}: {spec.size:,} bytes, {spec.rules:,} rules")
        parsed = {peer_name: peer.parse(body) for peer_name, peer in peers.items()}
        parse_secs = interleaved_best(
            {peer_name: partial(peer.parse, body) for peer_name, peer in peers.items()},
            rounds=rounds,
        )
        found: dict[str, dict[str, Any]] = {
            peer_name: {
                "file": name,
                "bytes": spec.size,
                "rules": spec.rules,
                "wildcard_rules": spec.wildcard_rules,
                "peer": peer_name,
                "parse_us": parse_secs[peer_name] * 1e6,
            }
            for peer_name in peers
        }
        for agent in AGENTS:
            used = {
                peer_name: _query_sample(peer, parsed[peer_name], urls, agent, budget)
                for peer_name, peer in peers.items()
            }
            answers: dict[str, list[bool]] = {}
            secs = interleaved_best(
                {
                    p: partial(_answer, peer.query, parsed[p], used[p], agent, out=answers, key=p)
                    for p, peer in peers.items()
                },
                rounds=rounds,
            )
            for peer_name, row in found.items():
                mine = used[peer_name]
                checked = mine[:1000]
                protego = peers["protego"]
                expected = [protego.query(parsed["protego"], url, agent) for url in checked]
                differ = sum(a != e for a, e in zip(answers[peer_name], expected, strict=False))
                row[f"query_us/{agent}"] = secs[peer_name] / len(mine) * 1e6
                row[f"sampled/{agent}"] = len(mine) if len(mine) < len(urls) else None
                row[f"differ_pct/{agent}"] = 100 * differ / len(checked)
        rows.extend(found.values())
    return rows


def _run_case(root: Path, peer: str, case: str, limit: float) -> float | None:
    """Milliseconds for one case, or None when it ran past ``limit`` seconds."""
    try:
        done = subprocess.run(  # noqa: S603  (our own module, fixed arguments)
            [sys.executable, "-m", "bench.adversarial", peer, case],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=limit + 2.0,  # the interpreter's start-up is not the case's time
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    ms: float = json.loads(done.stdout)["ms"]
    return ms if ms <= limit * 1e3 else None


def adversarial(
    *, quick: bool, root: Path, log: Callable[[str], None]
) -> tuple[float, list[dict[str, Any]]]:
    """(time limit, rows): parse + one query per hostile case and parser, killed at the limit."""
    limit = 1.0 if quick else 10.0
    cases = list(CASES)[::2] if quick else list(CASES)
    rows = []
    for case in cases:
        row: dict[str, Any] = {"case": case}
        for peer in PEERS:
            row[peer] = _run_case(root, peer, case, limit)
        log(f"  adversarial {case}: " + ", ".join(f"{p}={row[p]}" for p in PEERS))
        rows.append(row)
    return limit, rows
