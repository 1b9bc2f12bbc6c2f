r"""The `scribbles` MkDocs plugin: what the site's build does beyond MkDocs.

Registered through the `mkdocs.plugins` entry point in `pyproject.toml` and enabled in
`mkdocs.yml` as `- scribbles:` (last in the list, so that its page events run after the
other plugins'); its options are in [`options`][scribbles_site.options]. Each concern
is a module of its own, and this class only connects MkDocs' events to them:

- `on_startup`, `on_serve`: `--dirty` noted, native file notifications
  ([`serving`][scribbles_site.serving]);
- `on_config`: the cache options passed to the package, the offline polyfill served
  from the site;
- `on_pre_build`: the package re-imported if it changed (`serving`), the block cache
  installed ([`execution`][scribbles_site.execution]);
- `on_files`: stale pages marked under `--dirty` (`serving`), the pre-execution worker
  started ([`preexecution`][scribbles_site.preexecution]);
- `on_env`: compiled templates kept, autorefs' anchors restored under `--dirty`;
- `on_page_markdown`: the worker's page awaited, description and notebook
  ([`pages`][scribbles_site.pages]), source-only mode (`execution`);
- `on_page_content`: failed blocks counted, the HTML edited ([`html`][scribbles_site.html]);
- `on_post_page`: the traceback guard, math ([`math`][scribbles_site.math]), far blocks
  and deferred scripts (`html`), the font preload;
- `on_post_build`: notebooks, timings and KaTeX's assets written; the worker stopped.

MkDocs keeps one instance of the plugin for a build, and, because it has an
`on_startup` event, the same instance for every rebuild of one `mkdocs serve`: the
state that must outlive a build lives in its `serve` attribute.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin

from scribbles_site import html, math, pages
from scribbles_site.execution import (
    EXEC_FENCE,
    BlockCache,
    FailedBlocks,
    executes_cached_blocks,
    strip_execution,
)
from scribbles_site.options import ScribblesConfig
from scribbles_site.preexecution import PreExecution
from scribbles_site.serving import ServeState, use_native_observer

__all__ = ["ScribblesPlugin"]

log = logging.getLogger("mkdocs.plugins.scribbles")

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # src/scribbles_site -> the repository
IFRAME_WORKER = Path("iframe-worker") / "shim" / "index.js"
IFRAME_WORKER_TARGET = "assets/iframe-worker/shim.js"


def _node_modules(config_file: Path, configured: str | None) -> Path:
    """The `node_modules` folder: as configured, else beside `mkdocs.yml`, else the
    repository's."""
    if configured:
        return Path(configured)
    beside = config_file.parent / "node_modules"
    return beside if (beside / "katex").is_dir() else PROJECT_ROOT / "node_modules"


class ScribblesPlugin(BasePlugin[ScribblesConfig]):
    """Executed blocks with a cache, build-time math, notebooks and lighter pages."""

    def __init__(self) -> None:
        self.serve = ServeState()
        self.blocks = BlockCache()
        self.failed = FailedBlocks()
        self.preexecution = PreExecution()
        self.notebooks = pages.Notebooks()
        self.katex: math.KatexRenderer | None = None
        self.page_seconds: dict[str, float] = {}
        self._page_started: dict[str, float] = {}
        self._failed_pages: set[str] = set()

    # --- set-up ----------------------------------------------------------------------

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.serve.dirty = dirty

    def on_serve(self, server: Any, *, config: Any, builder: Any) -> Any:
        return use_native_observer(server)

    def on_config(self, config: Any) -> Any:
        # The package's own cache (trained models, sweeps) reads these variables.
        os.environ["SCRIBBLES_NO_CACHE"] = "1" if self.config.no_cache else "0"
        if self.config.cache_dir:
            os.environ["SCRIBBLES_CACHE_DIR"] = self.config.cache_dir
        self.node_modules = _node_modules(
            Path(config["config_file_path"]), self.config.node_modules
        )
        # Material's offline plugin (`make offline`) adds a CDN copy of the iframe-worker
        # shim, so that search runs from file://; serve our own copy instead.
        polyfills = config.extra.get("polyfills", [])
        config.extra["polyfills"] = [
            IFRAME_WORKER_TARGET if "iframe-worker" in url else url for url in polyfills
        ]
        return config

    def on_pre_build(self, *, config: Any) -> None:
        self.serve.reload_package_if_changed()
        self.blocks.install()
        self.failed.install()
        self.notebooks = pages.Notebooks()
        if self.config.render_math and self.katex is None:  # kept across serve's rebuilds
            self.katex = math.KatexRenderer(self.node_modules)

    def _reads_files(self, path: Path) -> bool:
        """Blocks that skip the cache read other files: such a page is always rebuilt."""
        from mkdocs.utils.meta import get_data

        text, meta = get_data(path.read_text(encoding="utf-8-sig"))
        return bool(EXEC_FENCE.search(text)) and meta.get("exec_cache", True) is False

    def on_files(self, files: Any, *, config: Any) -> Any:
        documentation = list(files.documentation_pages())
        self.serve.mark_stale_pages(documentation, config, self._reads_files)
        if self.serve.dirty and "mkdocstrings" in config.plugins:  # the API's templates
            handler = config.plugins["mkdocstrings"].get_handler("python")
            self.serve.keep_compiled_templates(handler.env)
        if self._preexecution_wanted():
            from mkdocs.utils.meta import get_data

            docs = Path(config["docs_dir"])
            converted = [f for f in documentation if not self.serve.dirty or f.is_modified()]
            executing = [
                f.src_uri
                for f in converted
                if executes_cached_blocks(*get_data((docs / f.src_uri).read_text("utf-8-sig")))
            ]
            self.preexecution.start(executing, Path(config["config_file_path"]))
        return files

    def _preexecution_wanted(self) -> bool:
        """A second process helps when blocks run and are cached, and there is a second core."""
        from scribbles.book.cache import cache_enabled

        return (
            self.config.preexecute
            and not self.config.no_exec
            and cache_enabled()
            and (os.cpu_count() or 1) > 1
        )

    def on_env(self, env: Any, *, config: Any, files: Any) -> Any:
        self.serve.keep_compiled_templates(env)  # the theme's templates
        self.serve.restore_anchors(config.plugins.get("autorefs"))
        return env

    # --- each page -------------------------------------------------------------------

    def on_page_markdown(self, markdown: str, *, page: Any, config: Any, files: Any) -> str:
        uri = page.file.src_uri
        self.failed.reset()
        self.serve.rebuilt.add(page.url)
        self.preexecution.wait_for(uri)
        self.blocks.start_page(uri, page.meta)
        self._page_started[uri] = time.perf_counter()
        if not page.meta.get("description"):
            page.meta["description"] = pages.describe(markdown) or config["site_description"]
        page.meta["description"] = pages.escaped_description(page.meta["description"])
        if self.config.notebooks and pages.is_chapter(uri):
            markdown = self.notebooks.add(markdown, uri, page.url, page.title)
        if self.config.no_exec:
            return strip_execution(markdown)
        return markdown

    def on_page_content(self, html_text: str, *, page: Any, config: Any, files: Any) -> str:
        # Markdown (and so every block of the page) was converted just before this event.
        uri = page.file.src_uri
        started = self._page_started.pop(uri, None)
        if started is not None:  # the worker's share of the page counts too
            worker = self.preexecution.worker_seconds.get(uri, 0.0)
            self.page_seconds[uri] = time.perf_counter() - started + worker
        if self.failed.count:
            self._failed_pages.add(uri)
        else:
            self._failed_pages.discard(uri)
        self.failed.reset()
        return html.process_content(html_text)

    def on_post_page(self, output: str, *, page: Any, config: Any) -> str:
        uri = page.file.src_uri
        if uri in self._failed_pages and not self.config.show_tracebacks:
            raise PluginError(
                f"{uri}: an executed block failed and its traceback would be "
                "published; fix the block (the warning above shows the error)"
            )
        if self.katex is not None:
            output = math.render_math(output, uri, self.katex)
        output = html.defer_page_scripts(html.skip_far_blocks(output))
        offline = config.plugins.get("material/offline")
        if offline is None or not offline.config.enabled:  # file:// fetches fonts without CORS
            output = math.preload_math_fonts(output, page.url)
        return output

    # --- the end of a build ----------------------------------------------------------

    def on_post_build(self, *, config: Any) -> None:
        self._close_renderer()
        self.preexecution.stop()
        site = Path(config["site_dir"])
        self.serve.remember_build(site, config.plugins.get("autorefs"))
        self.notebooks.write(site)
        if self.config.page_timings:  # set by `make bench`
            Path(self.config.page_timings).write_text(
                json.dumps(self.page_seconds, indent=2, sort_keys=True)
            )
        math.copy_katex_assets(self.node_modules, site)
        if any(url == IFRAME_WORKER_TARGET for url in config.extra.get("polyfills", [])):
            shim = self.node_modules / IFRAME_WORKER
            if not shim.is_file():
                raise PluginError(f"{shim} is missing; run `make setup` (or `npm ci`)")
            (site / IFRAME_WORKER_TARGET).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shim, site / IFRAME_WORKER_TARGET)

    def on_build_error(self, *, error: Exception) -> None:
        self.preexecution.stop(error=True)
        self._close_renderer()

    def on_shutdown(self) -> None:
        self._close_renderer()

    def _close_renderer(self) -> None:
        if self.katex is not None:
            self.katex.close()
