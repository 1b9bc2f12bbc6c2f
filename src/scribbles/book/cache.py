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
Entries are pickles written atomically (temporary file, then `os.replace`); an entry
that cannot be read is recomputed with a logged warning, never a failed build.

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
import logging
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Iterable
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


def read_entry(namespace: str, key: str) -> tuple[bool, Any]:
    r"""Read an entry stored by [`write_entry`][scribbles.book.cache.write_entry].

    Args:
        namespace: a folder name inside the cache directory, e.g. `"blocks"`.
        key: the entry's key (a hex digest).

    Returns:
        found: False when the entry is missing or unreadable (then with a logged
            warning), or when the cache is disabled.
        value: the stored value, or None.

    Examples:
        >>> import os, tempfile
        >>> os.environ["SCRIBBLES_CACHE_DIR"] = tempfile.mkdtemp()
        >>> read_entry("blocks", "abc")
        (False, None)
        >>> write_entry("blocks", "abc", "<p>output</p>")
        >>> read_entry("blocks", "abc")
        (True, '<p>output</p>')
        >>> del os.environ["SCRIBBLES_CACHE_DIR"]
    """
    if not cache_enabled():
        return False, None
    return _load(cache_dir() / namespace / f"{key}.pkl")


def write_entry(namespace: str, key: str, value: Any) -> None:
    r"""Store a value atomically under `namespace/key` (nothing when the cache is disabled).

    Args:
        namespace: a folder name inside the cache directory.
        key: the entry's key (a hex digest).
        value: any picklable value.
    """
    if cache_enabled():
        _store(cache_dir() / namespace / f"{key}.pkl", value)


def _canonical(value: Any) -> Any:
    """Turn an argument into a picklable, order-stable structure for hashing."""
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, dict):
        return ("dict", tuple((repr(k), _canonical(v)) for k, v in sorted(value.items(), key=repr)))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(_canonical(v) for v in value))
    if isinstance(value, bool | int | float | str | bytes | type(None)):
        return value
    module = type(value).__module__
    if module.startswith("torch") and hasattr(value, "detach"):
        array = value.detach().cpu().numpy()
        return ("tensor", array.dtype.str, array.shape, array.tobytes())
    raise TypeError(
        f"cannot use an argument of type {type(value).__name__!r} in a cache key; "
        "expected numbers, strings, None, numpy arrays, tensors, or lists/tuples/dicts of them"
    )


def cache_key(module: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """Return the cache key of a call.

    Args:
        module: the `scribbles` module that defines the function.
        name: qualified name of the function.
        args: positional arguments.
        kwargs: keyword arguments.

    Returns:
        key: SHA-256 hex digest over the module's source (with what it imports), the
            name, the arguments and the numpy and torch versions.

    Raises:
        TypeError: if an argument is of a type that has no stable hash.

    Examples:
        >>> m = "scribbles.book.cache"
        >>> cache_key(m, "f", (1, 2.0), {"k": "v"}) == cache_key(m, "f", (1, 2.0), {"k": "v"})
        True
        >>> cache_key(m, "f", (1,), {}) == cache_key(m, "f", (2,), {})
        False
    """
    import torch  # local: keep `import scribbles.book.cache` cheap for pages that do not train

    payload = (
        source_fingerprint(module),
        name,
        _canonical(args),
        _canonical(kwargs),
        np.__version__,
        torch.__version__,
    )
    return hashlib.sha256(pickle.dumps(payload, protocol=4)).hexdigest()


def _load(path: Path) -> tuple[bool, Any]:
    """Read an entry; (False, None) when it is missing, (False, None) + warning when broken."""
    if not path.exists():
        return False, None
    try:
        with path.open("rb") as handle:
            return True, pickle.load(handle)
    except Exception as error:  # a truncated or foreign file must never fail the build
        logger.warning("cache entry %s is unreadable (%s); recomputing it", path.name, error)
        return False, None


def _store(path: Path, value: Any) -> None:
    """Write an entry atomically: a temporary file in the same directory, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pkl")
    try:
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def cached(function: Callable[P, R]) -> Callable[P, R]:
    r"""Decorate a pure, expensive function so that its results persist on disk.

    The function must be deterministic given its arguments (seed inside it) and its
    result must be picklable (numpy arrays, numbers, dicts, `state_dict`s...).

    Args:
        function: the function to wrap.

    Returns:
        wrapped: a function with the same signature that reads from and writes to
            [`cache_dir()`][scribbles.book.cache.cache_dir].

    Examples:
        >>> import os, tempfile
        >>> os.environ["SCRIBBLES_CACHE_DIR"] = tempfile.mkdtemp()
        >>> calls = []
        >>> @cached
        ... def square(x: int) -> int:
        ...     calls.append(x)
        ...     return x * x
        >>> square(3), square(3), calls
        (9, 9, [3])
        >>> del os.environ["SCRIBBLES_CACHE_DIR"]
    """
    module = function.__module__
    if _module_path(module) is None:
        raise ValueError(
            f"@cached only wraps functions defined in the scribbles package (their source is "
            f"part of the key); {function.__qualname__!r} is defined in {module!r}"
        )
    name = f"{module}.{function.__qualname__}"

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        start = time.perf_counter()
        if not cache_enabled():
            value = function(*args, **kwargs)
            CALL_LOG.append(CacheRecord(name, False, time.perf_counter() - start))
            return value
        path = cache_dir() / f"{cache_key(module, name, args, kwargs)}.pkl"
        found, value = _load(path)
        if not found:
            value = function(*args, **kwargs)
            _store(path, value)
        CALL_LOG.append(CacheRecord(name, found, time.perf_counter() - start))
        return value

    return wrapper
