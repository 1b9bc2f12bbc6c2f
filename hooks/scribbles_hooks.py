"""MkDocs hooks for Scribbles.

- **Live package**: before every build, `scribbles` is dropped from `sys.modules`, so that
  `make serve` runs executed blocks against the package as it is on disk now.
- **No-exec mode**: with `SCRIBBLES_NO_EXEC=1`, executed fences are rewritten to plain
  highlighted source before Markdown sees them (fast prose editing, benchmark baseline).
- **No traceback on a page**: a page with a block that raised stops the build (strict or
  not), unless `SCRIBBLES_SHOW_TRACEBACKS=1` (set by `make serve` so authors see the error).
- **Timings**: with `SCRIBBLES_PAGE_TIMINGS=path.json`, the seconds spent converting
  each page (its executed blocks included) are written there (used by `make bench`).
- **Notebooks**: every chapter is also written to `<chapter>/<name>.ipynb` in the site
  (see `scribbles.notebook`), with a download link under its title.
- **Descriptions**: a page without a `description` in its front matter gets its first
  paragraph as `<meta name="description">`.
- **Math served by us**: KaTeX's files are copied from `node_modules/` (installed from the
  npm registry by `make setup`) into `site/assets/katex/`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
import time
from pathlib import Path
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
    _PAGE_STARTED[page.file.src_uri] = time.perf_counter()
    if not page.meta.get("description"):
        page.meta["description"] = describe(markdown) or config["site_description"]
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
    return html


def on_post_page(output: str, page: Any, config: Any) -> str:
    failed = page.file.src_uri in _PAGES_WITH_FAILED_BLOCKS
    if failed and not _flag("SCRIBBLES_SHOW_TRACEBACKS"):
        raise PluginError(
            f"{page.file.src_uri}: an executed block failed and its traceback would be "
            "published; fix the block (the warning above shows the error)"
        )
    return output


def on_post_build(config: Any) -> None:
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
