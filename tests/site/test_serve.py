"""`make serve` (MkDocs' server with `--dirty`, as the Makefile runs it) shows every edit.

A small site with the real configuration, served from a copy of `src/` so that the test
can edit the package: an edit to a chapter's prose, to the code its executed block runs
and to a docstring shown by the API reference each reach the served pages, without a
restart; and a `--dirty` rebuild keeps the whole search index and every cross-reference.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from benchmarks.serve_reload import SERVE_OPTIONS, fetch, free_port, serving, wait_until

from tests.conftest import ROOT
from tests.site.test_site import SRC, EnvDumper, EnvLoader, mini_site

pytestmark = pytest.mark.build

CHAPTER = """
    # Chapter

    The reference documents [`markdown_table`][scribbles.book.tables.markdown_table].

    ```python exec="on"
    import scribbles.book.tables as tables

    print(getattr(tables, "PROBE", "no probe yet"))
    ```
"""
REFERENCE = """
    # Reference

    ::: scribbles.book.tables
"""


def served_site(tmp_path: Path) -> tuple[Path, Path]:
    """The mini site (chapter + reference page) and its own copy of the package."""
    root = mini_site(tmp_path, CHAPTER, {"reference.md": REFERENCE})
    source = tmp_path / "src"
    shutil.copytree(SRC, source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    config = yaml.load((root / "mkdocs.yml").read_text(), Loader=EnvLoader)  # keeps !ENV
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "mkdocstrings" in plugin:
            plugin["mkdocstrings"]["handlers"]["python"]["paths"] = [str(source)]
    config["watch"] = [str(source)]
    (root / "mkdocs.yml").write_text(yaml.dump(config, Dumper=EnvDumper))
    return root, source


def test_serve_shows_prose_code_and_docstring_edits_with_a_complete_site(tmp_path):
    root, source = served_site(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"PYTHONPATH": str(source), "SCRIBBLES_CACHE_DIR": str(tmp_path / "cache")}
    tables = source / "scribbles" / "book" / "tables.py"
    with serving(root, port, tmp_path / "serve.log", SERVE_OPTIONS, env) as server:
        wait_until(base + "/", lambda html: "no probe yet" in html, 600, server)

        # Prose: only the chapter is rebuilt; its link and the search index stay whole.
        chapter = root / "docs" / "index.md"
        chapter.write_text(chapter.read_text() + "\nA sentence added while serving.\n")
        html = _wait(base + "/", "A sentence added while serving.", server, tmp_path)
        assert re.search(r'href="reference/#scribbles\.book\.tables\.markdown_table"', html), html
        index = json.loads(fetch(base + "/search/search_index.json") or "{}")
        locations = {entry["location"].split("#")[0] for entry in index["docs"]}
        assert {"", "reference/"} <= locations, locations
        assert any("A sentence added while serving." in e["text"] for e in index["docs"])

        # Code: the executed block runs against the package as it is now.
        tables.write_text(tables.read_text() + '\nPROBE = "the package was edited"\n')
        _wait(base + "/", "the package was edited", server, tmp_path)

        # Docstring: the reference shows it (nothing cached depends on docstrings).
        first, rest = tables.read_text().split("\n", 1)
        tables.write_text(f"{first} Edited while serving.\n{rest}")
        _wait(base + "/reference/", "Edited while serving.", server, tmp_path)
        assert "the package was edited" in (fetch(base + "/") or "")


def _wait(url: str, text: str, server, tmp_path: Path) -> str:
    try:
        wait_until(url, lambda html: text in html, 300, server)
    except TimeoutError:
        pytest.fail(
            f"{text!r} never reached {url}:\n{(tmp_path / 'serve.log').read_text()[-4000:]}"
        )
    return fetch(url) or ""


def test_make_serve_uses_the_options_the_test_checks():
    makefile = (ROOT / "Makefile").read_text()
    (line,) = [line for line in makefile.splitlines() if "mkdocs serve" in line]
    for option in SERVE_OPTIONS:
        assert option in line.split(), line
