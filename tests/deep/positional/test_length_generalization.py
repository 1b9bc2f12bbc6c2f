"""scribbles.deep.positional.length_generalization: every scheme trained, tested longer."""

from __future__ import annotations

import pytest

from scribbles.deep.positional.length_generalization import length_generalization_experiment


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCRIBBLES_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        return length_generalization_experiment(train_len=6, test_len=12, steps=30, seed=1)


def test_every_scheme_is_trained_and_tested_at_every_length(small_run):
    assert len(small_run) == 4  # none, sinusoidal, learned, rotary
    for scheme, result in small_run.items():
        assert isinstance(scheme, str) and isinstance(result, dict)


def test_the_experiment_is_deterministic(small_run, tmp_path, monkeypatch):
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")  # computed again, not read back
    again = length_generalization_experiment(train_len=6, test_len=12, steps=30, seed=1)
    assert repr(again) == repr(small_run)
