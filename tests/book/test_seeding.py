"""scribbles.book.seeding: one seed makes Python, numpy and torch repeatable."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from scribbles.book.seeding import seed_everything


def draw():
    return random.random(), float(np.random.rand())  # noqa: NPY002 (the legacy generator is what is tested), float(torch.rand(1))


def test_same_seed_same_numbers_everywhere():
    seed_everything(3)
    first = draw()
    seed_everything(3)
    assert draw() == first
    seed_everything(4)
    assert draw() != first


def test_returns_an_independent_numpy_generator():
    a = seed_everything(5).integers(0, 1000, size=5)
    b = np.random.default_rng(5).integers(0, 1000, size=5)
    np.testing.assert_array_equal(a, b)


def test_bad_seeds():
    with pytest.raises(ValueError, match="seed must be >= 0, got -1"):
        seed_everything(-1)
    with pytest.raises(TypeError, match="seed must be an int, got float"):
        seed_everything(1.5)


def test_single_thread_restores_the_setting_even_on_error():
    from scribbles.book.seeding import single_thread

    before = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="inside"):
        with single_thread():
            assert torch.get_num_threads() == 1
            raise RuntimeError("inside")
    assert torch.get_num_threads() == before
