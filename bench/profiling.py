"""Where the add-on's time goes in a crawl: cProfile of one crawl, summarised per page.

cProfile inflates Python-heavy code (roughly 2-3x here), so the figures are for ranking the
causes, not for the overhead itself; the alternated unprofiled runs give that.
"""

from __future__ import annotations

import pstats
from typing import Any

__all__ = ["summarise"]

_PACKAGE = "optout_middleware/"


def summarise(path: str, pages: int, *, top: int = 18) -> dict[str, Any]:
    """The package's functions by cumulative time per page, and the profiled total per page."""
    stats = pstats.Stats(path)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    rows = []
    for (filename, line, func), (_cc, calls, tottime, cumtime, _callers) in raw.items():
        if _PACKAGE not in filename:
            continue
        where = filename.rsplit(_PACKAGE, 1)[1]
        rows.append(
            {
                "function": f"{where}:{line} {func}",
                "calls_per_page": calls / pages,
                "cum_us_per_page": cumtime / pages * 1e6,
                "own_us_per_page": tottime / pages * 1e6,
            }
        )
    rows.sort(key=lambda r: -r["cum_us_per_page"])
    total: float = stats.total_tt  # type: ignore[attr-defined]
    return {"total_us_per_page": total / pages * 1e6, "functions": rows[:top]}
