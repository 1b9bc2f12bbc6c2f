"""Timing helpers shared by `benchmarks/implementations/*.py`."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_time(function: Callable[[], object], repeats: int) -> float:
    """Best-of-`repeats` wall time of `function()` in seconds (after one warm-up call)."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def best_times(
    first: Callable[[], object], second: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """Best-of-`repeats` wall times (seconds) of two calls, run alternately after a warm-up.

    Alternating the two keeps them under the same machine load, which matters on a
    shared machine.
    """
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for function, record in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            function()
            record.append(time.perf_counter() - start)
    return min(times[0]), min(times[1])


def comparison(name: str, ours_s: float, reference_s: float, goal: float) -> dict:
    """`{name: {"ours_s", "reference_s", "ratio", "goal"}}`, the entry `make bench` records."""
    return {
        name: {
            "ours_s": ours_s,
            "reference_s": reference_s,
            "ratio": ours_s / reference_s,
            "goal": goal,
        }
    }
