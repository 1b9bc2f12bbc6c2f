"""Helpers shared by the tests that drive Debian's Chromium (served site, file://, Zensical).

Chromium is Debian's (`/usr/bin/chromium`, installed by `make setup`); Playwright only
drives it (`playwright install` is never run).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlparse

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium for the duration of the block."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--disable-gpu", "--disable-quic"]
        )
        try:
            yield browser
        finally:
            browser.close()


def assert_math_rendered(page: Page, timeout_ms: int = 60_000) -> None:
    """Every arithmatex element holds KaTeX, no KaTeX error, no raw delimiter in the text.

    Pages built by MkDocs carry rendered math already; `docs/javascripts/katex-init.js`
    renders what a build without our hooks left as TeX, then marks
    `<body data-math-rendered>`, which is waited for.
    """
    page.wait_for_selector("body[data-math-rendered]", state="attached", timeout=timeout_ms)
    state = page.evaluate(
        """() => ({
            unrendered: [...document.querySelectorAll('article .arithmatex')]
                .filter(e => !e.querySelector('.katex')).map(e => e.textContent),
            errors: [...document.querySelectorAll('.katex-error')].map(e => e.title),
            text: (() => {
                const article = document.querySelector('article').cloneNode(true);
                // A noscript (an API source listing not yet opened) is not shown.
                article.querySelectorAll('code, pre, .katex, noscript').forEach(e => e.remove());
                return article.textContent;
            })(),
        })"""
    )
    assert state["unrendered"] == [], state["unrendered"][:5]
    assert state["errors"] == [], state["errors"][:5]
    assert "$$" not in state["text"] and "\\(" not in state["text"], "raw math delimiters left"


LOCAL_SCHEMES = ("data:", "blob:", "about:")


def served_from(base_url: str) -> Callable[[str], bool]:
    """A predicate: is this request for the site served at `base_url` (or inline data)?"""
    host = urlparse(base_url).netloc
    return lambda url: url.startswith(LOCAL_SCHEMES) or urlparse(url).netloc == host


def from_files(url: str) -> bool:
    """The predicate for a copy opened from `file://`."""
    return url.startswith(("file:", *LOCAL_SCHEMES))


@dataclass
class PageProblems:
    """What a reader's browser saw: every request, and every kind of problem."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return [
            *(f"console: {text}" for text in self.console_errors),
            *(f"page error: {text}" for text in self.page_errors),
            *(f"failed: {text}" for text in self.failed_requests),
            *(f"HTTP {text}" for text in self.http_errors),
            *(f"request to another host: {url}" for url in self.foreign_requests),
        ]


def watch(page: Page, own: Callable[[str], bool]) -> PageProblems:
    """Record what `page` (its workers and frames too) does; abort requests `own` refuses."""
    problems = PageProblems()

    def route(route) -> None:
        url = route.request.url
        problems.requests.append(url)
        if own(url):
            route.continue_()
        else:
            problems.foreign_requests.append(url)
            route.abort()

    page.context.route("**/*", route)
    page.on(
        "console",
        lambda m: problems.console_errors.append(m.text) if m.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    page.on(
        "requestfailed",
        lambda r: problems.failed_requests.append(f"{r.url} ({r.failure})") if own(r.url) else None,
    )
    page.on(
        "response",
        lambda r: (
            problems.http_errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/404.html")
            else None
        ),
    )
    return problems
