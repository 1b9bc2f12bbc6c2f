r"""Executed blocks: source-only mode, the traceback guard, and the block cache.

- **Source-only mode** (`no_exec`): executed fences are rewritten to plain highlighted
  source before Markdown sees them (fast prose editing, and the benchmarks' baseline).
- **Traceback guard**: a page with a block that raised stops the build, strict or not,
  unless `show_tracebacks` is on (`make serve`, so that authors see the error on the
  page). markdown-exec only logs a warning and renders the traceback, with local paths,
  into the page.
- **Block cache**: the printed output of every executed Python block is kept in the
  package's disk cache ([`scribbles.book.cache`][scribbles.book.cache], folder
  `blocks/`), keyed on the page, the block's code, the code before it in its session,
  the `scribbles` modules that code imports (their code, transitively) and the library
  versions. A warm build executes no block. A block that misses first replays, without
  output, the session's earlier blocks that were served from the cache, so that its
  variables are there. A page whose blocks read other files (the errata page reads the
  chapters) opts out with `exec_cache: false` in its front matter.

markdown-exec has no cache of its own (its issue for one has been open since 2022), so
the cache wraps its Python runner: `_run_python` in its `python` and `pycon`
formatters, the one function both call with the code, the session and the block id.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import sys
from types import ModuleType
from typing import Any

__all__ = ["EXEC_FENCE", "BlockCache", "FailedBlocks", "strip_execution"]

EXEC_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<lang>python|py|pycon)\b(?P<options>[^\n]*"
    r'\bexec="(?:on|true|1|yes)"[^\n]*)$',
    flags=re.MULTILINE,
)
_HIDE_MARKER = re.compile(r"[ \t]*#\s*markdown-exec:\s*hide\s*$", flags=re.MULTILINE)


def strip_execution(markdown: str) -> str:
    r"""Rewrite every executed fence to a plain `python` fence that only shows its source.

    Examples:
        >>> strip_execution('```python exec="on"\nx = 1  # markdown-exec: hide\n```')
        '```python\nx = 1\n```'
    """
    stripped = EXEC_FENCE.sub(lambda m: f"{m['indent']}{m['fence']}python", markdown)
    return _HIDE_MARKER.sub("", stripped)


def executes_cached_blocks(text: str, meta: dict[str, Any]) -> bool:
    """Does a page (Markdown `text`, front matter `meta`) run blocks through the cache?"""
    return bool(EXEC_FENCE.search(text)) and meta.get("exec_cache", True) is not False


class FailedBlocks(logging.Handler):
    """Counts markdown-exec's "Execution of ... code block ... exited with" warnings.

    Attach it with `install()`; `count` is the number of failures since the last
    `reset()`.
    """

    LOGGER = "mkdocs.plugins.markdown_exec"

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "code block" in message and "exited with" in message:
            self.count += 1

    def install(self) -> None:
        logger = logging.getLogger(self.LOGGER)
        for handler in [h for h in logger.handlers if type(h).__name__ == type(self).__name__]:
            logger.removeHandler(handler)  # the handler of an earlier build (mkdocs serve)
        logger.addHandler(self)

    def reset(self) -> None:
        self.count = 0


@functools.cache
def _library_versions() -> tuple[str, ...]:
    from importlib.metadata import version

    return tuple(version(name) for name in ("numpy", "torch", "matplotlib", "scikit-learn"))


def block_key(page: str, session: str | None, previous: list[str], code: str) -> str:
    """The cache key of a block's output: page, session, code, imports' code, versions.

    Examples:
        >>> key = block_key("a.md", None, [], "print(1)")
        >>> len(key), key == block_key("b.md", None, [], "print(1)")
        (64, False)
    """
    from scribbles.book.cache import code_fingerprint

    payload = (
        "block-v1",
        page,
        session,
        tuple(previous),
        code,
        code_fingerprint("\n".join([*previous, code])),
        _library_versions(),
        sys.version_info[:2],
    )
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


class BlockCache:
    """The block cache for one process: which page runs now, and its sessions' code.

    `start_page` is called before a page's Markdown is converted; `install` wraps
    markdown-exec's runner (once per process; a later `install` re-targets the wrapper
    to this instance).
    """

    def __init__(self) -> None:
        self.page: str | None = None
        self.page_cached = True
        self.session_code: dict[str | None, list[str]] = {}  # code run so far, per session
        self.skipped: dict[str, list[tuple[str, str]]] = {}  # (code, block id) from cache

    def start_page(self, uri: str, meta: dict[str, Any]) -> None:
        """Blocks that run from now on belong to the page `uri` (front matter `meta`)."""
        self.page = uri
        self.page_cached = meta.get("exec_cache", True) is not False
        self.session_code.clear()
        self.skipped.clear()

    def _replay(self, python: Any, session: str) -> None:
        """Run, without output, the session's earlier blocks that came from the cache."""
        from markdown_exec._internal.formatters._exec_python import exec_python

        exec_globals = python._sessions_globals[session]
        for code, block_id in self.skipped.pop(session, []):
            module_name = re.sub(r"[^a-zA-Z\d]+", "_", block_id)  # as markdown-exec names it
            exec_globals["__name__"] = module_name
            sys.modules[module_name] = ModuleType(module_name)
            exec_globals["print"] = lambda *args, **kwargs: None
            python._code_blocks[block_id] = code.split("\n")
            exec_python(code, block_id, exec_globals)

    def run(self, original: Any, code: str, returncode: Any, session: Any, id: Any, **extra: Any):
        """Run one block through the cache (`original` is markdown-exec's runner)."""
        from markdown_exec._internal.formatters import python

        from scribbles.book.cache import cache_enabled, read_entry, write_entry

        if not (self.page_cached and cache_enabled()):
            return original(code, returncode, session, id, **extra)
        previous = self.session_code.setdefault(session, []) if session else []
        key = block_key(self.page or "", session, previous, code)
        if session:
            previous.append(code)
        found, output = read_entry("blocks", key)
        if found:
            block_id = python._code_block_id(id, session, extra.get("title"))
            if session:
                self.skipped.setdefault(session, []).append((code, block_id))
            return output
        if session:
            self._replay(python, session)
        output = original(code, returncode, session, id, **extra)
        write_entry("blocks", key, output)
        return output

    def install(self) -> None:
        """Wrap markdown-exec's Python runner (python and pycon fences) with this cache."""
        from markdown_exec._internal.formatters import pycon, python

        original = getattr(python, "_scribbles_original_run", python._run_python)
        python._scribbles_original_run = original
        cache = self

        def run_python(
            code: str,
            returncode: int | None = None,
            session: str | None = None,
            id: str | None = None,  # markdown-exec's parameter name
            **extra: str,
        ) -> str:
            return cache.run(original, code, returncode, session, id, **extra)

        python._run_python = run_python
        pycon._run_python = run_python
