"""scribbles.book.cache: hits, invalidation, keys of every argument type, failures, safety."""

from __future__ import annotations

import logging
import os
import pickle
import stat
import subprocess
import sys
import textwrap
import time
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
    with entry.open("rb") as handle:  # rewritten whole: a header, then the value
        header, stored = pickle.load(handle), pickle.load(handle)
    assert stored["size"] == 6 and header["format"] == cache._ENTRY_FORMAT
    train(6)
    assert calls == [6, 6]


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


# --- keys of numpy scalars, dtypes, tensors and object arrays ------------------------------


def make_echo(module: str = "scribbles.model"):
    """A cached function of any arguments that records every computation."""
    calls: list[tuple] = []

    def echo(*args, **kwargs) -> int:
        calls.append((args, kwargs))
        return len(calls)

    echo.__module__ = module
    echo.__qualname__ = "echo"
    return cache.cached(echo), calls


def test_numpy_scalars_are_keyed_with_their_dtype(fake_package):
    echo, calls = make_echo()
    values = [np.int64(1), 1, np.int32(1), np.float32(0.5), np.float64(0.5), 0.5]
    values += [np.bool_(True), True, np.str_("a"), "a"]
    for value in values:
        echo(value)
    for value in values:  # all hits
        echo(value)
    assert len(calls) == len(values)
    assert [record.hit for record in cache.CALL_LOG[-len(values) :]] == [True] * len(values)


def test_torch_dtypes_and_devices_are_keys(fake_package):
    torch = pytest.importorskip("torch")
    echo, calls = make_echo()
    echo(torch.float64)
    echo(torch.float32)
    echo(dtype=torch.float64)
    echo(torch.float64)
    echo(torch.device("cpu"))
    echo(torch.device("cpu"))
    assert len(calls) == 4


def test_bfloat16_tensors_are_keyed_by_their_exact_bits(fake_package):
    torch = pytest.importorskip("torch")
    echo, calls = make_echo()
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.bfloat16)
    nudged = x.clone()
    nudged.view(torch.int16)[2] += 1  # the next bfloat16 after 3.0
    echo(x)
    echo(x.clone())  # the same values: a hit
    echo(nudged)
    echo(x.view(torch.int16))  # the same bits as int16: another key
    echo(x.reshape(3, 1))
    echo(torch.tensor(1.5, dtype=torch.bfloat16))
    echo(torch.tensor(1.5, dtype=torch.bfloat16, requires_grad=True))
    assert len(calls) == 5


def _key_in_a_fresh_process(code: str, hash_seed: str) -> str:
    source_root = Path(cache.__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(source_root), "PYTHONHASHSEED": hash_seed}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_object_arrays_have_the_same_key_in_every_process():
    code = textwrap.dedent(
        """
        import numpy as np
        from scribbles.book.cache import cache_key

        values = np.empty(5, dtype=object)
        values[:] = [1, "a", None, (2, "b"), {"k": [1.5, "z"], "j": None}]
        print(cache_key("scribbles.book.cache", "f", (values,), {"also": values[::-1]}))
        """
    )
    keys = {_key_in_a_fresh_process(code, seed) for seed in ("1", "2", "3")}
    assert len(keys) == 1
    here = {}
    exec(code.replace("print(", "here['key'] = ("), {"here": here})
    assert keys == {here["key"]}
    other = np.empty(5, dtype=object)
    other[:] = [1, "a", None, (2, "b"), {"k": [1.5, "y"], "j": None}]
    assert cache.cache_key("scribbles.book.cache", "f", (other,), {}) not in keys


def test_object_array_of_unkeyable_elements_names_the_argument(fake_package):
    train, calls = make_counted()
    weights = np.empty(2, dtype=object)
    weights[:] = [1.0, object()]
    with pytest.raises(TypeError, match=r"type 'object' in a cache key: argument 'weights'\[1\]"):
        train(4, weights=weights)
    assert calls == []


def test_type_errors_name_the_argument_and_the_function(fake_package):
    train, _ = make_counted()
    with pytest.raises(TypeError, match=r"argument 'size' of scribbles\.model\.train is \{3\}"):
        train({3})
    with pytest.raises(TypeError, match=r"argument 'weights'\['w'\]\[0\] of scribbles\.model"):
        train(3, weights={"w": [frozenset()]})


# --- failures never fail the call: unwritable directory --------------------------------


def test_cache_below_a_regular_file_returns_the_value_and_warns_once(
    fake_package, tmp_path, monkeypatch, caplog
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("SCRIBBLES_CACHE_DIR", str(blocker / "cache"))
    train, calls = make_counted()
    with caplog.at_level(logging.WARNING, logger="scribbles.book.cache"):
        assert train(3)["size"] == 3
        assert train(3)["size"] == 3
        cache.write_entry("blocks", "k", 1)
    assert calls == [3, 3]
    warnings = [r.getMessage() for r in caplog.records if "cannot write" in r.getMessage()]
    assert len(warnings) == 2  # once for the root, once for its folder "blocks"
    assert "not cached" in warnings[0] and str(blocker) in warnings[0]
    assert blocker.read_text() == "not a directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permissions")
def test_read_only_cache_directory_returns_the_value(fake_package, caplog):
    root = Path(cache.cache_dir())
    root.mkdir(mode=0o500)
    try:
        train, calls = make_counted()
        with caplog.at_level(logging.WARNING, logger="scribbles.book.cache"):
            assert train(3)["size"] == 3
        assert calls == [3] and "cannot write" in caplog.text
    finally:
        root.chmod(0o700)


# --- names cannot leave the cache directory ---------------------------------------------


@pytest.mark.parametrize("bad", ["../x", "..", ".", "a/b", "/etc/x", "", ".hidden", "a\0b"])
def test_namespace_and_key_must_be_plain_names(fake_package, tmp_path, bad):
    root = Path(cache.cache_dir())
    for call in (
        lambda: cache.write_entry(bad, "key", 1),
        lambda: cache.write_entry("blocks", bad, 1),
        lambda: cache.read_entry(bad, "key"),
        lambda: cache.read_entry("blocks", bad),
    ):
        with pytest.raises(ValueError, match=r"(namespace|key) must be one file name .* got "):
            call()
    assert not root.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scribbles"]  # nothing escaped


def test_namespace_and_key_must_be_strings(fake_package):
    with pytest.raises(TypeError, match="key must be a str, got int"):
        cache.write_entry("blocks", 3, 1)
    with pytest.raises(TypeError, match="namespace must be a str, got PosixPath"):
        cache.read_entry(Path("blocks"), "k")


# --- temporary files of killed writers are cleaned up -----------------------------------


def test_a_killed_writer_leaves_a_temporary_file_that_a_later_write_removes(fake_package):
    code = textwrap.dedent(
        """
        import os
        from scribbles.book.cache import write_entry

        class DiesWhilePickled:
            def __reduce__(self):
                os._exit(3)  # the writer is killed halfway through the entry

        write_entry("blocks", "big", ["x" * 100_000, DiesWhilePickled()])
        """
    )
    source_root = Path(cache.__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 3
    folder = Path(cache.cache_dir()) / "blocks"
    (orphan,) = folder.iterdir()
    assert orphan.name.startswith(".tmp-") and orphan.suffix == ".pkl"
    live = folder / ".tmp-another-writer.pkl"  # a concurrent writer, still busy
    live.write_bytes(b"")
    cache.write_entry("blocks", "small", 1)
    assert orphan.exists()  # not yet stale: it may belong to a live writer
    old = time.time() - 2 * cache._STALE_SECONDS
    os.utime(orphan, (old, old))
    cache._SWEPT.clear()
    cache.write_entry("blocks", "small", 2)
    assert not orphan.exists() and live.exists()
    assert cache.read_entry("blocks", "small") == (True, 2)
    assert cache.read_entry("blocks", "big") == (False, None)


# --- an entry is used only for its own call ---------------------------------------------


def test_an_entry_under_the_wrong_name_is_a_miss_and_is_rewritten(fake_package, caplog):
    train, calls = make_counted()
    train(3)
    train(4)
    first, second = sorted(Path(cache.cache_dir()).glob("*.pkl"), key=os.path.getmtime)
    second.write_bytes(first.read_bytes())  # train(4)'s file now holds train(3)'s entry
    with caplog.at_level(logging.WARNING, logger="scribbles.book.cache"):
        assert train(4)["size"] == 4
    assert calls == [3, 4, 4] and "does not belong to this call" in caplog.text
    assert train(4)["size"] == 4 and calls == [3, 4, 4]  # rewritten: a hit again


def test_an_entry_of_other_library_versions_is_a_miss(fake_package, monkeypatch, caplog):
    cache.write_entry("blocks", "k", "output")
    monkeypatch.setattr(cache, "_library_versions", lambda: (("numpy", "0.1"), ("torch", None)))
    with caplog.at_level(logging.WARNING, logger="scribbles.book.cache"):
        assert cache.read_entry("blocks", "k") == (False, None)
    assert "does not belong to this call" in caplog.text and "0.1" in caplog.text


def test_an_entry_in_the_old_format_is_a_miss(fake_package):
    folder = Path(cache.cache_dir()) / "blocks"
    folder.mkdir(parents=True, mode=0o700)
    (folder / "k.pkl").write_bytes(pickle.dumps("old output"))
    assert cache.read_entry("blocks", "k") == (False, None)


# --- the cache directory must be trusted -------------------------------------------------


def test_directories_are_created_private(fake_package):
    cache.write_entry("blocks", "k", 1)
    root = Path(cache.cache_dir())
    assert stat.S_IMODE(root.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE((root / "blocks").stat().st_mode) & 0o077 == 0


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777], ids=oct)
def test_a_directory_others_can_write_is_bypassed_with_one_warning(fake_package, caplog, mode):
    train, calls = make_counted()
    train(3)
    root = Path(cache.cache_dir())
    (entry,) = root.glob("*.pkl")
    root.chmod(mode)
    try:
        with caplog.at_level(logging.WARNING, logger="scribbles.book.cache"):
            train(3)
            train(5)
        assert calls == [3, 3, 5]  # the entry is not loaded, nothing new is written
        assert list(root.glob("*.pkl")) == [entry]
        warnings = [r.getMessage() for r in caplog.records if "bypassed" in r.getMessage()]
        assert len(warnings) == 1 and "writable by other users" in warnings[0]
    finally:
        root.chmod(0o700)
    train(3)
    assert calls == [3, 3, 5]


def test_a_group_writable_namespace_folder_is_bypassed(fake_package, caplog):
    cache.write_entry("blocks", "k", "output")
    folder = Path(cache.cache_dir()) / "blocks"
    folder.chmod(0o770)
    with caplog.at_level(logging.WARNING, logger="scribbles.book.cache"):
        assert cache.read_entry("blocks", "k") == (False, None)
        cache.write_entry("blocks", "j", "output")
    assert not (folder / "j.pkl").exists() and "bypassed" in caplog.text
    folder.chmod(0o700)
    assert cache.read_entry("blocks", "k") == (True, "output")


def test_a_directory_of_another_user_is_bypassed(fake_package, monkeypatch, caplog):
    train, calls = make_counted()
    train(3)
    root = Path(cache.cache_dir())
    if os.geteuid() == 0:
        os.chown(root, 12345, -1)  # another user's (root's own directories are trusted)
    else:
        monkeypatch.setattr(os, "geteuid", lambda: root.stat().st_uid + 1)
    with caplog.at_level(logging.WARNING, logger="scribbles.book.cache"):
        train(3)
    assert calls == [3, 3] and "owned by another user" in caplog.text
