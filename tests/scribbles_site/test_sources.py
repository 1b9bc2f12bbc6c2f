"""The book's cross-cutting pages: citations, errata and glossary agree with the chapters."""

from __future__ import annotations

import re

import pytest

from scribbles_site.sources import (
    abbreviations,
    citations,
    corrections,
    errata_markdown,
    glossary_markdown,
    reference_keys,
)
from tests.conftest import DOCS, ROOT

REFERENCES = DOCS / "about" / "references.md"


def test_every_citation_has_an_entry():
    keys = set(reference_keys(REFERENCES))
    missing = {key: sorted(pages) for key, pages in citations(DOCS).items() if key not in keys}
    assert missing == {}


def test_every_entry_is_cited_by_a_chapter():
    cited = {
        key
        for key, pages in citations(DOCS).items()
        if any(not page.startswith("about/") for page in pages)
    }
    uncited = [key for key in reference_keys(REFERENCES) if key not in cited]
    assert uncited == []


def test_reference_keys_are_unique():
    keys = reference_keys(REFERENCES)
    assert len(keys) == len(set(keys))


def test_corrections_are_found_with_their_sections():
    found = corrections(DOCS)
    assert len(found) >= 5
    for correction in found:
        assert correction.body, correction
        assert correction.anchor, f"{correction.page}: correction before any heading"
        assert re.search(r"notes", correction.body, re.I), (
            f"{correction.page}: '{correction.title}' should say what the notes wrote"
        )


def test_errata_page_lists_every_correction_and_nothing_else(built_site):
    html = (built_site.site / "about" / "errata" / "index.html").read_text()
    titles_on_page = re.findall(r'<h3 id="[^"]*">(.*?)<a class="headerlink"', html)
    expected = [c.title for c in corrections(DOCS)]
    # titles are HTML-escaped and may hold math or abbreviations: compare their text
    plain = [re.sub(r"<[^>]+>", "", title) for title in titles_on_page]
    assert len(plain) == len(expected)
    for shown, wanted in zip(plain, expected, strict=True):
        assert re.sub(r"[$`]", "", wanted)[:12] in shown.replace("&#39;", "'").replace(
            "&quot;", '"'
        ).replace("&amp;", "&")


def test_every_correction_in_a_chapter_is_visible_as_an_admonition(built_site):
    for correction in corrections(DOCS):
        page = correction.page.removesuffix(".md")
        html = (built_site.site / page / "index.html").read_text()
        assert 'class="admonition correction"' in html, correction.page


def test_errata_links_point_at_the_sections():
    text = errata_markdown(DOCS)
    for correction in corrections(DOCS):
        url = correction.page.removesuffix(".md")
        assert f"../../{url}/#{correction.anchor}" in text


def test_glossary_has_the_required_abbreviations():
    terms = abbreviations(ROOT / "includes" / "abbreviations.md")
    for term in ["RNN", "CNN", "SVM", "k-NN", "VAE", "GAN", "DDP", "ELBO", "KL", "PSD", "RoPE"]:
        assert term in terms
    table = glossary_markdown(ROOT / "includes" / "abbreviations.md")
    assert table.count("\n") == len(terms) + 2


def test_duplicate_abbreviation_is_an_error(tmp_path):
    path = tmp_path / "abbr.md"
    path.write_text("*[KL]: one\n*[KL]: two\n")
    with pytest.raises(ValueError, match="'KL' is defined twice"):
        abbreviations(path)


def test_hover_definitions_reach_the_pages(built_site):
    html = (built_site.site / "deep" / "attention" / "index.html").read_text()
    assert re.search(r'<abbr title="[^"]+">(RNN|CNN|FLOPs|GRU)</abbr>', html)
