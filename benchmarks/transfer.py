"""`make bench`: bytes of the built site, and bytes a first visit to each page transfers.

Every page is opened in a fresh browser context (empty cache) in Debian's Chromium,
driven by Playwright, from the site served on 127.0.0.1. Every response is recorded
(requests made by the search worker included) from the start until the page has loaded,
the network is idle and the search index has come (or 2 s have passed: the site
requests it only when the reader opens search); each one is
counted as a server would send it: gzip-compressed (level 6, zlib's and Apache's default)
when that makes it smaller, as is for already-compressed files (woff2 fonts,
PNG). HTTP headers are not counted. A page that has not loaded within 120 s is flagged
(`"loaded": false`) with what it had requested by then.

Run alone: `python -m benchmarks.transfer SITE_DIR` prints the table.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import io
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--disable-gpu", "--disable-quic"]
GZIP_LEVEL = 6
SEARCH_INDEX = "/search/search_index.json"
SEARCH_INDEX_WAIT_S = 2
LOAD_TIMEOUT_MS = 120_000


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip-compressed when the client accepts it and it makes them smaller.

    As GitHub Pages or a default nginx/Apache set-up would send them, so that Lighthouse
    sees realistic transfer sizes (Python's plain handler never compresses).
    """

    def send_head(self):
        if "gzip" not in self.headers.get("Accept-Encoding", ""):
            return super().send_head()
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not urlparse(self.path).path.endswith("/"):
                return super().send_head()  # the redirect to the directory URL
            path = path / "index.html"
        if not path.is_file():
            return super().send_head()  # the 404
        raw, sent = sent_bytes(path)
        if sent >= raw:
            return super().send_head()
        body = gzip_body(path)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args) -> None:
        pass


@contextlib.contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve `site` on 127.0.0.1 (a free port), gzip-compressed; yield the base URL."""
    handler = functools.partial(GzipHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def page_urls(site: Path) -> list[str]:
    """URL path of every page of the built site (directory URLs; the 404 page excluded)."""
    urls = []
    for page in sorted(site.rglob("index.html")):
        relative = page.parent.relative_to(site).as_posix()
        urls.append("/" if relative == "." else f"/{relative}/")
    return urls


@functools.cache
def gzip_body(path: Path) -> bytes:
    return gzip.compress(path.read_bytes(), GZIP_LEVEL, mtime=0)


@functools.cache
def sent_bytes(path: Path) -> tuple[int, int]:
    """(raw, as sent) bytes of a file: gzip-compressed if that is smaller."""
    size = path.stat().st_size
    return size, min(size, len(gzip_body(path)))


def local_file(site: Path, url: str) -> Path:
    path = site / unquote(urlparse(url).path).lstrip("/")
    return path / "index.html" if path.is_dir() else path


def site_bytes(site: Path) -> int:
    return sum(path.stat().st_size for path in site.rglob("*") if path.is_file())


def first_visit(browser, base: str, site: Path, url: str) -> dict[str, object]:
    """Open `url` in a fresh context; return the bytes and requests of the first visit."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requested: list[str] = []
    foreign: list[str] = []
    host = urlparse(base).netloc

    def record(response) -> None:
        if urlparse(response.url).netloc == host:
            requested.append(response.url)
        elif not response.url.startswith(("data:", "blob:")):
            foreign.append(response.url)

    context.on("response", record)
    loaded = True
    try:
        page = context.new_page()
        # `load`: every resource of the HTML is in, and the scripts have run (a very heavy
        # page can reach "network idle" while its HTML is still being parsed).
        page.goto(base + url, wait_until="load", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_load_state("networkidle", timeout=LOAD_TIMEOUT_MS)
        # Material's search fetches its index once its scripts are set up; wait for it
        # (bounded: a site that loads the index on demand never requests it).
        for _ in range(SEARCH_INDEX_WAIT_S * 10):
            if any(request.endswith(SEARCH_INDEX) for request in requested):
                break
            page.wait_for_timeout(100)
        page.wait_for_load_state("networkidle", timeout=LOAD_TIMEOUT_MS)
    except PlaywrightTimeoutError:
        loaded = False  # what was requested so far is counted; the page is flagged
    finally:
        context.close()
    raw = gzipped = 0
    assets = []
    for request in requested:
        path = local_file(site, request)
        if not path.is_file():  # a 404 (its small error page is not counted)
            continue
        size, sent = sent_bytes(path)
        raw += size
        gzipped += sent
        assets.append((sent, urlparse(request).path))
    assets.sort(reverse=True)
    return {
        "loaded": loaded,
        "search_index_loaded": any(r.endswith(SEARCH_INDEX) for r in requested),
        "raw": raw,
        "gzip": gzipped,
        "requests": len(requested),
        "foreign_requests": foreign,
        "heaviest": [f"{path} ({sent / 1000:.0f} KB)" for sent, path in assets[:5]],
    }


def measure(site: Path, verbose: bool = True) -> dict[str, object]:
    """Return `site_bytes`, `first_visit_bytes` ({page: gzip bytes}) and the detail."""
    from playwright.sync_api import sync_playwright

    detail: dict[str, dict[str, object]] = {}
    with serve(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for url in page_urls(site):
                detail[url] = first_visit(browser, base, site, url)
                if verbose:
                    flag = "" if detail[url]["loaded"] else "  (did not finish loading)"
                    print(f"  {detail[url]['gzip'] / 1000:7.1f} KB gzip  {url}{flag}")
        finally:
            browser.close()
    return {
        "site_bytes": site_bytes(site),
        "first_visit_bytes": {url: numbers["gzip"] for url, numbers in detail.items()},
        "first_visit_detail": detail,
    }


def main() -> None:
    site = Path(sys.argv[1])
    results = measure(site)
    print(f"site: {results['site_bytes'] / 1e6:.1f} MB")
    worst = sorted(results["first_visit_detail"].items(), key=lambda item: -item[1]["gzip"])
    for url, numbers in worst[:5]:
        print(url, numbers["heaviest"])


if __name__ == "__main__":
    main()
