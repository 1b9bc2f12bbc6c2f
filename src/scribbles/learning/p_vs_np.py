r"""P vs NP on one problem: verifying a subset-sum certificate is fast, finding one is not.

**Subset sum.** Given integers $a_1, \dots, a_n$ and a target $T$, is there a set of
indices $S \subseteq \{1, \dots, n\}$ with

$$
\sum_{i \in S} a_i = T \; ?
$$

The problem is in **NP**: a "yes" comes with a certificate $S$ that anyone checks in
$O(n)$ additions ([`verify_subset_sum`][scribbles.learning.p_vs_np.verify_subset_sum]). It is
**NP-complete** (Karp, 1972): no algorithm polynomial in the input's length is known,
and one would give one for every problem in NP. The searches here take $O(2^n n)$
(exhaustive) and $O(2^{n/2} n)$ time (meet in the middle, Horowitz and Sahni, 1974);
dynamic programming takes $O(nT)$, polynomial in the *value* of $T$ but exponential in
its number of bits.

Conventions: `numbers` are Python or numpy integers (negative allowed, except for
dynamic programming); the empty set is a subset, with sum 0; a certificate is a sequence
of distinct indices into `numbers`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial
from numbers import Integral
from typing import Any

import numpy as np

from scribbles.book.cache import cached

__all__ = [
    "SOLVERS",
    "random_instance",
    "solve_subset_sum",
    "subset_sum_timings",
    "verify_subset_sum",
]

_LIMIT = 2**62  # |sum| stays inside int64 when the absolute values add up to less


def _check_numbers(numbers: Sequence[int], target: int) -> list[int]:
    """Return `numbers` as a list of Python ints, or raise naming the problem."""
    if isinstance(numbers, str | bytes) or not isinstance(numbers, Sequence | np.ndarray):
        raise TypeError(f"numbers must be a sequence of integers, got {type(numbers).__name__}")
    values = list(numbers)
    for index, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise TypeError(
                f"numbers must hold integers, got {type(value).__name__} at index {index}"
            )
    if isinstance(target, bool) or not isinstance(target, Integral):
        raise TypeError(f"target must be an integer, got {type(target).__name__}")
    return [int(value) for value in values]


def verify_subset_sum(numbers: Sequence[int], target: int, certificate: Sequence[int]) -> bool:
    r"""Check a subset-sum certificate in time linear in `len(numbers) + len(certificate)`.

    The certificate is accepted when its indices are distinct, lie in
    $[0, n)$, and $\sum_{i \in S} a_i = T$. A malformed certificate (repeated or
    out-of-range index) is a wrong answer, so it is rejected with `False`, not an error.

    Args:
        numbers: the integers $a_1, \dots, a_n$.
        target: the target $T$.
        certificate: the proposed indices $S$.

    Returns:
        accepted: whether the certificate proves the answer "yes".

    Raises:
        TypeError: if `numbers`, `target` or an index is not an integer.

    Examples:
        >>> verify_subset_sum([3, 34, 4, 12, 5, 2], 9, [0, 2, 5])
        True
        >>> verify_subset_sum([3, 34, 4, 12, 5, 2], 9, [2, 2, 4])  # index 2 twice
        False
    """
    values = _check_numbers(numbers, target)
    seen = [False] * len(values)  # one pass: O(n) memory and time
    total = 0
    for index in certificate:
        if isinstance(index, bool) or not isinstance(index, Integral):
            raise TypeError(f"certificate must hold integer indices, got {type(index).__name__}")
        if not 0 <= index < len(values) or seen[index]:
            return False
        seen[index] = True
        total += values[index]
    return total == int(target)


def _subset_sums(values: np.ndarray) -> np.ndarray:
    r"""All $2^k$ subset sums of `values` (k,), entry $j$ for the subset whose bits are $j$.

    Doubling: after item $i$, sums = concat(sums, sums + a_i), so bit $i$ of the
    position says whether $a_i$ is in.
    """
    sums = np.zeros(1, dtype=np.int64)
    for value in values:
        sums = np.concatenate([sums, sums + value])  # (2^(i+1),)
    return sums


def _indices_of(mask: int, offset: int = 0) -> list[int]:
    """Positions of the set bits of `mask`, shifted by `offset`."""
    return [offset + bit for bit in range(mask.bit_length()) if mask >> bit & 1]


def _exhaustive(values: list[int], target: int) -> tuple[int, ...] | None:
    """Try all 2^n subsets at once (vectorised); O(2^n n) time, O(2^n) memory."""
    sums = _subset_sums(np.array(values, dtype=np.int64))  # (2^n,)
    hits = np.flatnonzero(sums == target)
    return tuple(_indices_of(int(hits[0]))) if hits.size else None


def _meet_in_the_middle(values: list[int], target: int) -> tuple[int, ...] | None:
    r"""Horowitz–Sahni: split in halves L and R, find $s_L + s_R = T$ by sorting and bisection.

    $O(2^{n/2} n)$ time and $O(2^{n/2})$ memory.
    """
    half = len(values) // 2
    left = _subset_sums(np.array(values[:half], dtype=np.int64))  # (2^h,)
    right = _subset_sums(np.array(values[half:], dtype=np.int64))  # (2^(n-h),)
    order = np.argsort(left, kind="stable")
    sorted_left = left[order]
    needed = target - right  # (2^(n-h),)  s_L must equal T - s_R
    position = np.searchsorted(sorted_left, needed)
    inside = position < sorted_left.size
    found = np.flatnonzero(inside & (sorted_left[np.minimum(position, left.size - 1)] == needed))
    if found.size == 0:
        return None
    right_mask = int(found[0])
    left_mask = int(order[position[right_mask]])
    return tuple(_indices_of(left_mask) + _indices_of(right_mask, offset=half))


def _dynamic_programming(values: list[int], target: int) -> tuple[int, ...] | None:
    r"""Reachable sums as the bits of one integer: $B_i = B_{i-1} \lor (B_{i-1} \ll a_i)$.

    $O(nT)$ bit operations for non-negative numbers; walk back through the $B_i$ to
    recover a certificate.
    """
    if any(value < 0 for value in values) or target < 0:
        raise ValueError(
            "dynamic programming needs non-negative numbers and target, got "
            f"min(numbers)={min(values, default=0)}, target={target}"
        )
    window = (1 << (target + 1)) - 1  # sums above T can never come back down
    reachable = [1]  # reachable[i]: bit s set when some subset of the first i sums to s
    for value in values:
        reachable.append((reachable[-1] | (reachable[-1] << value)) & window)
    if not reachable[-1] >> target & 1:
        return None
    chosen, remaining = [], target
    for i in range(len(values), 0, -1):
        if not reachable[i - 1] >> remaining & 1:  # needed item i - 1 to reach `remaining`
            chosen.append(i - 1)
            remaining -= values[i - 1]
    return tuple(sorted(chosen))


SOLVERS: dict[str, Callable[[list[int], int], tuple[int, ...] | None]] = {
    "exhaustive": _exhaustive,
    "meet-in-the-middle": _meet_in_the_middle,
    "dynamic-programming": _dynamic_programming,
}
"""The search strategies of [`solve_subset_sum`][scribbles.learning.p_vs_np.solve_subset_sum]."""


def solve_subset_sum(
    numbers: Sequence[int], target: int, method: str = "meet-in-the-middle"
) -> tuple[int, ...] | None:
    r"""Find a subset of `numbers` that sums to `target`, or prove there is none.

    | method | time | memory |
    | :--- | :--- | :--- |
    | `"exhaustive"` | $O(2^n n)$ | $O(2^n)$ |
    | `"meet-in-the-middle"` | $O(2^{n/2} n)$ | $O(2^{n/2})$ |
    | `"dynamic-programming"` | $O(nT)$ bit operations | $O(nT)$ bits |

    Args:
        numbers: the integers $a_1, \dots, a_n$ ($n \le 24$ for exhaustive, $\le 48$
            for meet in the middle; $\sum_i |a_i| < 2^{62}$).
        target: the target $T$.
        method: one of `SOLVERS`.

    Returns:
        certificate: sorted indices of a subset with the target sum, or `None` when
            no subset has it (that "no" comes with no short proof).

    Raises:
        TypeError: if `numbers` or `target` is not made of integers.
        ValueError: if `method` is unknown, `n` is too large for it, the values could
            overflow int64, or dynamic programming gets a negative value.

    Examples:
        >>> solve_subset_sum([3, 34, 4, 12, 5, 2], 9)  # 4 + 5
        (2, 4)
        >>> solve_subset_sum([3, 34, 4, 12, 5, 2], 30) is None
        True
        >>> solve_subset_sum([3, 34, 4, 12, 5, 2], 37, method="dynamic-programming")
        (0, 1)
    """
    values = _check_numbers(numbers, target)
    if method not in SOLVERS:
        raise ValueError(f"method must be one of {sorted(SOLVERS)}, got {method!r}")
    largest = {"exhaustive": 24, "meet-in-the-middle": 48}.get(method)
    if largest is not None and len(values) > largest:
        raise ValueError(
            f"{method} handles at most {largest} numbers, got {len(values)} "
            "(its memory grows exponentially with n)"
        )
    if sum(abs(value) for value in values) + abs(int(target)) >= _LIMIT:
        raise ValueError("numbers and target must have absolute values summing below 2**62")
    return SOLVERS[method](values, int(target))


def random_instance(
    n: int, bits: int, rng: np.random.Generator, solvable: bool = True
) -> tuple[list[int], int, tuple[int, ...] | None]:
    r"""A random subset-sum instance with numbers of `bits` bits.

    With `solvable`, the target is the sum of a random half of the numbers (whose
    indices are returned as the planted certificate). Without it, the target is
    $\lfloor\sum_i a_i / 2\rfloor$ made odd while every number is even, so no subset can
    reach it and a solver must rule out all of them.

    Args:
        n: how many numbers, at least 1.
        bits: numbers are drawn uniformly from $[1, 2^{\text{bits}})$, `bits` in [2, 40].
        rng: a numpy random generator.
        solvable: plant a solution, or make the instance unsolvable.

    Returns:
        numbers: the $n$ integers.
        target: the target $T$.
        certificate: the planted indices, or `None` for an unsolvable instance.

    Raises:
        ValueError: if `n < 1` or `bits` is out of range.

    Examples:
        >>> numbers, target, planted = random_instance(8, 16, np.random.default_rng(0))
        >>> verify_subset_sum(numbers, target, planted)
        True
        >>> numbers, target, _ = random_instance(8, 16, np.random.default_rng(0), False)
        >>> solve_subset_sum(numbers, target) is None
        True
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not 2 <= bits <= 40:
        raise ValueError(f"bits must be in [2, 40], got {bits}")
    numbers = rng.integers(1, 2**bits, size=n, dtype=np.int64)
    if solvable:
        planted = np.sort(rng.choice(n, size=max(n // 2, 1), replace=False))
        return numbers.tolist(), int(numbers[planted].sum()), tuple(planted.tolist())
    numbers = 2 * (numbers // 2 + 1)  # all even, >= 2
    return numbers.tolist(), int(numbers.sum() // 2) | 1, None


def _best_time(call: Callable[[], Any], budget: float = 0.05, most: int = 50) -> float:
    """Smallest CPU time of repeated calls; stop after `budget` seconds (at least 3 calls).

    CPU time of this process, not wall time, so that other programs on a shared machine
    do not inflate it; the minimum, because interference only ever adds time.
    """
    best, spent, count = float("inf"), 0.0, 0
    while count < most and (count < 3 or spent < budget):
        start = time.process_time()
        call()
        elapsed = time.process_time() - start
        best, spent, count = min(best, elapsed), spent + elapsed, count + 1
    return best


@cached
def subset_sum_timings(
    exhaustive_sizes: Sequence[int] = tuple(range(4, 23, 2)),
    middle_sizes: Sequence[int] = tuple(range(4, 37, 4)),
    verify_sizes: Sequence[int] = tuple(2**k for k in range(2, 15)),
    dp_bits: Sequence[int] = (8, 10, 12, 14, 16, 18, 20),
    dp_n: int = 24,
    bits: int = 40,
    seed: int = 0,
) -> dict[str, Any]:
    r"""Time verification and the three searches on growing subset-sum instances.

    Every instance has a planted solution; the searches here never stop early (they
    build all the sums they need before looking), so their times are those of the worst
    case, and each certificate they return is verified. Each time is the smallest CPU
    time of several runs. Dynamic programming is timed at a fixed $n$ = `dp_n` with
    numbers of growing bit length, so its target grows like $2^{\text{bits}}$.

    Args:
        exhaustive_sizes: values of $n$ for the exhaustive search.
        middle_sizes: values of $n$ for meet in the middle.
        verify_sizes: values of $n$ for the verifier.
        dp_bits: bit lengths of the numbers for dynamic programming.
        dp_n: $n$ for dynamic programming.
        bits: bit length of the numbers for the other measurements.
        seed: seed of the instances.

    Returns:
        timings: a dict of `{"n" or "bits": (k,) array, "seconds": (k,) array}` under
            the keys `verify`, `exhaustive`, `meet-in-the-middle`, `dynamic-programming`,
            each with its `correct` flags (the certificate was accepted).

    Examples:
        >>> t = subset_sum_timings((4, 6), (4, 8), (4, 8), (6, 8), dp_n=6, bits=12)
        >>> sorted(t), bool(t["exhaustive"]["correct"].all())
        (['dynamic-programming', 'exhaustive', 'meet-in-the-middle', 'verify'], True)
    """
    rng = np.random.default_rng(seed)
    result: dict[str, Any] = {}

    def measure(sizes: Sequence[int], method: str, n_and_bits: Callable[[int], tuple[int, int]]):
        seconds, correct = [], []
        for size in sizes:
            numbers, target, _ = random_instance(*n_and_bits(size), rng)
            seconds.append(_best_time(partial(solve_subset_sum, numbers, target, method)))
            found = solve_subset_sum(numbers, target, method)
            correct.append(found is not None and verify_subset_sum(numbers, target, found))
        return {"seconds": np.array(seconds), "correct": np.array(correct)}

    seconds, correct = [], []
    for n in verify_sizes:
        numbers, target, planted = random_instance(n, bits, rng)
        assert planted is not None
        seconds.append(_best_time(partial(verify_subset_sum, numbers, target, planted)))
        correct.append(verify_subset_sum(numbers, target, planted))
    result["verify"] = {
        "n": np.array(verify_sizes),
        "seconds": np.array(seconds),
        "correct": np.array(correct),
    }
    for method, sizes in (("exhaustive", exhaustive_sizes), ("meet-in-the-middle", middle_sizes)):
        result[method] = {"n": np.array(sizes), **measure(sizes, method, lambda n: (n, bits))}
    result["dynamic-programming"] = {
        "bits": np.array(dp_bits),
        "n": dp_n,
        **measure(dp_bits, "dynamic-programming", lambda b: (dp_n, b)),
    }
    return result
