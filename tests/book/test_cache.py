"""scribbles.book.cache: hits, invalidation by source edits, corrupted entries, bypass."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import numpy as np
import pytest

import scribbles.book.cache as cache


@pytest.fixture
def fake_package(tmp_path, monkeypatch):
    """A throw-away package root: `scribbles.model` imports `scribbles.helpers`."""
    root = tmp_path / "scribbles"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "helpers.py").write_text("SCALE = 2\n")
    (root / "model.py").write_text("from scribbles.helpers import SCALE\n")
    (root / "unrelated.py").write_text("X = 1\n")
    monkeypatch.setattr(cache, "_PACKAGE_ROOT", root)
    monkeypatch.setenv("SCRIBBLES_CACHE_DIR", str(tmp_path / "entries"))
    monkeypatch.delenv("SCRIBBLES_NO_CACHE", raising=False)
    return root


def make_counted(module: str = "scribbles.model"):
    calls: list[int] = []

    def train(size: int, weights=None) -> dict:
        calls.append(size)
        return {"size": size, "values": np.arange(size, dtype=np.float64)}

    train.__module__ = module
    train.__qualname__ = "train"
    return cache.cached(train), calls


def test_second_call_is_a_hit(fake_package):
    train, calls = make_counted()
    first = train(4)
    second = train(4)
    assert calls == [4]
    np.testing.assert_array_equal(first["values"], second["values"])
    assert [record.hit for record in cache.CALL_LOG[-2:]] == [False, True]
    assert len(list(Path(cache.cache_dir()).glob("*.pkl"))) == 1


def test_arguments_are_part_of_the_key(fake_package):
    train, calls = make_counted()
    train(4)
    train(5)
    train(4, weights=np.ones(3))
    train(4, weights=np.ones(3))
    assert calls == [4, 5, 4]


def test_edit_to_an_imported_module_invalidates(fake_package):
    train, calls = make_counted()
    train(3)
    (fake_package / "helpers.py").write_text("SCALE = 3\n")
    train(3)
    assert calls == [3, 3]


def test_docstring_comment_and_layout_edits_keep_the_entry(fake_package):
    train, calls = make_counted()
    train(3)
    (fake_package / "helpers.py").write_text(
        '"""Helpers, now documented."""\n\n# the scale of everything\nSCALE  =  2\n'
    )
    train(3)
    assert calls == [3]
    (fake_package / "helpers.py").write_text('"""Helpers, now documented."""\nSCALE = 2.0\n')
    train(3)
    assert calls == [3, 3]  # 2 -> 2.0 is a change of code


def test_edit_to_an_unrelated_module_keeps_the_entry(fake_package):
    train, calls = make_counted()
    train(3)
    (fake_package / "unrelated.py").write_text("X = 2\n")
    train(3)
    assert calls == [3]


def test_truncated_entry_is_recomputed_with_a_warning(fake_package, caplog):
    train, calls = make_counted()
    train(6)
    (entry,) = Path(cache.cache_dir()).glob("*.pkl")
    entry.write_bytes(entry.read_bytes()[:10])
    with caplog.at_level(logging.WARNING, logger="scribbles.book.cache"):
        value = train(6)
    assert calls == [6, 6]
    assert value["size"] == 6
    assert "unreadable" in caplog.text
    assert pickle.loads(entry.read_bytes())["size"] == 6  # rewritten whole


def test_no_cache_variable_bypasses(fake_package, monkeypatch):
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    train, calls = make_counted()
    train(2)
    train(2)
    assert calls == [2, 2]
    assert not Path(cache.cache_dir()).exists()


def test_writes_leave_no_temporary_files(fake_package):
    train, _ = make_counted()
    for size in range(5):
        train(size)
    names = [path.name for path in Path(cache.cache_dir()).iterdir()]
    assert len(names) == 5 and not any(name.startswith(".tmp-") for name in names)


def test_default_location_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("SCRIBBLES_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "scribbles"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.cache_dir() == Path.home() / ".cache" / "scribbles"


def test_functions_outside_the_package_are_refused():
    def outside() -> int:
        return 1

    with pytest.raises(ValueError, match="only wraps functions defined in the scribbles package"):
        cache.cached(outside)


def test_unhashable_argument_is_a_clear_type_error(fake_package):
    train, _ = make_counted()
    with pytest.raises(TypeError, match="cannot use an argument of type 'object'"):
        train(object())


def test_fingerprint_follows_imports_of_the_real_package():
    # scribbles.deep.attention imports nothing from scribbles; scribbles.book.cache neither:
    # the two fingerprints differ (their sources differ) and each is stable.
    assert cache.source_fingerprint("scribbles.deep.attention") == cache.source_fingerprint(
        "scribbles.deep.attention"
    )
    assert cache.source_fingerprint("scribbles.deep.attention") != cache.source_fingerprint(
        "scribbles.book.cache"
    )
