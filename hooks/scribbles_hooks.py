"""MkDocs hooks for Scribbles.

- **Live package**: before every build, `scribbles` is dropped from `sys.modules`, so that
  `make serve` runs executed blocks against the package as it is on disk now.
- **No-exec mode**: with `SCRIBBLES_NO_EXEC=1`, executed fences are rewritten to plain
  highlighted source before Markdown sees them (fast prose editing, benchmark baseline).
- **No traceback on a page**: a page with a block that raised stops the build (strict or
  not), unless `SCRIBBLES_SHOW_TRACEBACKS=1` (set by `make serve` so authors see the error).
- **Block cache**: the printed output of every executed Python block is kept in the
  package's disk cache (`scribbles.cache`, folder `blocks/`), keyed on the page, the
  block's code, the code before it in its session, the `scribbles` modules that code
  imports (their source, transitively) and the library versions. A warm build executes
  no block; a block that misses first replays the session's earlier blocks that were
  served from the cache, so its variables are there. A page whose blocks read other
  files (the errata page reads the chapters) opts out with `exec_cache: false` in its
  front matter. `SCRIBBLES_NO_CACHE=1` turns it off with the rest of the cache.
- **Timings**: with `SCRIBBLES_PAGE_TIMINGS=path.json`, the seconds spent converting
  each page (its executed blocks included) are written there (used by `make bench`).
- **Notebooks**: every chapter is also written to `<chapter>/<name>.ipynb` in the site
  (see `scribbles.notebook`), with a download link under its title.
- **Descriptions**: a page without a `description` in its front matter gets its first
  paragraph as `<meta name="description">`.
- **Math rendered at build time**: every `arithmatex` span/div of a page is rendered by
  KaTeX under Node (`hooks/katex_render.cjs`, KaTeX from the npm registry) into HTML +
  MathML, so pages need no math JavaScript and show math on first paint, after instant
  navigation and from `file://`; invalid TeX is a build warning (an error with
  `--strict`). KaTeX's stylesheet, fonts and (for builds without this hook, e.g.
  Zensical) its scripts are copied into `site/assets/katex/`.
"""

from __future__ import annotations

import functools
import hashlib
import html as html_lib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from mkdocs.exceptions import PluginError

log = logging.getLogger("mkdocs.hooks.scribbles")

ROOT = Path(__file__).resolve().parent.parent
KATEX_DIST = ROOT / "node_modules" / "katex" / "dist"
KATEX_FILES = ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js")

_EXEC_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<lang>python|py|pycon)\b(?P<options>[^\n]*"
    r'\bexec="(?:on|true|1|yes)"[^\n]*)$',
    flags=re.MULTILINE,
)
_HIDE_MARKER = re.compile(r"[ \t]*#\s*markdown-exec:\s*hide\s*$", flags=re.MULTILINE)


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def execution_disabled() -> bool:
    """True when `SCRIBBLES_NO_EXEC` asks for source-only rendering."""
    return _flag("SCRIBBLES_NO_EXEC")


def strip_execution(markdown: str) -> str:
    """Rewrite every executed fence to a plain `python` fence that only shows its source."""
    stripped = _EXEC_FENCE.sub(lambda m: f"{m['indent']}{m['fence']}python", markdown)
    return _HIDE_MARKER.sub("", stripped)


KATEX_RENDER_SCRIPT = Path(__file__).resolve().parent / "katex_render.cjs"
_ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">(?P<tex>.*?)</(?P=tag)>', flags=re.DOTALL
)
_DELIMITERS = {"\\(": "\\)", "\\[": "\\]"}


class KatexRenderer:
    """TeX to KaTeX HTML through one long-lived Node process (started on first use)."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._cache: dict[tuple[str, bool], str] = {}

    def _start(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            node = shutil.which("node")
            if node is None or not (ROOT / "node_modules" / "katex").is_dir():
                raise PluginError("rendering math needs Node and KaTeX: run `make setup`")
            self._process = subprocess.Popen(
                [node, str(KATEX_RENDER_SCRIPT)],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
        return self._process

    def render(self, items: list[tuple[str, bool]]) -> list[str | Exception]:
        """Render `(tex, display)` pairs; a parse error comes back as a `ValueError`."""
        missing = sorted({item for item in items if item not in self._cache})
        errors: dict[tuple[str, bool], ValueError] = {}
        if missing:
            process = self._start()
            request = [{"tex": tex, "display": display} for tex, display in missing]
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
            if not line:
                raise PluginError("the KaTeX renderer (node hooks/katex_render.cjs) stopped")
            for item, reply in zip(missing, json.loads(line), strict=True):
                if "html" in reply:
                    self._cache[item] = reply["html"]
                else:
                    errors[item] = ValueError(reply["error"])
        return [errors[item] if item in errors else self._cache[item] for item in items]

    def close(self) -> None:
        if self._process is not None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            self._process.wait(timeout=10)
            self._process = None


_KATEX = KatexRenderer()


def split_math(source: str, block: bool) -> tuple[str, bool]:
    r"""Arithmatex's generic output (`\(x\)`, `\[x\]`, a bare environment) to `(tex, display)`."""
    text = html_lib.unescape(source).strip()
    for opening, closing in _DELIMITERS.items():
        if text.startswith(opening) and text.endswith(closing):
            return text[len(opening) : -len(closing)], opening == "\\["
    return text, block


def render_math(output: str, where: str) -> str:
    """Replace every arithmatex element's TeX in `output` with KaTeX's HTML."""
    matches = list(_ARITHMATEX.finditer(output))
    if not matches:
        return output
    items = [split_math(m["tex"], m["tag"] == "div") for m in matches]
    rendered = _KATEX.render(items)
    pieces, position = [], 0
    for match, (tex, _), result in zip(matches, items, rendered, strict=True):
        pieces.append(output[position : match.start("tex")])
        if isinstance(result, Exception):
            log.warning(f"{where}: KaTeX cannot render {tex!r}: {result}")
            pieces.append(match["tex"])  # left as TeX: the fallback script shows the error
        else:
            pieces.append(result)
        position = match.end("tex")
    pieces.append(output[position:])
    return "".join(pieces)


IFRAME_WORKER = ROOT / "node_modules" / "iframe-worker" / "shim" / "index.js"
IFRAME_WORKER_TARGET = "assets/iframe-worker/shim.js"


def on_config(config: Any) -> Any:
    # Material's offline plugin (enabled by SCRIBBLES_OFFLINE=1) adds a CDN copy of the
    # iframe-worker shim so that search runs from file://; serve our own copy instead.
    polyfills = config.extra.get("polyfills", [])
    config.extra["polyfills"] = [
        IFRAME_WORKER_TARGET if "iframe-worker" in url else url for url in polyfills
    ]
    return config


def on_pre_build(config: Any) -> None:
    for name in [m for m in sys.modules if m == "scribbles" or m.startswith("scribbles.")]:
        del sys.modules[name]
    _install_block_cache()


# --- block cache ---------------------------------------------------------------------

_BLOCK_PAGE: dict[str, Any] = {"uri": None, "cache": True}
_SESSION_CODE: dict[str, list[str]] = {}  # code run so far in each session of the page
_SKIPPED: dict[str, list[tuple[str, str]]] = {}  # (code, block id) served from the cache


@functools.cache
def _library_versions() -> tuple[str, ...]:
    from importlib.metadata import version

    return tuple(version(name) for name in ("numpy", "torch", "matplotlib", "scikit-learn"))


def block_key(page: str, session: str | None, previous: list[str], code: str) -> str:
    """The cache key of a block's output: page, session, code, imports' source, versions."""
    from scribbles.cache import code_fingerprint

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


def _replay(python: Any, session: str) -> None:
    """Run, without output, the session's earlier blocks that came from the cache."""
    from markdown_exec._internal.formatters._exec_python import exec_python

    exec_globals = python._sessions_globals[session]
    for code, block_id in _SKIPPED.pop(session, []):
        module_name = re.sub(r"[^a-zA-Z\d]+", "_", block_id)  # as markdown-exec names it
        exec_globals["__name__"] = module_name
        sys.modules[module_name] = ModuleType(module_name)
        exec_globals["print"] = lambda *args, **kwargs: None
        python._code_blocks[block_id] = code.split("\n")
        exec_python(code, block_id, exec_globals)


def _install_block_cache() -> None:
    """Wrap markdown-exec's Python runner (python and pycon fences) with the block cache."""
    from markdown_exec._internal.formatters import pycon, python

    original = getattr(python, "_scribbles_original_run", python._run_python)
    python._scribbles_original_run = original

    def run_python(
        code: str,
        returncode: int | None = None,
        session: str | None = None,
        id: str | None = None,  # markdown-exec's parameter name
        **extra: str,
    ) -> str:
        from scribbles.cache import cache_enabled, read_entry, write_entry

        if not (_BLOCK_PAGE["cache"] and cache_enabled()):
            return original(code, returncode, session, id, **extra)
        previous = _SESSION_CODE.setdefault(session, []) if session else []
        key = block_key(_BLOCK_PAGE["uri"], session, previous, code)
        if session:
            previous.append(code)
        found, output = read_entry("blocks", key)
        if found:
            block_id = python._code_block_id(id, session, extra.get("title"))
            if session:
                _SKIPPED.setdefault(session, []).append((code, block_id))
            return output
        if session:
            _replay(python, session)
        output = original(code, returncode, session, id, **extra)
        write_entry("blocks", key, output)
        return output

    python._run_python = run_python
    pycon._run_python = run_python


_PAGE_SECONDS: dict[str, float] = {}
_PAGE_STARTED: dict[str, float] = {}


CHAPTER_PARTS = {"learning", "classical", "deep", "generative", "systems"}
_NOTEBOOKS: dict[str, str] = {}  # site path of the notebook -> JSON text


def is_chapter(page: Any) -> bool:
    return page.file.src_uri.split("/")[0] in CHAPTER_PARTS


def _plain_text(markdown: str) -> str:
    """Markdown of one paragraph reduced to plain text for a meta description."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)  # [text](url)
    text = re.sub(r"\[([^\]]*)\]\[[^\]]*\]", r"\1", text)  # [text][ref]
    text = re.sub(r"[*_`]", "", text)
    return " ".join(text.split())


def describe(markdown: str) -> str:
    """A page's description: its first prose paragraph, at most ~160 characters."""
    for paragraph in re.split(r"\n\s*\n", markdown):
        stripped = paragraph.strip()
        markup = ("#", "`", "~", "!", "?", "|", "-", "<", ":", "*[")
        if stripped and not stripped.startswith(markup):
            text = _plain_text(stripped)
            if len(text) <= 160:
                return text
            return text[: text.rfind(" ", 0, 157)].rstrip(",;:") + "…"
    return ""


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    _FAILED_BLOCKS.count = 0
    _BLOCK_PAGE.update(uri=page.file.src_uri, cache=page.meta.get("exec_cache", True) is not False)
    _SESSION_CODE.clear()
    _SKIPPED.clear()
    _PAGE_STARTED[page.file.src_uri] = time.perf_counter()
    if not page.meta.get("description"):
        page.meta["description"] = describe(markdown) or config["site_description"]
    # Material writes it into content="..." unescaped: a quote in the text would end it.
    page.meta["description"] = html_lib.escape(
        html_lib.unescape(str(page.meta["description"])), quote=True
    )
    if is_chapter(page):
        from scribbles.notebook import chapter_to_notebook

        stem = Path(page.file.src_uri).stem
        _NOTEBOOKS[f"{page.url}{stem}.ipynb"] = chapter_to_notebook(markdown, page.title or stem)
        link = (
            f'<p class="scribbles-download"><a href="{stem}.ipynb" download>'
            "Download this chapter as a Jupyter notebook</a> (runs against the "
            "<code>scribbles</code> package).</p>"
        )
        markdown = re.sub(
            r"^(# .*)$", lambda m: f"{m.group(1)}\n\n{link}", markdown, count=1, flags=re.M
        )
    if execution_disabled():
        return strip_execution(markdown)
    return markdown


class _FailedBlocks(logging.Handler):
    """Counts markdown-exec's "Execution of ... code block ... exited with" warnings."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "code block" in record.getMessage() and "exited with" in record.getMessage():
            self.count += 1


_FAILED_BLOCKS = _FailedBlocks()
logging.getLogger("mkdocs.plugins.markdown_exec").addHandler(_FAILED_BLOCKS)


_PAGES_WITH_FAILED_BLOCKS: set[str] = set()
_BLOCK_IN_PARAGRAPH = re.compile(
    r"<p>(?=\s*<(?:address|article|aside|blockquote|details|div|dl|fieldset|figure|footer"
    r"|form|h[1-6]|header|hr|ol|p|pre|section|table|ul)\b)"
)
_PARAGRAPH_TAG = re.compile(r"<p\b[^>]*>|</p>")


def unwrap_block_paragraphs(html: str) -> str:
    """Drop every `<p>...</p>` that wraps block content (invalid HTML: a paragraph ends
    where a block starts, leaving a stray `</p>`).

    markdown-exec puts a block's output in a paragraph when the output goes through
    Markdown as an HTML fragment: `<p><figure>...</figure></p>`, `<p><h2>...</p>`.
    """
    searched_from = 0
    while match := _BLOCK_IN_PARAGRAPH.search(html, searched_from):
        depth = 0
        for tag in _PARAGRAPH_TAG.finditer(html, match.start()):
            depth += -1 if tag[0] == "</p>" else 1
            if depth == 0:
                html = html[: match.start()] + html[match.end() : tag.start()] + html[tag.end() :]
                break
        searched_from = match.start() + (1 if depth else 0)  # unbalanced: skip this one
    return html


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    # Markdown (and so every block of the page) was converted just before this event.
    started = _PAGE_STARTED.pop(page.file.src_uri, None)
    if started is not None:
        _PAGE_SECONDS[page.file.src_uri] = time.perf_counter() - started
    if _FAILED_BLOCKS.count:
        _PAGES_WITH_FAILED_BLOCKS.add(page.file.src_uri)
    else:
        _PAGES_WITH_FAILED_BLOCKS.discard(page.file.src_uri)
    _FAILED_BLOCKS.count = 0
    # The API reference's source listings are for reading, not for finding: kept out of
    # the search index (Material's search plugin skips `data-search-exclude`), they would
    # double its size.
    html = html.replace(
        '<details class="mkdocstrings-source">',
        '<details class="mkdocstrings-source" data-search-exclude>',
    )
    return unwrap_block_paragraphs(html)


def on_post_page(output: str, page: Any, config: Any) -> str:
    failed = page.file.src_uri in _PAGES_WITH_FAILED_BLOCKS
    if failed and not _flag("SCRIBBLES_SHOW_TRACEBACKS"):
        raise PluginError(
            f"{page.file.src_uri}: an executed block failed and its traceback would be "
            "published; fix the block (the warning above shows the error)"
        )
    return render_math(output, page.file.src_uri)


def on_post_build(config: Any) -> None:
    # `mkdocs serve` loads this module anew for every rebuild: end this build's renderer.
    _KATEX.close()
    site = Path(config["site_dir"])
    for target, notebook in _NOTEBOOKS.items():
        (site / target).parent.mkdir(parents=True, exist_ok=True)
        (site / target).write_text(notebook, encoding="utf-8")
    timings = os.environ.get("SCRIBBLES_PAGE_TIMINGS")
    if timings:  # set by `make bench`: seconds spent converting (and executing) each page
        Path(timings).write_text(json.dumps(_PAGE_SECONDS, indent=2, sort_keys=True))
    target = site / "assets" / "katex"
    missing = [name for name in KATEX_FILES if not (KATEX_DIST / name).is_file()]
    if missing:
        raise PluginError(
            f"KaTeX is not installed ({', '.join(missing)} missing under {KATEX_DIST}); "
            "run `make setup` (or `npm ci`) first"
        )
    for name in KATEX_FILES:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(KATEX_DIST / name, destination)
    if any(url == IFRAME_WORKER_TARGET for url in config.extra.get("polyfills", [])):
        if not IFRAME_WORKER.is_file():
            raise PluginError(f"{IFRAME_WORKER} is missing; run `make setup` (or `npm ci`)")
        shim = site / IFRAME_WORKER_TARGET
        shim.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(IFRAME_WORKER, shim)
    fonts = target / "fonts"
    fonts.mkdir(parents=True, exist_ok=True)
    for font in sorted((KATEX_DIST / "fonts").glob("*.woff2")):
        shutil.copyfile(font, fonts / font.name)


def on_shutdown() -> None:
    _KATEX.close()
