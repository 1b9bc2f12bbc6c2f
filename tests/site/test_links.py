"""Every internal link and anchor of the built site resolves (executed output and API too)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

pytestmark = pytest.mark.build


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        if tag == "a" and values.get("name"):
            self.ids.add(values["name"])
        for attribute in ("href", "src"):
            value = values.get(attribute)
            if value and not (tag == "link" and values.get("rel") in {"canonical", "alternate"}):
                self.links.append(value)


def parse(page: Path) -> _LinkCollector:
    collector = _LinkCollector()
    collector.feed(page.read_text(encoding="utf-8"))
    return collector


def resolve(site: Path, page: Path, link: str) -> tuple[Path | None, str]:
    """The file a relative link points at (None for other schemes/hosts), and its fragment."""
    parsed = urlparse(link)
    if parsed.scheme or parsed.netloc or link.startswith(("mailto:", "javascript:", "data:")):
        return None, ""
    base = "/" + page.relative_to(site).as_posix()
    target = urlparse(urljoin(base, link))
    path = site / unquote(target.path).lstrip("/")
    if target.path.endswith("/") or path.is_dir():
        path = path / "index.html"
    return path, unquote(target.fragment)


def test_no_broken_internal_link_or_anchor(built_site):
    site = built_site.site
    pages = sorted(site.rglob("*.html"))
    parsed = {page: parse(page) for page in pages}
    broken = []
    checked = 0
    for page, collector in parsed.items():
        if page.name == "404.html":
            continue  # its links are absolute from the site root by design; checked below
        for link in collector.links:
            target, fragment = resolve(site, page, link)
            if target is None:
                continue
            checked += 1
            if not target.is_file():
                broken.append(f"{page.relative_to(site)}: {link} (no file)")
            elif fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                if fragment not in ids:
                    broken.append(f"{page.relative_to(site)}: {link} (no anchor)")
    assert broken == []
    assert checked > 1000


def test_404_page_links_resolve_from_the_root(built_site):
    collector = parse(built_site.site / "404.html")
    hrefs = [link for link in collector.links if link.startswith("/") and not link.startswith("//")]
    assert hrefs
    for link in hrefs:
        path = built_site.site / link.lstrip("/")
        assert (path / "index.html" if not path.suffix else path).is_file(), link


def test_executed_output_links_are_checked_too(built_site):
    # The errata page's links are printed by an executed block: they are in the scan above.
    errata = parse(built_site.site / "about" / "errata" / "index.html")
    assert any(re.search(r"\.\./\.\./[a-z]+/[a-z-]+/#", link) for link in errata.links)
