"""The layout: package, tests and API reference mirror the book, and the package stands alone."""

from __future__ import annotations

import pkgutil
import posixpath
import re
import subprocess
import sys

import yaml

import scribbles
from scribbles_site.sources import _page_title, chapters_using
from tests.conftest import DOCS, ROOT

PARTS = ("learning", "classical", "deep", "generative", "systems")
# Installed by the `docs` and `test` extras, never needed by the reader's package.
SITE_ONLY = (
    "mkdocs", "markdown", "pymdownx", "material", "mkdocstrings", "markdown_exec", "griffe",
    "nbformat", "nbclient", "jinja2", "yaml", "pytest", "hypothesis", "playwright",
    "scribbles_site",
)  # fmt: skip


def public_modules() -> list[str]:
    names = ["scribbles"]
    for module in pkgutil.walk_packages(scribbles.__path__, prefix="scribbles."):
        if not any(part.startswith("_") for part in module.name.split(".")):
            names.append(module.name)
    return names


def module_file(name: str) -> str:
    """`scribbles.deep.attention` -> `deep/attention` (a package or a module)."""
    return "/".join(name.split(".")[1:])


def test_every_public_module_imports_with_the_runtime_dependencies_alone():
    blocker = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        f"        if name.split('.')[0] in {SITE_ONLY!r}:\n"
        "            raise ImportError(f'site-only package imported: {name}')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import importlib\n"
        f"for name in {public_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print('imported', len(sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", blocker], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("imported")


def test_every_chapter_has_its_module_named_after_it():
    for part in PARTS:
        for chapter in sorted((DOCS / part).glob("*.md")):
            name = chapter.stem.replace("-", "_")
            package = ROOT / "src" / "scribbles" / part
            assert (package / f"{name}.py").is_file() or (
                package / name / "__init__.py"
            ).is_file(), f"{chapter.relative_to(ROOT)} has no module scribbles.{part}.{name}"


def test_every_module_has_a_test_file_in_the_mirrored_place():
    missing = []
    for name in public_modules():
        parts = name.split(".")[1:]
        if not parts or (ROOT / "src" / "scribbles" / "/".join(parts) / "__init__.py").is_file():
            if len(parts) <= 1:  # the package and its parts hold docstrings only
                continue
        test = ROOT / "tests" / "/".join(parts[:-1]) / f"test_{parts[-1]}.py"
        if not test.is_file():
            missing.append(f"{name} -> {test.relative_to(ROOT)}")
    assert missing == [], missing


def test_every_public_module_has_a_reference_page_of_its_own():
    documented: dict[str, list[str]] = {}
    for page in (DOCS / "reference").rglob("*.md"):
        for name in re.findall(r"^::: (scribbles(?:\.\w+)*)\s*$", page.read_text(), re.M):
            documented.setdefault(name, []).append(page.relative_to(DOCS).as_posix())
    missing = sorted(set(public_modules()) - set(documented))
    assert missing == [], f"public modules without an API reference: {missing}"
    pages = [page for pages in documented.values() for page in pages]
    shared = sorted({page for page in pages if pages.count(page) > 1})
    assert shared == [], f"reference pages documenting several modules: {shared}"


def test_every_module_has_its_reference_page_in_the_mirrored_place():
    for name in public_modules():
        page = DOCS / "reference" / f"{module_file(name) or 'package'}.md"
        assert page.is_file(), f"{name} has no page {page.relative_to(ROOT)}"
        assert re.search(rf"^::: {re.escape(name)}$", page.read_text(), re.M), page


def _nav_titles() -> dict[str, str]:
    titles: dict[str, str] = {}

    def walk(items):
        for item in items:
            for title, value in item.items():
                if isinstance(value, str):
                    titles[value] = title
                else:
                    walk(value)

    walk(yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)["nav"])
    return titles


def test_every_reference_page_names_the_chapters_that_use_its_module():
    titles, modules = _nav_titles(), public_modules()
    for name in modules:
        if name in ("scribbles", "scribbles.book"):
            continue
        page = f"reference/{module_file(name)}.md"
        part_page = name.count(".") == 1
        submodules = set() if part_page else {m for m in modules if m.startswith(name + ".")}
        users = chapters_using(DOCS, name, submodules)
        text = (DOCS / page).read_text()
        line = next((s for s in text.splitlines() if s.startswith(("Used in", "Used by"))), "")
        if name.startswith("scribbles.book.") and len(users) > 10:
            assert line == "Used by almost every chapter.", page
            continue
        linked = re.findall(r"\]\(([^)]+)\)", line)
        expected = [
            posixpath.relpath(u.relative_to(DOCS).as_posix(), posixpath.dirname(page))
            for u in users
        ]
        assert sorted(linked) == sorted(expected), f"{page}: {line!r}, chapters {expected}"
        for user in users:  # the link text is the chapter's title in the navigation
            title = titles.get(user.relative_to(DOCS).as_posix(), _page_title(user))
            assert f"[{title}]" in line, (page, title)
