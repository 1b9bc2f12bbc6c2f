r"""A disk cache for expensive build-time computations.

Chapters train models and run sweeps while the site builds. Those results go through
this cache so that a warm rebuild retrains nothing. An entry's key is a SHA-256 over

$$
\text{key} = H(\text{source},\ \text{function name},\ \text{arguments},\
\text{numpy and torch versions}),
$$

where *source* is the code of the function's module and of every `scribbles` module it
imports, transitively. An edit to that code, a different argument or an upgraded library
makes a new entry; an edit to an unrelated module does not, and neither does an edit
that leaves the code itself unchanged: the source is hashed as its syntax tree without
docstrings, comments, blank lines or positions, so that rewording a docstring (the API
reference's text) re-runs nothing. (Nothing in the package reads `__doc__` at run time.)
[`cache_key`][scribbles.book.cache.cache_key] lists the arguments a key accepts.

Entries are pickles written atomically (a `.tmp-*.pkl` file, then `os.replace`); a
temporary file that a killed writer left behind is removed by a later write to its
folder once it is 15 minutes old. Each entry records its key and the numpy and torch
versions, and is used only if they are the call's: anything else (an entry of another
call or of other versions, with a logged warning; one of an older format) is a miss,
recomputed and rewritten, like an entry that cannot be read (also warned about). A
cache directory that cannot be written is reported once (a logged warning) and results
are returned uncached. None of this fails a build.

**The cache directory must be trusted**: loading a pickle can run any code its writer
chose. Directories the cache creates are private (mode 0o700); a cache directory (or
folder in it) owned by another user (other than root), or writable by the group or by
others, is refused:
a warning is logged once and the cache is bypassed (nothing read or written there).
Namespaces and keys are single file names, so no entry lies outside the directory.

Environment variables:

- `SCRIBBLES_CACHE_DIR`: where entries live. Default `$XDG_CACHE_HOME/scribbles`,
  else `~/.cache/scribbles`.
- `SCRIBBLES_NO_CACHE=1`: bypass the cache (always compute, never read or write).

Every call is also recorded in [`CALL_LOG`][scribbles.book.cache.CALL_LOG] (name, hit or miss,
seconds), which the benchmark uses to report what each chapter costs.

The site's build also keeps the *printed output of executed blocks* here (see
`hooks/scribbles_hooks.py`), keyed on the block's code, the code before it in its
session and [`code_fingerprint`][scribbles.book.cache.code_fingerprint] of the `scribbles`
modules that code imports; [`read_entry`][scribbles.book.cache.read_entry] and
[`write_entry`][scribbles.book.cache.write_entry] are the storage it uses. A warm build
then executes no block at all.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import logging
import os
import pickle
import re
import reprlib
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import numpy as np

__all__ = [
    "CALL_LOG",
    "CacheRecord",
    "cache_dir",
    "cache_enabled",
    "cache_key",
    "cached",
    "code_digest",
    "code_fingerprint",
    "module_closure",
    "read_entry",
    "source_fingerprint",
    "write_entry",
]

logger = logging.getLogger("scribbles.book.cache")

P = ParamSpec("P")
R = TypeVar("R")

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # src/scribbles


@dataclass(frozen=True)
class CacheRecord:
    """One call that went through the cache.

    Attributes:
        name: qualified name of the cached function.
        hit: whether the value came from disk.
        seconds: wall time of the call, including loading or computing.
    """

    name: str
    hit: bool
    seconds: float


CALL_LOG: list[CacheRecord] = []
"""Every cached call made in this process, in order."""


def cache_dir() -> Path:
    """Return the directory that holds cache entries (it may not exist yet).

    Returns:
        path: `$SCRIBBLES_CACHE_DIR`, else `$XDG_CACHE_HOME/scribbles`, else
            `~/.cache/scribbles`.

    Examples:
        >>> import os
        >>> os.environ["SCRIBBLES_CACHE_DIR"] = "/tmp/scribbles-doctest-cache"
        >>> str(cache_dir())
        '/tmp/scribbles-doctest-cache'
        >>> del os.environ["SCRIBBLES_CACHE_DIR"]
    """
    explicit = os.environ.get("SCRIBBLES_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "scribbles"


def cache_enabled() -> bool:
    """Return False when `SCRIBBLES_NO_CACHE` is set to a true value.

    Examples:
        >>> import os
        >>> os.environ["SCRIBBLES_NO_CACHE"] = "1"
        >>> cache_enabled()
        False
        >>> del os.environ["SCRIBBLES_NO_CACHE"]
        >>> cache_enabled()
        True
    """
    return os.environ.get("SCRIBBLES_NO_CACHE", "").strip().lower() not in {"1", "true", "yes"}


def _module_path(name: str) -> Path | None:
    """Return the source file of a `scribbles` module name, or None if it has none."""
    if name != "scribbles" and not name.startswith("scribbles."):
        return None
    parts = name.split(".")[1:]
    candidate = _PACKAGE_ROOT.joinpath(*parts)
    if candidate.with_suffix(".py").is_file():
        return candidate.with_suffix(".py")
    if (candidate / "__init__.py").is_file():
        return candidate / "__init__.py"
    return None


def _imported_scribbles_modules(name: str, path: Path) -> set[str]:
    """Names of the `scribbles` modules that the module `name` imports (one level)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return _scribbles_imports(path.read_text(encoding="utf-8"), package)


def _scribbles_imports(source: str, package: str) -> set[str]:
    """Names under `scribbles` that `source` imports (relative imports from `package`)."""
    tree = ast.parse(source)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {m for m in found if m == "scribbles" or m.startswith("scribbles.")}


def source_fingerprint(module: str) -> str:
    r"""Hash the code of a `scribbles` module and of every `scribbles` module it imports.

    Imports are followed transitively (read from the source with `ast`, nothing is
    executed), so editing `scribbles/trees.py` invalidates the cached results of the
    functions that depend on it and no others. What is hashed is each module's syntax
    tree without docstrings and positions (see [`code_digest`][scribbles.book.cache.code_digest]):
    editing a docstring or a comment, or reformatting, changes nothing.

    Args:
        module: a module name inside the package, e.g. `"scribbles.deep.attention"`.

    Returns:
        digest: SHA-256 hex digest, 64 characters.

    Raises:
        ValueError: if `module` is not a module of the `scribbles` package.

    Examples:
        >>> len(source_fingerprint("scribbles.book.cache"))
        64
        >>> source_fingerprint("numpy")
        Traceback (most recent call last):
        ...
        ValueError: module must be a module of the scribbles package, got 'numpy'
    """
    if _module_path(module) is None:
        raise ValueError(f"module must be a module of the scribbles package, got {module!r}")
    imports = lambda name, path: _parsed_imports(name, path, _stamp(path))  # noqa: E731
    digest = hashlib.sha256()
    for name in sorted(module_closure([module], imports)):
        path = _module_path(name)
        assert path is not None
        digest.update(name.encode() + b"\0" + _code_digest_of_file(path, _stamp(path)) + b"\0")
    return digest.hexdigest()


def module_closure(names: Iterable[str], imports: Callable[[str, Path], Iterable[str]]) -> set[str]:
    """The `scribbles` modules among `names` and every one they import, transitively.

    `imports(name, path)` gives the `scribbles` names the module `name` (source file
    `path`) imports; names that are not modules of the package are dropped.

    Args:
        names: module names to start from, e.g. `["scribbles.learning.knn"]`.
        imports: `(name, path) -> names` of the `scribbles` modules a module imports.

    Returns:
        modules: the module names reached, `names`' own modules included.

    Examples:
        >>> sorted(module_closure(["scribbles.book.tables", "numpy"], lambda name, path: []))
        ['scribbles.book.tables']
    """
    pending, seen = list(names), set()
    while pending:
        current = pending.pop()
        path = _module_path(current)
        if current in seen or path is None:
            continue
        seen.add(current)
        pending.extend(imports(current, path))
    return seen


def _stamp(path: Path) -> tuple[int, int]:
    """A file's modification time and size: the memo below re-reads it when they change."""
    status = path.stat()
    return status.st_mtime_ns, status.st_size


@functools.lru_cache(maxsize=4096)
def _parsed_imports(name: str, path: Path, stamp: tuple[int, int]) -> frozenset[str]:
    return frozenset(_imported_scribbles_modules(name, path))


@functools.lru_cache(maxsize=4096)
def _code_digest_of_file(path: Path, stamp: tuple[int, int]) -> bytes:
    return bytes.fromhex(code_digest(path.read_text(encoding="utf-8")))


_DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def code_digest(source: str) -> str:
    r"""Hash what Python source *does*: its syntax tree without docstrings or positions.

    Comments, blank lines, formatting and docstrings (the first string statement of a
    module, class or function) do not count; every other change does.

    Args:
        source: Python source code.

    Returns:
        digest: SHA-256 hex digest, 64 characters.

    Raises:
        SyntaxError: if `source` is not valid Python.

    Examples:
        >>> plain = code_digest("def f(x):\n    return x + 1\n")
        >>> plain == code_digest('def f(x):\n    "Add one."\n    return x + 1  # why\n')
        True
        >>> plain == code_digest("def f(x):\n    return x + 2\n")
        False
    """
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, _DOCUMENTED) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                node.body = node.body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()


def code_fingerprint(code: str) -> str:
    r"""Hash the source of every `scribbles` module that a piece of code imports.

    Like [`source_fingerprint`][scribbles.book.cache.source_fingerprint], transitively, for
    code that is not a module of the package (an executed block of a chapter).

    Args:
        code: Python source.

    Returns:
        digest: SHA-256 hex digest, 64 characters; the same for code that imports no
            `scribbles` module at all.

    Raises:
        SyntaxError: if `code` is not valid Python.

    Examples:
        >>> a = code_fingerprint("from scribbles.book.tables import markdown_table")
        >>> a == code_fingerprint("import scribbles.book.tables\nprint(1)")
        True
        >>> a == code_fingerprint("from scribbles.book.cache import cached")
        False
    """
    modules = sorted(m for m in _scribbles_imports(code, "") if _module_path(m) is not None)
    digest = hashlib.sha256()
    for module in modules:
        digest.update(module.encode() + b"\0" + source_fingerprint(module).encode() + b"\0")
    return digest.hexdigest()


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")
"""A namespace or key: one file name, that cannot be `.`, `..`, hidden or a path."""

_ENTRY_FORMAT = "scribbles.book.cache/2"
"""Written at the head of every entry; an entry in another format is a miss."""

_TEMPORARY_PREFIX = ".tmp-"
"""Entries are written to `.tmp-*.pkl` next to them, then renamed into place."""

_STALE_SECONDS = 15 * 60
"""A temporary file not modified for this long belongs to a writer that died: removed."""

_WARNED: set[tuple[str, str]] = set()
"""(kind of problem, directory) already reported in this process: each is logged once."""

_SWEPT: dict[str, float] = {}
"""Folder -> when (`time.monotonic`) this process last removed its stale temporary files."""


def _check_name(value: Any, argument: str) -> str:
    """Return `value` if it is a valid namespace or key, else raise naming `argument`."""
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a str, got {type(value).__name__}")
    if not _NAME.fullmatch(value):
        raise ValueError(
            f"{argument} must be one file name of letters, digits, '_', '.' and '-' that does "
            f"not start with '.' (at most 200 characters), got {value!r}"
        )
    return value


def _warn_once(kind: str, directory: Path, message: str, *args: Any) -> None:
    """Log a warning about `directory`, unless this kind was already logged for it."""
    if (kind, str(directory)) not in _WARNED:
        _WARNED.add((kind, str(directory)))
        logger.warning(message, *args)


def _trusted(directory: Path) -> bool:
    """Whether entries may be read from and written to `directory` (warns once if not).

    Entries are pickles, and loading a pickle runs code of the writer's choosing: the
    directory must belong to this user (or to root) and be writable by no one else. A
    missing directory is fine (it will be created private); on a system without POSIX
    owners (Windows) nothing is checked.
    """
    if not hasattr(os, "geteuid"):
        return True
    try:
        status = directory.stat()
    except OSError:  # missing, or below a regular file: nothing to load, writes warn
        return True
    if status.st_uid not in (os.geteuid(), 0):
        problem = (
            f"owned by another user (uid {status.st_uid}, this process runs as {os.geteuid()})"
        )
    elif status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        problem = f"writable by other users (mode {stat.filemode(status.st_mode)})"
    else:
        return True
    _warn_once(
        "untrusted",
        directory,
        "cache directory %s is %s; its entries are pickles that could run anyone's code, so "
        "the cache is bypassed (nothing is read or written there). Use a directory of your "
        "own, e.g. `chmod go-w %s`, or set SCRIBBLES_CACHE_DIR",
        directory,
        problem,
        directory,
    )
    return False


@functools.cache
def _library_versions() -> tuple[tuple[str, str | None], ...]:
    """The numpy and torch versions (torch's read from its metadata: nothing imported)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        torch_version: str | None = version("torch")
    except PackageNotFoundError:
        torch_version = None
    return (("numpy", np.__version__), ("torch", torch_version))


def read_entry(namespace: str, key: str) -> tuple[bool, Any]:
    r"""Read an entry stored by [`write_entry`][scribbles.book.cache.write_entry].

    The entry is returned only if it was written for this very namespace and key with
    the same numpy and torch versions; any other file is a miss.

    Args:
        namespace: a folder name inside the cache directory, e.g. `"blocks"`.
        key: the entry's key (a hex digest).

    Returns:
        found: False when the entry is missing, unreadable or not this key's (then with a
            logged warning), when the cache is disabled, or when the directory is not
            private to this user (warned once; see the module docstring).
        value: the stored value, or None.

    Raises:
        ValueError: if `namespace` or `key` is not one plain file name (letters, digits,
            `_`, `.`, `-`, not starting with `.`): an entry never lies outside the cache
            directory.
        TypeError: if either is not a str.

    Examples:
        >>> import os, tempfile
        >>> os.environ["SCRIBBLES_CACHE_DIR"] = tempfile.mkdtemp()
        >>> read_entry("blocks", "abc")
        (False, None)
        >>> write_entry("blocks", "abc", "<p>output</p>")
        >>> read_entry("blocks", "abc")
        (True, '<p>output</p>')
        >>> read_entry("blocks", "../abc")
        Traceback (most recent call last):
        ...
        ValueError: key must be one file name of letters, digits, '_', '.' and '-' that does not
        start with '.' (at most 200 characters), got '../abc'
        >>> del os.environ["SCRIBBLES_CACHE_DIR"]
    """
    _check_name(namespace, "namespace")
    _check_name(key, "key")
    if not cache_enabled():
        return False, None
    root = cache_dir()
    if not (_trusted(root) and _trusted(root / namespace)):
        return False, None
    return _load(root / namespace, namespace, key)


def write_entry(namespace: str, key: str, value: Any) -> None:
    r"""Store a value atomically under `namespace/key` (nothing when the cache is disabled).

    A directory that cannot be written is reported once (a logged warning) and the value
    is simply not stored; so is one that is not private to this user.

    Args:
        namespace: a folder name inside the cache directory.
        key: the entry's key (a hex digest).
        value: any picklable value.

    Raises:
        ValueError: if `namespace` or `key` is not one plain file name.
        TypeError: if either is not a str.

    Examples:
        >>> import os, tempfile
        >>> os.environ["SCRIBBLES_CACHE_DIR"] = tempfile.mkdtemp()
        >>> write_entry("blocks", "k1", [1, 2])
        >>> read_entry("blocks", "k1")
        (True, [1, 2])
        >>> write_entry("..", "k1", [1, 2])
        Traceback (most recent call last):
        ...
        ValueError: namespace must be one file name of letters, digits, '_', '.' and '-' that
        does not start with '.' (at most 200 characters), got '..'
        >>> del os.environ["SCRIBBLES_CACHE_DIR"]
    """
    _check_name(namespace, "namespace")
    _check_name(key, "key")
    if not cache_enabled():
        return
    root = cache_dir()
    if _trusted(root) and _trusted(root / namespace):
        _store(root, namespace, key, value)


_ACCEPTED = (
    "expected numbers, strings, bytes, None, numpy arrays, numpy scalars or dtypes, torch "
    "tensors, dtypes or devices, or lists/tuples/dicts of them"
)


def _dtype_text(dtype: np.dtype) -> str:
    """A numpy dtype as text; a structured one with its field names and types."""
    return dtype.str if dtype.names is None else str(dtype.descr)


def _refuse(value: Any, where: str, function: str, why: str = "") -> TypeError:
    return TypeError(
        f"cannot use an argument of type {type(value).__name__!r} in a cache key: {where} "
        f"of {function} is {reprlib.repr(value)}{why}; {_ACCEPTED}"
    )


def _canonical(value: Any, where: str = "the argument", function: str = "the call") -> Any:
    """Turn an argument into a picklable, order-stable structure for hashing.

    `where` (e.g. "argument 'weights'[2]") and `function` only name the value in errors.
    """
    # numpy scalars first: np.float64 is a float and np.str_ a str, but they are keyed
    # with their dtype, apart from the Python value.
    if isinstance(value, np.generic):
        if value.dtype.hasobject:
            raise _refuse(value, where, function, " (a structured scalar holding objects)")
        return ("numpy scalar", _dtype_text(value.dtype), value.tobytes())
    if isinstance(value, np.ndarray):
        return _canonical_array(value, where, function)
    if isinstance(value, np.dtype):
        return ("numpy dtype", _dtype_text(value))
    if isinstance(value, dict):
        return (
            "dict",
            tuple(
                (repr(k), _canonical(v, f"{where}[{k!r}]", function))
                for k, v in sorted(value.items(), key=lambda item: repr(item[0]))
            ),
        )
    if isinstance(value, list | tuple):
        return (
            type(value).__name__,
            tuple(_canonical(v, f"{where}[{i}]", function) for i, v in enumerate(value)),
        )
    if isinstance(value, bool | int | float | complex | str | bytes | type(None)):
        return value
    torch = sys.modules.get("torch")  # a torch object exists only once torch is imported
    if torch is not None:
        if isinstance(value, torch.Tensor):
            return _canonical_tensor(value, where, function, torch)
        if isinstance(value, torch.dtype):
            return ("torch dtype", str(value))
        if isinstance(value, torch.device):
            return ("torch device", str(value))
    raise _refuse(value, where, function)


def _canonical_array(value: np.ndarray, where: str, function: str) -> Any:
    """An ndarray's dtype, shape and bytes; an object array's elements, one by one."""
    if isinstance(value, np.ma.MaskedArray):
        return (
            "masked ndarray",
            _canonical_array(np.asarray(value.data), where, function),
            _canonical_array(np.ma.getmaskarray(value), where, function),
        )
    if value.dtype == object:
        # The bytes of an object array are addresses, different in every process: key
        # the elements themselves instead.
        return (
            "object ndarray",
            value.shape,
            tuple(
                _canonical(value[index], f"{where}[{', '.join(map(str, index))}]", function)
                for index in np.ndindex(value.shape)
            ),
        )
    if value.dtype.hasobject:
        raise _refuse(value, where, function, " (a structured array holding objects)")
    return ("ndarray", _dtype_text(value.dtype), value.shape, value.tobytes())


_SAME_SIZE_INTEGER = {1: "uint8", 2: "int16", 4: "int32", 8: "int64"}


def _canonical_tensor(value: Any, where: str, function: str, torch: Any) -> Any:
    """A dense tensor's dtype, shape and exact bytes (bfloat16 and float8 included)."""
    if value.layout != torch.strided or value.is_quantized or value.is_meta:
        raise _refuse(value, where, function, " (only dense tensors with data can be keyed)")
    tensor = value.detach().cpu().resolve_conj().resolve_neg().contiguous()
    try:
        array = tensor.numpy()
    except TypeError:  # a dtype numpy lacks (bfloat16, float8, complex32): same bits as ints
        integer = _SAME_SIZE_INTEGER.get(tensor.element_size())
        if integer is None:
            raise _refuse(value, where, function, f" (dtype {tensor.dtype})") from None
        array = tensor.view(getattr(torch, integer)).numpy()
    return ("tensor", str(tensor.dtype), tuple(tensor.shape), array.tobytes())


def cache_key(
    module: str,
    name: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    parameters: Sequence[str] = (),
) -> str:
    r"""Return the cache key of a call.

    Numbers, strings, bytes, None, numpy arrays, numpy scalars and dtypes, torch tensors
    (any dtype, bfloat16 included), dtypes and devices, and lists, tuples and dicts of
    them can be arguments. An array or tensor is keyed by its dtype, shape and bytes; an
    object array by its elements (so its key is the same in every process). A numpy
    scalar is keyed with its dtype: `np.float32(0.5)`, `np.float64(0.5)` and `0.5` are
    three keys, `np.int64(1)` and `1` two, since a function can return different results
    for them (float32 rounding, numpy rather than Python numbers in its output).

    Args:
        module: the `scribbles` module that defines the function.
        name: qualified name of the function.
        args: positional arguments.
        kwargs: keyword arguments.
        parameters: names of the function's positional parameters, used only to name an
            argument in an error.

    Returns:
        key: SHA-256 hex digest over the module's source (with what it imports), the
            name, the arguments and the numpy and torch versions.

    Raises:
        TypeError: if an argument is of a type that has no stable hash (the message
            names the argument).

    Examples:
        >>> m = "scribbles.book.cache"
        >>> cache_key(m, "f", (1, 2.0), {"k": "v"}) == cache_key(m, "f", (1, 2.0), {"k": "v"})
        True
        >>> cache_key(m, "f", (1,), {}) == cache_key(m, "f", (2,), {})
        False
        >>> cache_key(m, "f", (np.float32(0.5),), {}) == cache_key(m, "f", (0.5,), {})
        False
        >>> cache_key(m, "f", (1, {2}), {}, parameters=["size", "seen"])
        Traceback (most recent call last):
        ...
        TypeError: cannot use an argument of type 'set' in a cache key: argument 'seen' of f is
        {2}; expected numbers, ...
    """

    def label(index: int) -> str:
        return f"argument {parameters[index]!r}" if index < len(parameters) else f"args[{index}]"

    payload = (
        _ENTRY_FORMAT,
        source_fingerprint(module),
        name,
        tuple(_canonical(value, label(i), name) for i, value in enumerate(args)),
        tuple(
            (key, _canonical(value, f"argument {key!r}", name))
            for key, value in sorted(kwargs.items())
        ),
        _library_versions(),
    )
    return hashlib.sha256(pickle.dumps(payload, protocol=4)).hexdigest()


def _header(namespace: str | None, key: str) -> dict[str, Any]:
    """What an entry records about itself, checked when it is loaded."""
    return {
        "format": _ENTRY_FORMAT,
        "namespace": namespace,
        "key": key,
        "versions": _library_versions(),
    }


def _load(folder: Path, namespace: str | None, key: str) -> tuple[bool, Any]:
    """Read `folder/key.pkl`: (False, None) when missing, broken (warned) or another call's."""
    path = folder / f"{key}.pkl"
    try:
        handle = path.open("rb")
    except (FileNotFoundError, NotADirectoryError):
        return False, None
    except OSError as error:
        logger.warning("cache entry %s is unreadable (%s); recomputing it", path, error)
        return False, None
    with handle:
        try:
            header = pickle.load(handle)
            expected = _header(namespace, key)
            if not isinstance(header, dict) or header.get("format") != _ENTRY_FORMAT:
                logger.info("cache entry %s is in an older format; recomputing it", path.name)
                return False, None
            if header != expected:
                logger.warning(
                    "cache entry %s does not belong to this call (it records %s, expected %s); "
                    "recomputing it",
                    path.name,
                    {k: v for k, v in header.items() if expected.get(k) != v},
                    {k: v for k, v in expected.items() if header.get(k) != v},
                )
                return False, None
            return True, pickle.load(handle)
        except Exception as error:  # a truncated or foreign file must never fail the build
            logger.warning("cache entry %s is unreadable (%s); recomputing it", path.name, error)
            return False, None


def _remove_stale_temporaries(folder: Path) -> None:
    """Delete temporary files that writers killed mid-write left behind in `folder`.

    A file counts as abandoned once it has not been modified for `_STALE_SECONDS` (a live
    writer keeps touching its own); a process looks at a folder at most that often.
    """
    now = time.monotonic()
    last = _SWEPT.get(str(folder))
    if last is not None and now - last < _STALE_SECONDS:
        return
    _SWEPT[str(folder)] = now
    cutoff = time.time() - _STALE_SECONDS
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if not (entry.name.startswith(_TEMPORARY_PREFIX) and entry.name.endswith(".pkl")):
                    continue
                try:
                    if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)
                except FileNotFoundError:  # renamed into place or removed meanwhile
                    continue
    except OSError as error:  # cleaning up must never fail a write
        logger.debug("could not clean temporary files in %s (%s)", folder, error)


def _store(root: Path, namespace: str | None, key: str, value: Any) -> bool:
    """Write an entry atomically (temporary file, then rename); False if it cannot be.

    Directories created here are private to this user (mode 0o700). A directory that
    cannot be written is reported once and the value is not stored; a value that cannot
    be pickled raises (that is a bug in the cached function).
    """
    folder = root if namespace is None else root / namespace
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        root.mkdir(mode=0o700, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        _remove_stale_temporaries(folder)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=_TEMPORARY_PREFIX, suffix=".pkl")
    except OSError as error:
        _unwritable(folder, error)
        return False
    try:
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(_header(namespace, key), stream, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, folder / f"{key}.pkl")
    except OSError as error:  # e.g. the disk is full
        Path(temporary).unlink(missing_ok=True)
        _unwritable(folder, error)
        return False
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def _unwritable(folder: Path, error: OSError) -> None:
    _warn_once(
        "unwritable",
        folder,
        "cannot write to the cache directory %s (%s); results are computed but not cached",
        folder,
        error,
    )


def cached(function: Callable[P, R]) -> Callable[P, R]:
    r"""Decorate a pure, expensive function so that its results persist on disk.

    The function must be deterministic given its arguments (seed inside it) and its
    result must be picklable (numpy arrays, numbers, dicts, `state_dict`s...). When the
    cache directory cannot be written, or is not private to this user, the result is
    returned uncached, with a warning logged once.

    Args:
        function: the function to wrap.

    Returns:
        wrapped: a function with the same signature that reads from and writes to
            [`cache_dir()`][scribbles.book.cache.cache_dir].

    Raises:
        ValueError: if `function` is not defined in a module of the `scribbles` package.

    Examples:
        >>> import os, tempfile
        >>> os.environ["SCRIBBLES_CACHE_DIR"] = tempfile.mkdtemp()
        >>> calls = []
        >>> @cached
        ... def square(x: int) -> int:
        ...     calls.append(x)
        ...     return x * x
        >>> square(3), square(3), square(np.int64(3)), calls
        (9, 9, np.int64(9), [3, np.int64(3)])
        >>> del os.environ["SCRIBBLES_CACHE_DIR"]
    """
    module = function.__module__
    if _module_path(module) is None:
        raise ValueError(
            f"@cached only wraps functions defined in the scribbles package (their source is "
            f"part of the key); {function.__qualname__!r} is defined in {module!r}"
        )
    name = f"{module}.{function.__qualname__}"
    parameters = _positional_parameters(function)

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        start = time.perf_counter()
        found = False
        if not cache_enabled():
            value = function(*args, **kwargs)
        else:
            key = cache_key(module, name, args, kwargs, parameters=parameters)
            root = cache_dir()
            if _trusted(root):
                found, value = _load(root, None, key)
                if not found:
                    value = function(*args, **kwargs)
                    _store(root, None, key, value)
            else:
                value = function(*args, **kwargs)
        CALL_LOG.append(CacheRecord(name, found, time.perf_counter() - start))
        return value

    return wrapper


def _positional_parameters(function: Callable[..., Any]) -> tuple[str, ...]:
    """Names of the parameters a positional argument can fill, in order."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return ()
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return tuple(p.name for p in signature.parameters.values() if p.kind in positional)
