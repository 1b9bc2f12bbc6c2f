"""scribbles_site.pages: descriptions and chapter detection."""

from __future__ import annotations

from scribbles_site.pages import describe, escaped_description, is_chapter


def test_describe_takes_the_first_prose_paragraph():
    text = "# Title\n\n```python\ncode\n```\n\nThe *first* [real](x.md) paragraph.\n\nNext."
    assert describe(text) == "The first real paragraph."


def test_descriptions_are_escaped_once_for_an_attribute():
    assert escaped_description('a "b" &amp; c') == "a &quot;b&quot; &amp; c"


def test_chapters_are_the_pages_of_the_five_parts():
    assert is_chapter("systems/distributed.md")
    assert not is_chapter("reference/deep/attention.md") and not is_chapter("index.md")
