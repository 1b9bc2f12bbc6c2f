r"""`mkdocs serve`: the package as it is on disk, and rebuilds of only what an edit touches.

- **Live package**: before every build, the `scribbles` modules are dropped from
  `sys.modules` when a file of the package changed since the last build of this
  process, so that executed blocks run against the code as it is now.
- **Dirty rebuilds**: `make serve` runs `mkdocs serve --dirty`. MkDocs' `--dirty`
  rebuilds a page only when its Markdown is newer than its HTML. That misses pages whose
  executed blocks or `:::` directives read a `scribbles` module that changed, and it
  leaves the rebuilt pages with half a site's worth of state: the search index holds
  only them, and autorefs knows only their anchors.
  [`ServeState`][scribbles_site.serving.ServeState] fills those gaps: a page is marked
  for rebuilding when the `scribbles` code it names changed,
  everything is when a site-wide input did, the search index is merged, and
  autorefs gets the anchors of the pages that were not rebuilt.
- **File notifications**: MkDocs 1.6 polls the watched folders every 0.5 s; the native
  observer (inotify on Linux) reports an edit at once.
- **Compiled templates** are kept for the whole process (MkDocs makes a new Jinja
  environment for every rebuild).

The state lives on the plugin instance, which MkDocs keeps for the whole `mkdocs serve`
process because the plugin has an `on_startup` event. The plugin's own code is not
reloaded: restart `make serve` after editing `src/scribbles_site/`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache

__all__ = ["ServeState", "TemplateCodeCache", "merge_search_index", "package_stamp"]

log = logging.getLogger("mkdocs.plugins.scribbles")

SITE_INPUTS = ("mkdocs.yml", "overrides", "includes")  # a change => rebuild everything
_SCRIBBLES_NAME = re.compile(r"\bscribbles(?:\.\w+)+")


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


class TemplateCodeCache(jinja2.BytecodeCache):
    """Compiled Jinja templates kept in memory for the whole `mkdocs serve` process."""

    def __init__(self, store: dict[str, bytes]) -> None:
        self.store = store

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


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


def _always_modified() -> bool:
    return True


@dataclass
class ServeState:
    """What one `mkdocs serve` process keeps from build to build.

    Attributes:
        dirty: MkDocs was started with `--dirty`.
        last: what the previous build left for the next (None before the first build).
        package: the `scribbles` source files' stamps at the last import.
        module_facts: per module file, its code digest, text digest and imports.
        templates: compiled Jinja templates.
        rebuilt: URLs of the pages converted in the current build.
    """

    dirty: bool = False
    last: dict[str, Any] | None = None
    package: tuple[tuple[str, int, int], ...] | None = None
    module_facts: dict[tuple[str, str, int, int], Any] = field(default_factory=dict)
    templates: dict[str, bytes] = field(default_factory=dict)
    rebuilt: set[str] = field(default_factory=set)
    _pending: dict[str, Any] = field(default_factory=dict)

    def reload_package_if_changed(self) -> None:
        """Drop the `scribbles` modules when a file of the package changed."""
        stamp = package_stamp()
        if stamp != self.package:
            for name in [m for m in sys.modules if m == "scribbles" or m.startswith("scribbles.")]:
                del sys.modules[name]
            self.package = stamp

    # --- which pages an edit touches ------------------------------------------------

    def _module_facts(self, name: str, path: Path) -> tuple[bytes, bytes, frozenset[str]]:
        """A module file's code digest (no docstrings), text digest and `scribbles`
        imports, memoised on the file's modification time and size."""
        from scribbles.book.cache import _imported_scribbles_modules, code_digest

        status = path.stat()
        key = (name, str(path), status.st_mtime_ns, status.st_size)
        if key not in self.module_facts:
            text = path.read_bytes()
            self.module_facts[key] = (
                bytes.fromhex(code_digest(text.decode("utf-8"))),
                hashlib.sha256(text).digest(),
                frozenset(_imported_scribbles_modules(name, path)),
            )
        return self.module_facts[key]

    def page_dependencies(self, text: str) -> str:
        """A digest of the `scribbles` code a page's Markdown depends on.

        Every dotted name `scribbles.x.y` in the page (imports in executed blocks, `:::`
        directives, cross-references) counts, with the modules it imports, transitively,
        as the block cache counts them (the code, not the docstrings); a page with `:::`
        directives also depends on the exact text of the modules it documents.
        """
        from scribbles.book.cache import _module_path, module_closure

        names = sorted(set(_SCRIBBLES_NAME.findall(text)))
        named = {".".join(n.split(".")[:i]) for n in names for i in range(2, n.count(".") + 2)}
        documents = re.search(r"^:::", text, flags=re.MULTILINE) is not None
        digest = hashlib.sha256()
        closure = module_closure(named, lambda name, path: self._module_facts(name, path)[2])
        for name in sorted(closure):
            path = _module_path(name)
            assert path is not None
            code, exact, _ = self._module_facts(name, path)
            digest.update(name.encode() + b"\0" + code)
            if documents and name in named:
                digest.update(exact)
        return digest.hexdigest()

    @staticmethod
    def site_inputs_stamp(config: Any, pages: list[str]) -> tuple[Any, ...]:
        """What every page depends on: configuration, templates, snippets, the nav."""
        root = Path(config["config_file_path"]).parent
        stamps = []
        for name in SITE_INPUTS:
            paths = [root / name] if (root / name).is_file() else sorted((root / name).rglob("*"))
            for path in paths:
                if path.is_file() and "__pycache__" not in path.parts:
                    status = path.stat()
                    stamps.append((str(path.relative_to(root)), status.st_mtime_ns, status.st_size))
        return (tuple(stamps), tuple(pages))

    def mark_stale_pages(self, pages: list[Any], config: Any, reads_files: Any) -> list[str]:
        """In a `--dirty` rebuild, mark the pages an edit outside their Markdown touched.

        Returns the source paths marked. Everything is marked when a site-wide input
        changed; else a page is marked when the `scribbles` code it depends on changed,
        and pages for which `reads_files(path)` is true (their blocks read other files)
        are always rebuilt.
        """
        self.rebuilt = set()
        if not self.dirty:
            return []
        docs = Path(config["docs_dir"])
        inputs = self.site_inputs_stamp(config, [f.src_uri for f in pages])
        stamps = {
            f.src_uri: self.page_dependencies((docs / f.src_uri).read_text(encoding="utf-8-sig"))
            for f in pages
        }
        self._pending = {"inputs": inputs, "stamps": stamps}
        if self.last is None:
            return []
        everything = inputs != self.last["inputs"]
        marked = []
        for file in pages:
            changed = stamps[file.src_uri] != self.last["stamps"].get(file.src_uri)
            if everything or changed or reads_files(docs / file.src_uri):
                file.is_modified = _always_modified  # read by MkDocs' --dirty logic
                marked.append(file.src_uri)
        return marked

    # --- state kept whole across a dirty rebuild --------------------------------------

    def keep_compiled_templates(self, env: jinja2.Environment) -> None:
        """Under `mkdocs serve --dirty`, reuse `env`'s compiled templates across rebuilds."""
        if self.dirty:
            env.bytecode_cache = TemplateCodeCache(self.templates)

    def restore_anchors(self, autorefs: Any) -> None:
        """Give autorefs the anchors of the pages this dirty rebuild did not convert.

        Runs before autorefs resolves cross-references (its `on_env` runs late).
        """
        if not self.dirty or self.last is None or autorefs is None:
            return
        for name in ("_primary_url_map", "_secondary_url_map"):
            current = getattr(autorefs, name)
            for identifier, urls in self.last[name].items():
                kept = [u for u in urls if u.split("#")[0] not in self.rebuilt]
                if kept and identifier not in current:
                    current[identifier] = kept
        for identifier, title in self.last["_title_map"].items():
            autorefs._title_map.setdefault(identifier, title)

    def remember_build(self, site: Path, autorefs: Any) -> None:
        """Keep what the next --dirty rebuild needs (only under `mkdocs serve --dirty`)."""
        if not self.dirty:
            return
        maps: dict[str, dict[str, Any]] = {
            "_primary_url_map": {},
            "_secondary_url_map": {},
            "_title_map": {},
        }
        if autorefs is not None:
            maps = {name: dict(getattr(autorefs, name)) for name in maps}
        previous = self.last["search_index"] if self.last else None
        index = merge_search_index(site, previous, self.rebuilt)
        self.last = {**self._pending, "search_index": index, **maps}


def use_native_observer(server: Any) -> Any:
    """Watch files with the kernel's notifications instead of MkDocs' polling.

    MkDocs has scheduled only its own watches at this point and starts the observer
    later; they are moved to the new observer.
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
