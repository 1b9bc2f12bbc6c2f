"""MkDocs hooks for Scribbles.

- **Live package**: before every build, `scribbles` is dropped from `sys.modules`, so that
  `make serve` runs executed blocks against the package as it is on disk now.
- **No-exec mode**: with `SCRIBBLES_NO_EXEC=1`, executed fences are rewritten to plain
  highlighted source before Markdown sees them (fast prose editing, benchmark baseline).
- **No traceback on a page**: a page with a block that raised stops the build (strict or
  not), unless `SCRIBBLES_SHOW_TRACEBACKS=1` (set by `make serve` so authors see the error).
- **Block cache**: the printed output of every executed Python block is kept in the
  package's disk cache (`scribbles.book.cache`, folder `blocks/`), keyed on the page, the
  block's code, the code before it in its session, the `scribbles` modules that code
  imports (their source, transitively) and the library versions. A warm build executes
  no block; a block that misses first replays the session's earlier blocks that were
  served from the cache, so its variables are there. A page whose blocks read other
  files (the errata page reads the chapters) opts out with `exec_cache: false` in its
  front matter. `SCRIBBLES_NO_CACHE=1` turns it off with the rest of the cache.
- **Pre-execution**: a cold build also runs `hooks/preexecute.py` in a second process,
  which executes the blocks of the last pages into the block cache while MkDocs works
  from the first page (the machine's second core; `SCRIBBLES_PREEXEC=0` turns it off).
- **`make serve`** runs `mkdocs serve --dirty`: a rebuild converts only the pages an edit
  touches (its Markdown, or the `scribbles` code its blocks, `:::` directives and
  cross-references name), keeps the rest of the site whole (search index, autorefs
  anchors), and files are watched with inotify instead of MkDocs' 0.5 s polling.
- **Timings**: with `SCRIBBLES_PAGE_TIMINGS=path.json`, the seconds spent converting
  each page (its executed blocks included) are written there (used by `make bench`).
- **Notebooks**: every chapter is also written to `<chapter>/<name>.ipynb` in the site
  (see `scribbles_site.notebooks`), with a download link under its title.
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
import importlib.util
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import jinja2
import jinja2.bccache
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


def package_stamp() -> tuple[tuple[str, int, int], ...]:
    """Path, modification time and size of every source file of `scribbles` (not imported)."""
    spec = importlib.util.find_spec("scribbles")
    if spec is None or not spec.submodule_search_locations:
        return ()
    stamps = []
    for folder in spec.submodule_search_locations:
        for path in sorted(Path(folder).rglob("*.py")):
            status = path.stat()
            stamps.append((str(path), status.st_mtime_ns, status.st_size))
    return tuple(stamps)


def on_pre_build(config: Any) -> None:
    _BUILD.clear()
    _BUILD["rebuilt"] = set()
    # Blocks must run against the package as it is on disk: when a file of it changed
    # since the last build of this process (`mkdocs serve`), import it anew.
    stamp = package_stamp()
    if stamp != getattr(_SERVE, "package_stamp", None):
        for name in [m for m in sys.modules if m == "scribbles" or m.startswith("scribbles.")]:
            del sys.modules[name]
        _SERVE.package_stamp = stamp
    install_block_cache()


# --- pre-execution in a second process (hooks/preexecute.py) --------------------------

PREEXECUTE_SCRIPT = Path(__file__).resolve().parent / "preexecute.py"
_PREEXEC: dict[str, Any] = {}  # this build's worker: process, claims folder, its pages
_WORKER_SECONDS: dict[str, float] = {}  # seconds the worker spent on a page


def preexecution_enabled() -> bool:
    """A second process helps when blocks run and are cached, and there is a second core.

    `SCRIBBLES_PREEXEC=0` turns it off (the build then runs every block itself).
    """
    from scribbles.book.cache import cache_enabled

    wanted = os.environ.get("SCRIBBLES_PREEXEC", "1").strip().lower() not in {"0", "false", "no"}
    return wanted and cache_enabled() and not execution_disabled() and (os.cpu_count() or 1) > 1


def executes_cached_blocks(path: Path) -> bool:
    """Does the page at `path` have executed blocks that go through the block cache?"""
    from mkdocs.utils.meta import get_data

    text = path.read_text(encoding="utf-8-sig")
    if not _EXEC_FENCE.search(text):
        return False
    return get_data(text)[1].get("exec_cache", True) is not False


def claim_name(page: str) -> str:
    """The file name stem of a page's claim and done files."""
    return hashlib.sha256(page.encode()).hexdigest()[:20]


def try_claim(claims: Path, page: str) -> bool:
    """Take `page` for the calling process (atomic); False when the other one has it."""
    try:
        descriptor = os.open(claims / f"{claim_name(page)}.claim", os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


def mark_done(claims: Path, page: str, seconds: float) -> None:
    """Publish that `page`'s blocks are in the cache (written, then renamed: atomic)."""
    done = claims / f"{claim_name(page)}.done"
    partial = done.with_suffix(".partial")
    partial.write_text(json.dumps({"page": page, "seconds": seconds}))
    partial.replace(done)


def start_preexecution(pages: list[str], config: Any) -> None:
    """Start the worker on `pages` (in MkDocs' order; the worker takes them backwards)."""
    if len(pages) < 2 or not preexecution_enabled():
        return
    claims = Path(tempfile.mkdtemp(prefix="scribbles-claims-"))
    config_file = Path(config["config_file_path"])
    with (claims / "worker.log").open("w") as log_file:
        process = subprocess.Popen(
            [
                *(sys.executable, str(PREEXECUTE_SCRIPT), "--config", str(config_file)),
                *("--claims", str(claims), *reversed(pages)),
            ],
            cwd=config_file.parent,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    _PREEXEC.update(process=process, claims=claims, pages=set(pages))


def wait_for_preexecution(page: str) -> float:
    """Before converting `page`: claim it, or wait until the worker has run its blocks.

    Returns the seconds the worker spent on the page (0 when the build runs it itself).
    """
    if not _PREEXEC or page not in _PREEXEC["pages"]:
        return 0.0
    claims: Path = _PREEXEC["claims"]
    if try_claim(claims, page):
        return 0.0
    done = claims / f"{claim_name(page)}.done"
    while not done.exists():
        if _PREEXEC["process"].poll() is not None and not done.exists():
            return 0.0  # the worker stopped: this build runs the page's blocks itself
        time.sleep(0.02)
    return float(json.loads(done.read_text())["seconds"])


def stop_preexecution(error: bool = False) -> None:
    """End the worker (it has normally finished: every page is claimed by then)."""
    if not _PREEXEC:
        return
    process: subprocess.Popen[bytes] = _PREEXEC["process"]
    claims: Path = _PREEXEC["claims"]
    if error:
        process.kill()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    worker_log = (claims / "worker.log").read_text(errors="replace")
    done = sorted(claims.glob("*.done"))
    log.info(
        f"pre-execution worker ran the blocks of {len(done)} page(s), exit code "
        f"{process.returncode}" + (f":\n{worker_log[-2000:]}" if process.returncode else "")
    )
    shutil.rmtree(claims, ignore_errors=True)
    _PREEXEC.clear()


def on_build_error(error: Exception) -> None:
    stop_preexecution(error=True)
    _KATEX.close()


# --- `mkdocs serve --dirty`: rebuild only what an edit touches ------------------------
#
# MkDocs' --dirty rebuilds a page only when its Markdown is newer than its HTML. That
# misses pages whose executed blocks or `:::` directives read a `scribbles` module that
# changed, and it leaves the rebuilt pages with half a site's worth of state: the search
# index holds only them, and autorefs knows only their anchors. The state below lives
# for the whole `mkdocs serve` process (MkDocs reloads this module's config, plugins and
# possibly the module itself for each rebuild) and fills those gaps.

_SERVE = sys.modules.setdefault("_scribbles_serve_state", ModuleType("_scribbles_serve_state"))
_BUILD: dict[str, Any] = {"rebuilt": set()}  # this build: URLs of the pages converted
_SITE_INPUTS = ("mkdocs.yml", "hooks", "overrides", "includes")  # change => rebuild all
_SCRIBBLES_NAME = re.compile(r"\bscribbles(?:\.\w+)+")


def on_startup(command: str, dirty: bool) -> None:
    _SERVE.__dict__.update(dirty=dirty, last=None)


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    """Watch files with the kernel's notifications instead of MkDocs' polling.

    MkDocs 1.6 polls the watched folders every 0.5 s, so an edit waited 0.25 s on
    average, and up to 0.5 s, before the rebuild even started. The native observer
    (inotify on Linux) reports it at once. MkDocs has scheduled only its own watches
    at this point and starts the observer later; they are moved to the new observer.
    """
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    if Observer is PollingObserver or not hasattr(server, "_watched_paths"):
        return server  # no native observer here, or a MkDocs whose server we do not know
    watched = dict(server._watched_paths)
    polling, server.observer = server.observer, Observer()
    server._watched_paths, server._watch_refs = {}, {}
    try:
        for path, count in watched.items():
            for _ in range(count):
                server.watch(path)
    except OSError as error:  # e.g. the inotify watch limit: keep MkDocs' polling
        log.info(f"file notifications unavailable ({error}); polling for changes")
        server.observer = polling
        server._watched_paths, server._watch_refs = {}, {}
        for path, count in watched.items():
            for _ in range(count):
                server.watch(path)
    return server


def site_inputs_stamp(config: Any, pages: list[str]) -> tuple[Any, ...]:
    """What every page depends on: configuration, hooks, templates, snippets, the nav."""
    root = Path(config["config_file_path"]).parent
    stamps = []
    for name in _SITE_INPUTS:
        paths = [root / name] if (root / name).is_file() else sorted((root / name).rglob("*"))
        for path in paths:
            if path.is_file() and "__pycache__" not in path.parts:
                status = path.stat()
                stamps.append((str(path.relative_to(root)), status.st_mtime_ns, status.st_size))
    return (tuple(stamps), tuple(pages))


def module_facts(name: str, path: Path) -> tuple[bytes, bytes, frozenset[str]]:
    """A module file's code digest (no docstrings), text digest and `scribbles` imports.

    Memoised on the file's modification time and size for the whole `mkdocs serve`
    process, so that a rebuild parses only the files that changed.
    """
    from scribbles.book.cache import _imported_scribbles_modules, code_digest

    memo = _SERVE.__dict__.setdefault("module_facts", {})
    status = path.stat()
    key = (name, str(path), status.st_mtime_ns, status.st_size)
    if key not in memo:
        text = path.read_bytes()
        memo[key] = (
            bytes.fromhex(code_digest(text.decode("utf-8"))),
            hashlib.sha256(text).digest(),
            frozenset(_imported_scribbles_modules(name, path)),
        )
    return memo[key]


def page_dependencies(text: str) -> str:
    """A digest of the `scribbles` code a page's Markdown depends on.

    Every dotted name `scribbles.x.y` in the page (imports in executed blocks, `:::`
    directives, cross-references) counts, with the modules it imports, transitively, as
    the block cache counts them (the code, not the docstrings); a page with `:::`
    directives also depends on the exact text of the modules it documents.
    """
    from scribbles.book.cache import _module_path, module_closure

    names = sorted(set(_SCRIBBLES_NAME.findall(text)))
    named = {".".join(n.split(".")[:i]) for n in names for i in range(2, n.count(".") + 2)}
    documents = re.search(r"^:::", text, flags=re.MULTILINE) is not None
    digest = hashlib.sha256()
    for name in sorted(module_closure(named, lambda name, path: module_facts(name, path)[2])):
        path = _module_path(name)
        assert path is not None
        code, exact, _ = module_facts(name, path)
        digest.update(name.encode() + b"\0" + code)
        if documents and name in named:
            digest.update(exact)
    return digest.hexdigest()


def _page_stamps(pages: list[Any], docs: Path) -> dict[str, str]:
    return {
        f.src_uri: page_dependencies((docs / f.src_uri).read_text(encoding="utf-8-sig"))
        for f in pages
    }


def _always_modified() -> bool:
    return True


def mark_stale_pages(pages: list[Any], config: Any) -> list[str]:
    """In a `--dirty` rebuild, mark the pages an edit outside their Markdown touched.

    Returns the source paths marked. Everything is marked when a site-wide input changed;
    else a page is marked when the `scribbles` code it depends on changed, and pages
    that opt out of the block cache (they read other files) are always rebuilt.
    """
    if not getattr(_SERVE, "dirty", False):
        return []
    docs = Path(config["docs_dir"])
    inputs = site_inputs_stamp(config, [f.src_uri for f in pages])
    stamps = _page_stamps(pages, docs)
    _BUILD.update(inputs=inputs, stamps=stamps)
    last = getattr(_SERVE, "last", None)
    if last is None:
        return []
    everything = inputs != last["inputs"]
    marked = []
    for file in pages:
        path = docs / file.src_uri
        reads_files = bool(_EXEC_FENCE.search(path.read_text(encoding="utf-8-sig")))
        reads_files = reads_files and not executes_cached_blocks(path)
        if everything or reads_files or stamps[file.src_uri] != last["stamps"].get(file.src_uri):
            file.is_modified = _always_modified  # read by MkDocs' --dirty logic
            marked.append(file.src_uri)
    return marked


def keep_compiled_templates(env: jinja2.Environment) -> None:
    """Under `mkdocs serve --dirty`, reuse `env`'s compiled templates across rebuilds."""
    if getattr(_SERVE, "dirty", False):
        env.bytecode_cache = TemplateCodeCache(_SERVE.__dict__.setdefault("templates", {}))


def on_files(files: Any, config: Any) -> Any:
    pages = list(files.documentation_pages())
    mark_stale_pages(pages, config)
    dirty = getattr(_SERVE, "dirty", False)
    if dirty and "mkdocstrings" in config.plugins:  # the API reference's templates
        keep_compiled_templates(config.plugins["mkdocstrings"].get_handler("python").env)
    converted = [f for f in pages if not dirty or f.is_modified()]
    docs = Path(config["docs_dir"])
    start_preexecution(
        [f.src_uri for f in converted if executes_cached_blocks(docs / f.src_uri)], config
    )
    return files


def _autorefs(config: Any) -> Any:
    return config.plugins.get("autorefs")


class TemplateCodeCache(jinja2.BytecodeCache):
    """Compiled Jinja templates kept in memory for the whole `mkdocs serve` process
    (MkDocs makes a new template environment for every rebuild)."""

    def __init__(self, store: dict[str, bytes]) -> None:
        self.store = store

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


def on_env(env: Any, config: Any, files: Any) -> Any:
    keep_compiled_templates(env)  # the theme's templates
    # Before autorefs resolves cross-references (its on_env runs late): in a --dirty
    # rebuild, give it the anchors of the pages that were not rebuilt.
    last = getattr(_SERVE, "last", None)
    autorefs = _autorefs(config)
    if getattr(_SERVE, "dirty", False) and last is not None and autorefs is not None:
        rebuilt = _BUILD["rebuilt"]
        for name in ("_primary_url_map", "_secondary_url_map"):
            current = getattr(autorefs, name)
            for identifier, urls in last[name].items():
                kept = [u for u in urls if u.split("#")[0] not in rebuilt]
                if kept and identifier not in current:
                    current[identifier] = kept
        for identifier, title in last["_title_map"].items():
            autorefs._title_map.setdefault(identifier, title)
    return env


def merge_search_index(
    site: Path, previous: dict[str, Any] | None, rebuilt: set[str]
) -> dict[str, Any] | None:
    """The search index of a --dirty rebuild: the rebuilt pages' entries replace their old
    ones, in the old order; every other page keeps its entries."""
    path = site / "search" / "search_index.json"
    if not path.is_file():
        return previous
    index = json.loads(path.read_text(encoding="utf-8"))
    if previous is None:
        return index
    fresh: dict[str, list[Any]] = {}
    for entry in index["docs"]:
        fresh.setdefault(entry["location"].split("#")[0], []).append(entry)
    docs, placed = [], set()
    for entry in previous["docs"]:
        page = entry["location"].split("#")[0]
        if page not in rebuilt:
            docs.append(entry)
        elif page not in placed:
            docs.extend(fresh.get(page, []))
            placed.add(page)
    for page, entries in fresh.items():
        if page not in placed and page not in {e["location"].split("#")[0] for e in docs}:
            docs.extend(entries)
    merged = {**index, "docs": docs}
    path.write_text(json.dumps(merged, separators=(",", ":")), encoding="utf-8")
    return merged


def remember_build(config: Any) -> None:
    """Keep what the next --dirty rebuild needs (only under `mkdocs serve --dirty`)."""
    if not getattr(_SERVE, "dirty", False):
        return
    last = getattr(_SERVE, "last", None)
    autorefs = _autorefs(config)
    maps = {"_primary_url_map": {}, "_secondary_url_map": {}, "_title_map": {}}
    if autorefs is not None:
        maps = {name: dict(getattr(autorefs, name)) for name in maps}
    index = merge_search_index(
        Path(config["site_dir"]), last and last["search_index"], _BUILD["rebuilt"]
    )
    _SERVE.last = {
        "inputs": _BUILD["inputs"],
        "stamps": _BUILD["stamps"],
        "search_index": index,
        **maps,
    }


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


def install_block_cache() -> None:
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
        from scribbles.book.cache import cache_enabled, read_entry, write_entry

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


def start_block_page(uri: str, meta: dict[str, Any]) -> None:
    """Blocks that run from now on belong to the page `uri` (with front matter `meta`)."""
    _BLOCK_PAGE.update(uri=uri, cache=meta.get("exec_cache", True) is not False)
    _SESSION_CODE.clear()
    _SKIPPED.clear()


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    _FAILED_BLOCKS.count = 0
    _BUILD["rebuilt"].add(page.url)
    worker_seconds = wait_for_preexecution(page.file.src_uri)
    if worker_seconds:
        _WORKER_SECONDS[page.file.src_uri] = worker_seconds
    start_block_page(page.file.src_uri, page.meta)
    _PAGE_STARTED[page.file.src_uri] = time.perf_counter()
    if not page.meta.get("description"):
        page.meta["description"] = describe(markdown) or config["site_description"]
    # Material writes it into content="..." unescaped: a quote in the text would end it.
    page.meta["description"] = html_lib.escape(
        html_lib.unescape(str(page.meta["description"])), quote=True
    )
    if is_chapter(page):
        from scribbles_site.notebooks import chapter_to_notebook

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


_CODE_BLOCK_START = re.compile(r'<pre(?: class="([^"]*)")?>(<span></span>)?<code\b')
COPY_TITLE = "Copy to clipboard"  # Material's English text for its copy button


def prerender_copy_buttons(html: str) -> str:
    """Give every code block the copy button Material would add, in the HTML itself.

    Material's bundle adds the button to each `pre > code` when the page has loaded,
    measuring the block after each insertion: one forced layout per block (on an API
    page, 50 blocks and some 100 ms of main-thread time on a fast machine). Here the
    button is in the page already; Material's clipboard integration, which listens to
    every `[data-clipboard-target]`, copies and announces as before. The block is marked
    `no-copy` so that Material does not add a second button (the class has no other
    effect); builds without these hooks (Zensical) still get Material's buttons. The
    buttons' holder is a `span` where Material's is a `nav`: the HTML parser would not
    accept a `nav` inside a `pre` (Material inserts it with the DOM); its styles are
    those of the class.
    """
    number = 0

    def with_button(match: re.Match[str]) -> str:
        nonlocal number
        number += 1
        classes = " ".join(filter(None, (match[1], "no-copy")))
        button = (
            '<span class="md-code__nav"><button class="md-code__button" '
            f'title="{COPY_TITLE}" data-clipboard-target="pre[data-copy-id=\'{number}\'] > code" '
            'data-md-type="copy"></button></span>'
        )
        return f'<pre class="{classes}" data-copy-id="{number}">{match[2] or ""}{button}<code'

    return _CODE_BLOCK_START.sub(with_button, html)


# A code block's `<code>` and what precedes it in its `<pre>` (a copy button or not).
_CODE_ELEMENT = re.compile(r"(<pre\b[^>]*>(?:(?!</pre>).)*?)<code>(.*?)</code></pre>", re.S)
NARROWEST_CODE_COLUMNS = 40  # characters of code a phone's column shows without scrolling


def focusable_wide_code(html: str) -> str:
    """Make a code block whose longest line may not fit its column focusable.

    An overflowing block must be reachable with the keyboard to be scrolled (axe's
    "scrollable-region-focusable"). In the browser that is decided once the block has
    been laid out (`javascripts/katex-init.js`, and Material when the block comes on
    screen), which for a block far down an API page is late: its docstring is laid out
    only near the screen (`content-visibility`). So a block with a line longer than a
    phone's column gets `tabindex="0"` here, marked as ours (`data-scribbles-scroll`);
    the browser takes it away once it sees the block fit.
    """

    def marked(match: re.Match[str]) -> str:
        text = html_lib.unescape(re.sub(r"<[^>]+>", "", match[2]))
        if max(map(len, text.splitlines() or [""])) <= NARROWEST_CODE_COLUMNS:
            return match[0]
        return f'{match[1]}<code tabindex="0" data-scribbles-scroll>{match[2]}</code></pre>'

    return _CODE_ELEMENT.sub(marked, html)


_SOURCE_LISTING = re.compile(
    r'(<details class="mkdocstrings-source"[^>]*>\s*<summary>.*?</summary>)(.*?)(\s*</details>)',
    re.S,
)


def defer_source_listings(html: str) -> str:
    """Keep the API reference's source listings out of the page's DOM until opened.

    Each listing (a closed `<details>` under a function or class) becomes the content of a
    `<noscript>` in its `<details>`. With scripting on, a browser parses a `noscript`'s
    content as one piece of text: no elements to style or lay out (the listings are half
    of an API page's elements: 8,000 of 18,000 on the diffusion page). When the reader
    opens the listing, `javascripts/source-listings.js` puts the HTML in its place.
    Without scripting, the browser shows the `noscript` content as it is. A page fetched by
    Material's instant navigation is parsed without scripting, so there the listing
    arrives as elements, which the same script moves out of the `noscript`.
    """
    return _SOURCE_LISTING.sub(
        lambda match: (
            f'{match[1]}<noscript class="scribbles-listing">{match[2]}</noscript>{match[3]}'
        ),
        html,
    )


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    # Markdown (and so every block of the page) was converted just before this event.
    started = _PAGE_STARTED.pop(page.file.src_uri, None)
    if started is not None:  # the worker's share of the page counts too
        seconds = time.perf_counter() - started + _WORKER_SECONDS.get(page.file.src_uri, 0.0)
        _PAGE_SECONDS[page.file.src_uri] = seconds
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
    html = focusable_wide_code(prerender_copy_buttons(unwrap_block_paragraphs(html)))
    return defer_source_listings(html)


MATH_FONTS = ("KaTeX_Main-Regular.woff2", "KaTeX_Math-Italic.woff2")
FIRST_SCREEN_CHARACTERS = 12_000  # of HTML after `<article`: roughly a phone's first screen


def preload_math_fonts(output: str, page_url: str) -> str:
    """Ask for KaTeX's two main fonts early on a page with math near its top.

    KaTeX's stylesheet declares `font-display: block`: text set in a KaTeX font waits for
    it, and when it arrives the lines around the formula move (Lighthouse measured a
    layout shift of 0.10-0.15). Preloaded, the fonts come with the stylesheet. Pages whose
    first formula is further down do not preload: there the request would compete with
    the first paint for nothing.
    """
    article, math = output.find("<article"), output.find('class="katex"')
    if article < 0 or math < 0 or math - article > FIRST_SCREEN_CHARACTERS:
        return output
    prefix = "../" * page_url.count("/")
    links = "".join(
        f'<link rel="preload" href="{prefix}assets/katex/fonts/{font}" as="font" '
        'type="font/woff2" crossorigin>'
        for font in MATH_FONTS
    )
    # Before the stylesheets, so that the script at the end of <head> (overrides/main.html)
    # finds them too.
    return output.replace('<link rel="stylesheet"', f'{links}<link rel="stylesheet"', 1)


_PAGE_SCRIPTS = re.compile(
    r'<script src="((?:\.\./)*/?'
    r'(?:assets/javascripts/bundle\.[0-9a-f]+\.min|javascripts/[\w-]+)\.js)">'
)


def defer_page_scripts(output: str) -> str:
    """Load Material's bundle and our own scripts (`javascripts/`) with `defer`.

    Both sit at the end of `<body>`; as plain scripts they stop the parser until they are
    downloaded and run, so the browser cannot paint the page before then (Lighthouse's
    simulated mobile connection put the bundle's download in front of the first paint:
    first contentful paint 2.3 s on the heaviest pages). Deferred, they run in the same
    order once the document is parsed, before `DOMContentLoaded`, as Material expects.
    """
    return _PAGE_SCRIPTS.sub(r'<script src="\1" defer>', output)


def _load_block_heights() -> ModuleType:
    path = Path(__file__).resolve().parent / "block_heights.py"
    spec = importlib.util.spec_from_file_location("scribbles_block_heights", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


block_heights = _load_block_heights()
_ARTICLE_START = '<article class="md-content__inner md-typeset">'


def skip_far_blocks(output: str) -> str:
    """Let the browser skip the article's blocks far below the screen while loading.

    See `hooks/block_heights.py`: each top-level block after the first `<h2>` gets its
    estimated height, and the stylesheet makes it `content-visibility: auto`. Runs after
    the math is rendered, since a formula's height is read from KaTeX's HTML.
    """
    start = output.find(_ARTICLE_START)
    end = output.rfind("</article>")
    if start < 0 or end < start:
        return output
    start += len(_ARTICLE_START)
    return output[:start] + block_heights.mark_skippable_blocks(output[start:end]) + output[end:]


def on_post_page(output: str, page: Any, config: Any) -> str:
    failed = page.file.src_uri in _PAGES_WITH_FAILED_BLOCKS
    if failed and not _flag("SCRIBBLES_SHOW_TRACEBACKS"):
        raise PluginError(
            f"{page.file.src_uri}: an executed block failed and its traceback would be "
            "published; fix the block (the warning above shows the error)"
        )
    output = defer_page_scripts(skip_far_blocks(render_math(output, page.file.src_uri)))
    offline = config.plugins.get("material/offline")
    if offline is None or not offline.config.enabled:  # file:// fetches fonts without CORS
        output = preload_math_fonts(output, page.url)
    return output


def on_post_build(config: Any) -> None:
    # `mkdocs serve` loads this module anew for every rebuild: end this build's renderer.
    _KATEX.close()
    stop_preexecution()
    remember_build(config)
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
