r"""What the build adds to pages: descriptions, and each chapter as a notebook.

- **Descriptions**: a page without a `description` in its front matter gets its first
  prose paragraph, as plain text of at most about 160 characters, for
  `<meta name="description">` (search engines and link previews show it). Material
  writes the description into `content="..."` unescaped, so it is escaped here.
- **Notebooks**: every chapter is also written to `<chapter>/<name>.ipynb` in the site
  ([`chapter_to_notebook`][scribbles_site.notebooks.chapter_to_notebook]), with a
  download link under its title.

The errata, glossary and citation checks read the book's sources through
[`sources`][scribbles_site.sources].
"""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

__all__ = ["CHAPTER_PARTS", "Notebooks", "describe", "escaped_description", "is_chapter"]

CHAPTER_PARTS = {"learning", "classical", "deep", "generative", "systems"}


def is_chapter(src_uri: str) -> bool:
    """Is the page at `src_uri` (relative to `docs/`) a chapter of one of the five parts?

    Examples:
        >>> is_chapter("deep/attention.md"), is_chapter("about/errata.md")
        (True, False)
    """
    return src_uri.split("/")[0] in CHAPTER_PARTS


def _plain_text(markdown: str) -> str:
    """Markdown of one paragraph reduced to plain text for a meta description."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)  # [text](url)
    text = re.sub(r"\[([^\]]*)\]\[[^\]]*\]", r"\1", text)  # [text][ref]
    text = re.sub(r"[*_`]", "", text)
    return " ".join(text.split())


def describe(markdown: str) -> str:
    r"""A page's description: its first prose paragraph, at most ~160 characters.

    Examples:
        >>> describe("# Title\n\nSee [the *book*](x.md).\n\nMore.")
        'See the book.'
    """
    for paragraph in re.split(r"\n\s*\n", markdown):
        stripped = paragraph.strip()
        markup = ("#", "`", "~", "!", "?", "|", "-", "<", ":", "*[")
        if stripped and not stripped.startswith(markup):
            text = _plain_text(stripped)
            if len(text) <= 160:
                return text
            return text[: text.rfind(" ", 0, 157)].rstrip(",;:") + "…"
    return ""


def escaped_description(description: object) -> str:
    """A description made safe for Material's unescaped `content="..."` attribute."""
    return html_lib.escape(html_lib.unescape(str(description)), quote=True)


class Notebooks:
    """The notebooks of one build: made when a chapter is read, written after the build."""

    LINK = (
        '<p class="scribbles-download"><a href="{stem}.ipynb" download>'
        "Download this chapter as a Jupyter notebook</a> (runs against the "
        "<code>scribbles</code> package).</p>"
    )

    def __init__(self) -> None:
        self.notebooks: dict[str, str] = {}  # site path of the notebook -> JSON text

    def add(self, markdown: str, src_uri: str, url: str, title: str | None) -> str:
        """Make the chapter's notebook; return its Markdown with the download link."""
        from scribbles_site.notebooks import chapter_to_notebook

        stem = Path(src_uri).stem
        self.notebooks[f"{url}{stem}.ipynb"] = chapter_to_notebook(markdown, title or stem)
        link = self.LINK.format(stem=stem)
        return re.sub(
            r"^(# .*)$", lambda m: f"{m.group(1)}\n\n{link}", markdown, count=1, flags=re.M
        )

    def write(self, site: Path) -> None:
        """Write every notebook made in this build into the built site."""
        for target, notebook in self.notebooks.items():
            (site / target).parent.mkdir(parents=True, exist_ok=True)
            (site / target).write_text(notebook, encoding="utf-8")
