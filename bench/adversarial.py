"""One hostile robots.txt case for one parser, in a process of its own so it can be killed.

``python -m bench.adversarial PEER CASE`` parses a one-rule file and answers one query, then
prints ``{"ms": ...}``. The orchestrator (``bench.parsers``) enforces the time limit.
"""

from __future__ import annotations

import json
import sys
import time

__all__ = ["CASES", "main"]

# name: (Disallow pattern, length of the "/aaa..." path it is matched against)
CASES: dict[str, tuple[str, int]] = {
    "/*a*a*b vs 2,000 chars": ("/*a*a*b", 2000),
    "/*a*a*a*b vs 600 chars": ("/*a*a*a*b", 600),
    "/ + 10x*a + *b vs 2,000 chars": ("/" + "*a" * 10 + "*b", 2000),
    "/ + 12x*a + *b vs 3,000 chars": ("/" + "*a" * 12 + "*b", 3000),
    "/ + 1,000x*a + *b$ vs 2,000 chars": ("/" + "*a" * 1000 + "*b$", 2000),
}


def _run(peer: str, pattern: str, length: int) -> float:
    text = f"User-agent: *\nDisallow: {pattern}\n"
    url = "https://example.com/" + "a" * (length - 1)
    if peer == "optout":
        from optout_middleware.formats.robotstxt import parse  # noqa: PLC0415

        start = time.perf_counter()
        parse(text.encode()).allowed(url, "BenchBot")
    elif peer == "protego":
        from protego import Protego  # noqa: PLC0415

        start = time.perf_counter()
        Protego.parse(text).can_fetch(url, "BenchBot")
    else:
        from robotexclusionrulesparser import (  # type: ignore[import-untyped]  # noqa: PLC0415
            RobotExclusionRulesParser,
        )

        start = time.perf_counter()
        repp = RobotExclusionRulesParser()
        repp.parse(text)
        repp.is_allowed("BenchBot", url)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Time one case and print the result as JSON."""
    peer, case = argv if argv is not None else sys.argv[1:]
    pattern, length = CASES[case]
    print(json.dumps({"ms": _run(peer, pattern, length) * 1e3}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
