"""The same sources build with Zensical: blocks executed, API reference rendered, math served.

Zensical lives in its own virtual environment, `.venv-zensical` (`make zensical-setup`),
so that it cannot change the main toolchain; the build is driven by
`benchmarks/zensical.py` run with that environment's Python, strictly. The result is
compared with the MkDocs build of the same sources (`built_site`): every page exists in
both, and every chapter shows the same executed figures and tables.
"""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import pytest
from benchmarks.transfer import serve
from playwright.sync_api import Browser

from tests.site.browser_support import assert_math_rendered, served_from, watch
from tests.conftest import BUILD_ENV, DOCS, ROOT, Build
from tests.site.test_site import EXTERNAL_ASSET

pytestmark = pytest.mark.build

ZENSICAL_PYTHON = ROOT / ".venv-zensical" / "bin" / "python"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# markdown-exec names a block's code `<code block: ...>` in the traceback it renders when
# the block raises (doctests in docstrings show "Traceback" too, legitimately).
BLOCK_TRACEBACK = 'File "<code block: '


def plain_text(page_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page_html))


@pytest.fixture(scope="module")
def zensical_site(tmp_path_factory) -> Path:
    if not ZENSICAL_PYTHON.exists():
        pytest.fail("Zensical's environment is missing: run `make zensical-setup` (or `make test`)")
    site = tmp_path_factory.mktemp("zensical") / "site"
    result = subprocess.run(
        [str(ZENSICAL_PYTHON), "-m", "benchmarks.zensical", "--site", str(site)],
        cwd=ROOT,
        env=BUILD_ENV,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if result.returncode != 0:
        pytest.fail(
            f"Zensical build failed:\n{ANSI.sub('', result.stdout + result.stderr)[-6000:]}"
        )
    return site


def built_page(site: Path, source: Path) -> Path:
    relative = source.relative_to(DOCS).with_suffix("")
    if relative.name == "index":
        return site / relative.parent / "index.html"
    return site / relative / "index.html"


def test_zensical_is_the_expected_version_in_its_own_environment():
    assert ZENSICAL_PYTHON.exists(), "run `make zensical-setup`"
    version = subprocess.run(
        [str(ZENSICAL_PYTHON.parent / "zensical"), "--version"], capture_output=True, text=True
    ).stdout.strip()
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(rf"^ZENSICAL_VERSION := {re.escape(version)}$", makefile, re.M), version
    main_venv = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", "import zensical"], capture_output=True
    )
    assert main_venv.returncode != 0, "zensical must not be installed in the main .venv"


def test_every_docs_page_is_built(zensical_site: Path):
    missing = [
        str(source.relative_to(DOCS))
        for source in sorted(DOCS.rglob("*.md"))
        if not built_page(zensical_site, source).is_file()
    ]
    assert missing == []


def test_no_traceback_local_path_or_foreign_asset_reaches_a_page(zensical_site: Path):
    # Our MkDocs hook stops a build whose block failed; Zensical ignores hooks, so this
    # test is the guard for the Zensical build.
    problems = []
    for page in sorted(zensical_site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(zensical_site)
        if BLOCK_TRACEBACK in plain_text(text):
            problems.append(f"{name}: an executed block raised")
        if str(ROOT) in text:
            problems.append(f"{name}: leaks a local path")
        if EXTERNAL_ASSET.search(text):
            problems.append(f"{name}: {EXTERNAL_ASSET.search(text)[0]}")
    assert problems == []


def executed_output(page: Path) -> dict[str, int]:
    text = page.read_text(encoding="utf-8")
    article = text[text.find("<article") : text.find("</article>")]
    return {
        "figures": article.count('<figure class="scribbles-figure"'),  # (attributes may follow)
        "tables": article.count("<table"),
        "math": article.count('class="arithmatex"'),
    }


def test_chapters_show_the_same_executed_output_as_the_mkdocs_build(
    zensical_site: Path, built_site: Build
):
    differences = {}
    figures = 0
    for source in sorted(DOCS.rglob("*.md")):
        if source.relative_to(DOCS).parts[0] == "reference":
            continue
        ours = executed_output(built_page(built_site.site, source))
        theirs = executed_output(built_page(zensical_site, source))
        figures += theirs["figures"]
        if ours != theirs:
            differences[str(source.relative_to(DOCS))] = {"mkdocs": ours, "zensical": theirs}
    assert differences == {}
    assert figures > 10


def test_api_reference_is_rendered_with_signatures_math_examples_and_crossrefs(
    zensical_site: Path,
):
    page = (zensical_site / "reference" / "deep" / "attention" / "index.html").read_text()
    assert 'id="scribbles.deep.attention.scaled_dot_product_attention"' in page
    assert "doc-signature" in page
    assert "arithmatex" in page  # the docstring's LaTeX is passed to KaTeX
    assert "&gt;&gt;&gt;" in page  # the Examples doctest is shown
    chapter = (zensical_site / "deep" / "attention" / "index.html").read_text()
    assert re.search(
        r'href="[./]*reference/deep/attention/#scribbles\.deep\.attention\.scaled_dot_product_attention"',
        chapter,
    )


def test_every_module_documented_for_mkdocs_is_documented_for_zensical(
    zensical_site: Path, built_site: Build
):
    def ids(site: Path) -> set[str]:
        found: set[str] = set()
        for page in (site / "reference").rglob("index.html"):
            found |= set(re.findall(r'id="(scribbles(?:\.\w+)+)"', page.read_text()))
        return found

    mkdocs_ids = ids(built_site.site)
    assert len(mkdocs_ids) > 50
    assert sorted(mkdocs_ids - ids(zensical_site)) == []


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/deep/attention/", "/reference/deep/attention/"])
def test_zensical_pages_render_math_without_errors(zensical_site: Path, browser: Browser, path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        with serve(zensical_site) as base:
            problems = watch(page, served_from(base)).all()
            page.goto(base + path, wait_until="networkidle")
            assert_math_rendered(page)
            assert page.locator("article .arithmatex .katex").count() > 0
            assert problems == []
    finally:
        context.close()
