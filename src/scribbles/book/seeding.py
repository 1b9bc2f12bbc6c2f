r"""One call that seeds every random number generator a chapter uses.

Every executed block on the site starts with
[`seed_everything`][scribbles.book.seeding.seed_everything] (or receives a `numpy.random.Generator`
made from a fixed seed), so that two builds produce the same numbers, the same figures and
byte-identical pages.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

__all__ = ["seed_everything", "single_thread"]


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Python's, numpy's and torch's global generators and return a numpy Generator.

    Also makes torch use deterministic algorithms where it can, and one intra-op thread
    per build process is *not* forced here (that is a speed choice, left to the caller).

    Args:
        seed: a non-negative integer.

    Returns:
        rng: `numpy.random.default_rng(seed)`, for code that takes a generator.

    Raises:
        ValueError: if `seed` is negative.
        TypeError: if `seed` is not an integer.

    Examples:
        >>> a = seed_everything(7).normal(size=3)
        >>> b = seed_everything(7).normal(size=3)
        >>> bool((a == b).all())
        True
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    import torch

    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (code that still uses the legacy global generator)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    return np.random.default_rng(seed)


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one intra-op thread inside a `with` block, then restore the setting.

    The book's models are tiny: with several threads they train slower, not faster
    (synchronisation costs more than the work), and a busy machine makes it worse.

    Examples:
        >>> import torch
        >>> before = torch.get_num_threads()
        >>> with single_thread():
        ...     torch.get_num_threads()
        1
        >>> torch.get_num_threads() == before
        True
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
