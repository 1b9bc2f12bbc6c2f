"""The offline copy (`make offline`) works from file:// with no server and no other host.

The variant is built and zipped with `benchmarks/offline.py`'s own functions, the zip is
unpacked into a temporary directory, and every page is opened from `file://` in Debian's
Chromium. Every request is routed: anything but `file:`, `data:`, `blob:` or `about:` is
recorded and aborted, so a CDN script or a font from another host fails the test.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from benchmarks.offline import build_offline, zip_site
from playwright.sync_api import Page

from tests.conftest import DOCS
from tests.site.browser_support import assert_math_rendered, from_files, watch
from tests.site.test_site import EXTERNAL_ASSET

pytestmark = [pytest.mark.build, pytest.mark.browser]

PAGE_LOAD_TIMEOUT_MS = 60_000


def offline_pages() -> list[str]:
    """Every page as the offline copy names it (no directory URLs): `deep/attention.html`."""
    return [
        source.relative_to(DOCS).with_suffix(".html").as_posix()
        for source in sorted(DOCS.rglob("*.md"))
    ]


@dataclass(frozen=True)
class OfflineCopy:
    root: Path  # the unpacked `scribbles/` folder
    archive: Path


@pytest.fixture(scope="module")
def offline_copy(tmp_path_factory) -> OfflineCopy:
    scratch = tmp_path_factory.mktemp("offline")
    site = scratch / "site-offline"
    build_offline(site)
    archive = scratch / "dist" / "scribbles-offline.zip"
    zip_site(site, archive)
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(scratch / "unpacked")
    return OfflineCopy(scratch / "unpacked" / "scribbles", archive)


def html_pages(root: Path) -> list[str]:
    """Every page of the copy but 404.html, which only a server shows (its links are
    absolute from the site root, by design) and which file:// never needs."""
    return [
        p.relative_to(root).as_posix() for p in sorted(root.rglob("*.html")) if p.name != "404.html"
    ]


def test_zip_holds_the_whole_site_with_fixed_dates(offline_copy: OfflineCopy, tmp_path):
    with zipfile.ZipFile(offline_copy.archive) as bundle:
        infos = bundle.infolist()
    names = {info.filename for info in infos}
    assert {"scribbles/index.html", "scribbles/search/search_index.js"} <= names
    assert "scribbles/assets/iframe-worker/shim.js" in names
    assert {info.date_time for info in infos} == {(2026, 1, 1, 0, 0, 0)}
    again = tmp_path / "again.zip"
    zip_site(offline_copy.root, again)  # same files, same bytes
    assert again.read_bytes() == offline_copy.archive.read_bytes()


def test_pages_are_files_and_load_nothing_from_another_host(offline_copy: OfflineCopy):
    pages = html_pages(offline_copy.root)
    assert "deep/attention.html" in pages  # no directory URLs: file:// has no index lookup
    for name in pages:
        text = (offline_copy.root / name).read_text(encoding="utf-8")
        assert "unpkg.com" not in text, name  # the offline plugin's default shim
        assert not EXTERNAL_ASSET.search(text), f"{name}: {EXTERNAL_ASSET.search(text)[0]}"


@pytest.mark.parametrize(
    "name", ["index.html", "deep/attention.html", "reference/deep/attention.html"]
)
def test_page_opens_from_file_without_errors_and_renders_math(
    offline_copy: OfflineCopy, page: Page, name: str
):
    traffic = watch(page, from_files)
    page.goto((offline_copy.root / name).as_uri(), wait_until="load")
    page.wait_for_load_state("networkidle")  # late requests (search worker, fonts)
    assert_math_rendered(page)
    assert page.locator("article .arithmatex .katex").count() > 0
    assert traffic.all() == []
    assert all(from_files(url) for url in traffic.requests)
    # Math was rendered at build time: KaTeX's scripts are not needed, so not loaded.
    assert not any(url.endswith("katex.min.js") for url in traffic.requests)


@pytest.mark.parametrize("name", offline_pages())
def test_every_page_opens_from_file_without_errors(
    offline_copy: OfflineCopy, page: Page, name: str
):
    assert (offline_copy.root / name).is_file(), f"{name} is not in the offline copy"
    traffic = watch(page, from_files)
    page.goto((offline_copy.root / name).as_uri(), wait_until="load", timeout=PAGE_LOAD_TIMEOUT_MS)
    # Late requests (the favicon, fonts) are waited for, not cut short.
    page.wait_for_load_state("networkidle", timeout=PAGE_LOAD_TIMEOUT_MS)
    assert_math_rendered(page)
    assert traffic.all() == []
    assert all(from_files(url) for url in traffic.requests)


def test_search_works_offline(offline_copy: OfflineCopy, page: Page):
    traffic = watch(page, from_files)
    page.goto((offline_copy.root / "index.html").as_uri(), wait_until="load")
    page.keyboard.press("s")  # Material's search shortcut
    # The index (search/search_index.js) is built in the iframe worker first; a query
    # typed before the worker is ready is dropped, as it is for a reader.
    page.wait_for_function(
        "() => !document.querySelector('.md-search-result__meta')"
        ".textContent.includes('Initializing')",
        timeout=60_000,
    )
    page.keyboard.type("softmax")  # keystrokes: Material reads the query on keyup
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=20_000)
    hrefs = [results.nth(i).get_attribute("href") or "" for i in range(results.count())]
    assert any("deep/attention.html" in href for href in hrefs), hrefs
    assert any(url.endswith("search/search_index.js") for url in traffic.requests)
    assert any(url.endswith("assets/iframe-worker/shim.js") for url in traffic.requests)
    attention = next(href for href in hrefs if "deep/attention.html" in href)
    page.click(f".md-search-result__item a[href='{attention}']")
    page.wait_for_url("**/deep/attention.html*")
    page.wait_for_selector("article .arithmatex .katex")
    assert traffic.all() == []


def test_navigation_between_pages_works_from_file(offline_copy: OfflineCopy, page: Page):
    traffic = watch(page, from_files)
    page.goto((offline_copy.root / "index.html").as_uri(), wait_until="load")
    # Late requests (the favicon) finish before the click: leaving the page would abort
    # them, which the watcher reports as a failed request (it did once in a clean run).
    page.wait_for_load_state("networkidle", timeout=PAGE_LOAD_TIMEOUT_MS)
    page.locator("article a[href$='deep/attention.html']").first.click()
    page.wait_for_url("**/deep/attention.html")
    page.wait_for_selector("article .arithmatex .katex")
    assert_math_rendered(page)
    assert traffic.all() == []
