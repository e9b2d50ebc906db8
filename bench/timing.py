"""Small timing helpers shared by the micro-benchmarks: best of N, with automatic loop counts.

The best of several repeats is the figure least disturbed by other work on the machine (the
minimum is what the code costs; noise only ever adds).
"""

from __future__ import annotations

import gc
import statistics
import time
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = ["best_of", "fmt_us", "interleaved_best", "sample", "spread"]

T = TypeVar("T")


def best_of(func: Callable[[], object], *, repeats: int, target_secs: float = 0.05) -> float:
    """Seconds per call of ``func``: loops sized to ~``target_secs``, best of ``repeats``."""
    number = 1
    while True:  # size the loop so timer resolution does not matter
        start = time.perf_counter()
        for _ in range(number):
            func()
        elapsed = time.perf_counter() - start
        if elapsed >= target_secs / 4 or number >= 1 << 20:
            break
        number *= 4
    best = elapsed / number
    gc_was_on = gc.isenabled()
    gc.disable()  # like timeit: a collection in one repeat is noise, not cost
    try:
        for _ in range(repeats - 1):
            start = time.perf_counter()
            for _ in range(number):
                func()
            best = min(best, (time.perf_counter() - start) / number)
    finally:
        if gc_was_on:
            gc.enable()
    return best


def interleaved_best(funcs: Mapping[str, Callable[[], object]], *, rounds: int) -> dict[str, float]:
    """Seconds of one call of each function: called in turn, round after round; best per name.

    Interleaving makes a burst of load from elsewhere slow every contender, not just one.
    """
    best = dict.fromkeys(funcs, float("inf"))
    gc_was_on = gc.isenabled()
    try:
        for _ in range(rounds):
            for name, func in funcs.items():
                gc.collect()
                gc.disable()
                start = time.perf_counter()
                func()
                best[name] = min(best[name], time.perf_counter() - start)
                gc.enable()
    finally:
        if gc_was_on:
            gc.enable()
        else:
            gc.disable()
    return best


def sample(items: Sequence[T], count: int) -> list[T]:
    """``count`` items spread evenly over ``items`` (all of them when count >= len)."""
    if count >= len(items):
        return list(items)
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


def spread(values: Sequence[float]) -> tuple[float, float, float]:
    """(median, min, max)."""
    return statistics.median(values), min(values), max(values)


def fmt_us(seconds: float) -> str:
    """Seconds as a short microsecond figure: 0.84, 12.3, 4,512."""
    us = seconds * 1e6
    if us < 10:
        return f"{us:.2f}"
    if us < 100:
        return f"{us:.1f}"
    return f"{us:,.0f}"
