r"""Read the book's own sources: corrections, citations, the glossary, module use.

The errata and glossary pages are generated from these functions at build time, and the
tests use them to check that every correction is on the errata page, every citation has
an entry on the references page and every entry is cited, and that every API reference
page names the chapters that use its module.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from markdown.extensions.toc import slugify

__all__ = [
    "Correction",
    "abbreviations",
    "chapters_using",
    "citations",
    "corrections",
    "errata_markdown",
    "glossary_markdown",
    "reference_keys",
]

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*(?:\{[^}]*\})?\s*$")
_CORRECTION = re.compile(r'^(?P<indent>[ \t]*)(?:!!!|\?\?\?\+?)\s+correction\s+"(?P<title>[^"]+)"')
_CITATION = re.compile(r"\]\((?:\.\./)*(?:about/)?references\.md#(?P<key>[A-Za-z0-9_-]+)\)")
_ENTRY = re.compile(r"^\{:\s*#(?P<key>[A-Za-z0-9_-]+)\s*\}\s*$", re.M)
_ABBREVIATION = re.compile(r"^\*\[(?P<term>[^\]]+)\]:\s*(?P<definition>.+?)\s*$", re.M)
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


@dataclass(frozen=True)
class Correction:
    """One correction of the original notes, as a chapter states it.

    Attributes:
        page: the chapter's path relative to `docs/`, e.g. `"classical/trees.md"`.
        section: the heading of the section that holds the correction.
        anchor: that heading's id on the built page.
        title: the admonition's title.
        body: the admonition's text (Markdown, dedented).
    """

    page: str
    section: str
    anchor: str
    title: str
    body: str


def _chapter_files(docs_dir: Path) -> list[Path]:
    """Chapters: every Markdown file under docs/ except the reference and about pages."""
    return sorted(
        path
        for path in docs_dir.rglob("*.md")
        if path.relative_to(docs_dir).parts[0] not in {"reference", "about"}
    )


def _outside_fences(lines: list[str]) -> list[bool]:
    """For each line, whether it is outside a fenced code block."""
    outside, fence = [], None
    for line in lines:
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            outside.append(False)
        elif fence is not None:
            if line.strip() == fence:
                fence = None
            outside.append(False)
        else:
            outside.append(True)
    return outside


def corrections(docs_dir: str | Path) -> list[Correction]:
    r"""Every `!!! correction "Title"` admonition in the chapters, in reading order of files.

    Args:
        docs_dir: the `docs/` directory.

    Returns:
        found: the corrections, with the section (nearest heading above) of each.

    Raises:
        FileNotFoundError: if `docs_dir` does not exist.

    Examples:
        >>> import tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (root / "part").mkdir()
        >>> _ = (root / "part" / "c.md").write_text(
        ...     '# C\n\n## Purity\n\n!!! correction "Product"\n    The notes wrote x.\n')
        >>> corrections(root)[0].anchor, corrections(root)[0].body
        ('purity', 'The notes wrote x.')
    """
    docs_dir = Path(docs_dir)
    if not docs_dir.is_dir():
        raise FileNotFoundError(f"docs_dir {docs_dir} is not a directory")
    found = []
    for path in _chapter_files(docs_dir):
        lines = _FRONT_MATTER.sub("", path.read_text(encoding="utf-8")).splitlines()
        outside = _outside_fences(lines)
        section, anchor = "", ""
        for index, line in enumerate(lines):
            if not outside[index]:
                continue
            heading = _HEADING.match(line)
            if heading:
                section = heading.group(2)
                anchor = slugify(section, "-")
                continue
            match = _CORRECTION.match(line)
            if not match:
                continue
            indent = len(match["indent"]) + 4
            body = []
            for following in lines[index + 1 :]:
                if following.strip() and len(following) - len(following.lstrip()) < indent:
                    break
                body.append(following[indent:])
            found.append(
                Correction(
                    page=path.relative_to(docs_dir).as_posix(),
                    section=section,
                    anchor=anchor,
                    title=match["title"],
                    body="\n".join(body).strip(),
                )
            )
    return found


def errata_markdown(docs_dir: str | Path, from_page: str = "about/errata.md") -> str:
    """Markdown for the errata page: one entry per correction, linked to its section.

    Args:
        docs_dir: the `docs/` directory.
        from_page: where the Markdown will live (links are made relative to it).

    Returns:
        text: Markdown, one `###` entry per correction, grouped by chapter.
    """
    # Printed output is not rewritten by MkDocs: link to the built pages' directory URLs.
    depth = len(Path(from_page).with_suffix("").parts)
    prefix = "../" * depth
    lines = []
    current = None
    for correction in corrections(docs_dir):
        if correction.page != current:
            current = correction.page
            title = _page_title(Path(docs_dir) / correction.page)
            lines += [f"## {title}", ""]
        link = f"{prefix}{correction.page.removesuffix('.md')}/#{correction.anchor}"
        lines += [
            f"### {correction.title}",
            "",
            _site_links(correction.body, correction.page, prefix),
            "",
            f"*Explained in [{correction.section}]({link}).*",
            "",
        ]
    return "\n".join(lines)


_MD_LINK = re.compile(r"\]\((?P<path>[^)#\s]+\.md)(?P<fragment>#[^)\s]*)?\)")


def _site_links(markdown: str, page: str, prefix: str) -> str:
    """Rewrite a chapter's relative `.md` links as built-page URLs seen from the errata."""

    def rewrite(match: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), match["path"]))
        url = target.removesuffix(".md")
        url = "" if url == "index" else url.removesuffix("/index") + "/"
        return f"]({prefix}{url}{match['fragment'] or ''})"

    return _MD_LINK.sub(rewrite, markdown)


def _page_title(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return path.stem


def citations(docs_dir: str | Path) -> dict[str, set[str]]:
    r"""Which reference keys each page cites, as `{key: {page, ...}}`.

    A citation is a Markdown link to `references.md#key`.

    Args:
        docs_dir: the `docs/` directory.

    Returns:
        cited: for every cited key, the pages (relative to `docs/`) citing it.
    """
    docs_dir = Path(docs_dir)
    cited: dict[str, set[str]] = {}
    for path in sorted(docs_dir.rglob("*.md")):
        for match in _CITATION.finditer(path.read_text(encoding="utf-8")):
            cited.setdefault(match["key"], set()).add(path.relative_to(docs_dir).as_posix())
    return cited


def reference_keys(references_page: str | Path) -> list[str]:
    r"""The entry keys (`{: #key }` anchors) of the references page, in order.

    Examples:
        >>> import tempfile, pathlib
        >>> page = pathlib.Path(tempfile.mkdtemp()) / "references.md"
        >>> _ = page.write_text("**A (2020).** T.\n{: #a2020 }\n")
        >>> reference_keys(page)
        ['a2020']
    """
    return _ENTRY.findall(Path(references_page).read_text(encoding="utf-8"))


def abbreviations(path: str | Path) -> dict[str, str]:
    r"""Read a pymdown/Markdown abbreviations file (`*[TERM]: definition` lines).

    Args:
        path: the file.

    Returns:
        terms: `{term: definition}` in file order.

    Raises:
        ValueError: if a term is defined twice.

    Examples:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "abbr.md"
        >>> _ = f.write_text("*[KL]: Kullback-Leibler divergence\n")
        >>> abbreviations(f)
        {'KL': 'Kullback-Leibler divergence'}
    """
    terms: dict[str, str] = {}
    for match in _ABBREVIATION.finditer(Path(path).read_text(encoding="utf-8")):
        if match["term"] in terms:
            raise ValueError(f"abbreviation {match['term']!r} is defined twice in {path}")
        terms[match["term"]] = match["definition"]
    return terms


def glossary_markdown(path: str | Path) -> str:
    """A Markdown table of the abbreviations, sorted case-insensitively.

    Args:
        path: the abbreviations file.

    Returns:
        table: Markdown with a header row.
    """
    from scribbles.book.tables import markdown_table

    rows = [[term, definition] for term, definition in abbreviations(path).items()]
    rows.sort(key=lambda row: row[0].lower())
    return markdown_table(rows, headers=["term", "meaning"], align=["l", "l"])


_DOTTED = re.compile(r"(?<![\w.])scribbles(?:\.\w+)+")


def chapters_using(docs_dir: str | Path, module: str, submodules: set[str]) -> list[Path]:
    r"""The chapters whose source names `module` or one of its members, in file order.

    A chapter uses a module when it imports it or cross-references it: it names the
    module itself or a dotted name inside it that is not one of its `submodules` (naming
    `scribbles.deep.attention.sequence_models` uses that submodule, not its package).

    Args:
        docs_dir: the `docs/` directory.
        module: a dotted module name, e.g. `"scribbles.deep.attention"`.
        submodules: the dotted names of the modules inside `module`.

    Returns:
        chapters: the chapter files (under `docs_dir`) that use it.

    Examples:
        >>> import tempfile, pathlib
        >>> docs = pathlib.Path(tempfile.mkdtemp())
        >>> (docs / "deep").mkdir()
        >>> _ = (docs / "deep" / "a.md").write_text("from scribbles.deep.attention import f")
        >>> _ = (docs / "deep" / "b.md").write_text("scribbles.deep.attention.sequence_models")
        >>> subs = {"scribbles.deep.attention.sequence_models"}
        >>> [p.name for p in chapters_using(docs, "scribbles.deep.attention", subs)]
        ['a.md']
    """
    docs_dir = Path(docs_dir)
    users = []
    for path in _chapter_files(docs_dir):
        for name in _DOTTED.findall(path.read_text(encoding="utf-8")):
            inside = name == module or name.startswith(module + ".")
            if inside and not any(name == s or name.startswith(s + ".") for s in submodules):
                users.append(path)
                break
    return users
