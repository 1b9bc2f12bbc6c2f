"""Helpers shared by the tests that drive Debian's Chromium (served site, file://, Zensical).

Chromium is Debian's (`/usr/bin/chromium`, installed by `make setup`); Playwright only
drives it (`playwright install` is never run).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

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
                article.querySelectorAll('code, pre, .katex').forEach(e => e.remove());
                return article.textContent;
            })(),
        })"""
    )
    assert state["unrendered"] == [], state["unrendered"][:5]
    assert state["errors"] == [], state["errors"][:5]
    assert "$$" not in state["text"] and "\\(" not in state["text"], "raw math delimiters left"
