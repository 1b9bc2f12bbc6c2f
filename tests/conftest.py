"""Shared fixtures: one strict build of the whole site per test session, and a server."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
MKDOCS = [sys.executable, "-m", "mkdocs"]
BUILD_ENV = {
    **os.environ,
    "NO_MKDOCS_2_WARNING": "1",
    "DISABLE_MKDOCS_2_WARNING": "true",
    "PYTHONHASHSEED": "0",
}


@dataclass(frozen=True)
class Build:
    site: Path
    returncode: int
    log: str


def run_build(site_dir: Path, *extra: str, env: dict[str, str] | None = None, cwd=ROOT) -> Build:
    """Run `mkdocs build --strict` (never -q) into `site_dir` and capture its log."""
    result = subprocess.run(
        [*MKDOCS, "build", "--strict", "--clean", "-d", str(site_dir), *extra],
        cwd=cwd,
        env={**BUILD_ENV, **(env or {})},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return Build(site_dir, result.returncode, result.stdout + result.stderr)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Build:
    """The whole site, built strictly once for the session."""
    build = run_build(tmp_path_factory.mktemp("site") / "site")
    if build.returncode != 0:
        pytest.fail(f"strict build failed:\n{build.log[-6000:]}")
    return build


def page_urls() -> list[str]:
    """URL path of every page, derived from docs/ (directory URLs), plus the 404 page."""
    urls = []
    for source in sorted(DOCS.rglob("*.md")):
        relative = source.relative_to(DOCS).with_suffix("")
        if relative.name == "index":
            relative = relative.parent
        urls.append("/" if str(relative) == "." else f"/{relative.as_posix()}/")
    return [*urls, "/404.html"]


SITE_URL = "https://scribbles.example.org/"  # mkdocs.yml's site_url


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site as its host would, at the origin its sitemap names.

    Material's instant navigation only intercepts links listed in `sitemap.xml`, whose
    URLs start with `site_url`; the test server answers with its own origin there, as
    the real host does with its own.
    """

    def do_GET(self) -> None:
        if self.path.split("?")[0] != "/sitemap.xml":
            super().do_GET()
            return
        origin = f"http://{self.headers['Host']}/"
        body = (Path(self.directory) / "sitemap.xml").read_bytes()
        body = body.replace(SITE_URL.encode(), origin.encode())
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture(scope="session")
def site_server(built_site) -> Iterator[str]:
    """Serve the built site on 127.0.0.1 (an ephemeral port); yields the base URL."""
    handler = functools.partial(_SiteHandler, directory=str(built_site.site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    """One Debian Chromium for every browser test of the session (Playwright's sync API
    allows a single running instance per thread)."""
    from tests.site.browser_support import chromium

    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    """A fresh browser context (no cache, no storage) and page for one test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()
