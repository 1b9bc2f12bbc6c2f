r"""Math rendered at build time: TeX to KaTeX HTML + MathML, under Node.

pymdownx.arithmatex leaves every formula in the page as TeX inside a
`<span class="arithmatex">` (inline) or `<div class="arithmatex">` (display). Here
each page's formulas go to one long-lived Node process running KaTeX
(`katex_render.cjs`, KaTeX from the npm registry through `package-lock.json`), and
come back as HTML for the eye and MathML for screen readers. Pages load no math
JavaScript: math is there on first paint, after instant navigation, from `file://` and
in the PDF. Invalid TeX is a build warning naming the page and the formula (an error
with `--strict`); the TeX is then left in the page.

KaTeX's stylesheet and fonts are copied into `site/assets/katex/`, with its scripts,
which `javascripts/katex-init.js` loads only when a page still holds raw TeX (a build
without this plugin, such as Zensical's). A page with math near its top asks for
KaTeX's two main fonts early (`preload_math_fonts`).
"""

from __future__ import annotations

import html as html_lib
import json
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

from mkdocs.exceptions import PluginError

__all__ = ["KatexRenderer", "copy_katex_assets", "preload_math_fonts", "render_math"]

log = logging.getLogger("mkdocs.plugins.scribbles")

RENDER_SCRIPT = Path(__file__).resolve().parent / "katex_render.cjs"
KATEX_FILES = ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js")
MATH_FONTS = ("KaTeX_Main-Regular.woff2", "KaTeX_Math-Italic.woff2")
FIRST_SCREEN_CHARACTERS = 12_000  # of HTML after `<article`: roughly a phone's first screen
_ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">(?P<tex>.*?)</(?P=tag)>', flags=re.DOTALL
)
_DELIMITERS = {"\\(": "\\)", "\\[": "\\]"}


class KatexRenderer:
    """TeX to KaTeX HTML through one long-lived Node process (started on first use).

    Args:
        node_modules: the folder holding the `katex` npm package.
    """

    def __init__(self, node_modules: Path) -> None:
        self.node_modules = node_modules
        self._process: subprocess.Popen[str] | None = None
        self._cache: dict[tuple[str, bool], str] = {}

    def _start(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            node = shutil.which("node")
            if node is None or not (self.node_modules / "katex").is_dir():
                raise PluginError("rendering math needs Node and KaTeX: run `make setup`")
            self._process = subprocess.Popen(
                [node, str(RENDER_SCRIPT)],
                cwd=self.node_modules.parent,
                env={**os.environ, "NODE_PATH": str(self.node_modules)},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
        return self._process

    def render(self, items: list[tuple[str, bool]]) -> list[str | Exception]:
        """Render `(tex, display)` pairs; a parse error comes back as a `ValueError`."""
        missing = sorted({item for item in items if item not in self._cache})
        errors: dict[tuple[str, bool], ValueError] = {}
        if missing:
            process = self._start()
            request = [{"tex": tex, "display": display} for tex, display in missing]
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
            if not line:
                raise PluginError(f"the KaTeX renderer (node {RENDER_SCRIPT.name}) stopped")
            for item, reply in zip(missing, json.loads(line), strict=True):
                if "html" in reply:
                    self._cache[item] = reply["html"]
                else:
                    errors[item] = ValueError(reply["error"])
        return [errors[item] if item in errors else self._cache[item] for item in items]

    def close(self) -> None:
        """End the Node process (a later `render` starts a new one)."""
        if self._process is not None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            self._process.wait(timeout=10)
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None


def split_math(source: str, block: bool) -> tuple[str, bool]:
    r"""Arithmatex's generic output (`\(x\)`, `\[x\]`, a bare environment) to `(tex, display)`.

    Examples:
        >>> split_math(r"\(a &lt; b\)", False)
        ('a < b', False)
        >>> split_math(r"\[x\]", True)
        ('x', True)
    """
    text = html_lib.unescape(source).strip()
    for opening, closing in _DELIMITERS.items():
        if text.startswith(opening) and text.endswith(closing):
            return text[len(opening) : -len(closing)], opening == "\\["
    return text, block


def render_math(output: str, where: str, renderer: KatexRenderer) -> str:
    """Replace every arithmatex element's TeX in `output` with KaTeX's HTML.

    The arithmatex element holds only escaped TeX, never other elements, so its end tag
    is the first one of its kind after it: a regular expression finds it exactly.
    """
    matches = list(_ARITHMATEX.finditer(output))
    if not matches:
        return output
    items = [split_math(m["tex"], m["tag"] == "div") for m in matches]
    rendered = renderer.render(items)
    pieces, position = [], 0
    for match, (tex, _), result in zip(matches, items, rendered, strict=True):
        pieces.append(output[position : match.start("tex")])
        if isinstance(result, Exception):
            log.warning(f"{where}: KaTeX cannot render {tex!r}: {result}")
            pieces.append(match["tex"])  # left as TeX: the fallback script shows the error
        else:
            pieces.append(result)
        position = match.end("tex")
    pieces.append(output[position:])
    return "".join(pieces)


def preload_math_fonts(output: str, page_url: str) -> str:
    """Ask for KaTeX's two main fonts early on a page with math near its top.

    KaTeX's stylesheet declares `font-display: block`: text set in a KaTeX font waits for
    it, and when it arrives the lines around the formula move (Lighthouse measured a
    layout shift of 0.10-0.15). Preloaded, the fonts come with the stylesheet. Pages whose
    first formula is further down do not preload: there the request would compete with
    the first paint for nothing.
    """
    article, math = output.find("<article"), output.find('class="katex"')
    if article < 0 or math < 0 or math - article > FIRST_SCREEN_CHARACTERS:
        return output
    prefix = "../" * page_url.count("/")
    links = "".join(
        f'<link rel="preload" href="{prefix}assets/katex/fonts/{font}" as="font" '
        'type="font/woff2" crossorigin>'
        for font in MATH_FONTS
    )
    # Before the stylesheets, so that the script at the end of <head> (overrides/main.html)
    # finds them too.
    return output.replace('<link rel="stylesheet"', f'{links}<link rel="stylesheet"', 1)


def copy_katex_assets(node_modules: Path, site: Path) -> None:
    """Copy KaTeX's stylesheet, scripts and woff2 fonts into `site/assets/katex/`."""
    dist = node_modules / "katex" / "dist"
    missing = [name for name in KATEX_FILES if not (dist / name).is_file()]
    if missing:
        raise PluginError(
            f"KaTeX is not installed ({', '.join(missing)} missing under {dist}); "
            "run `make setup` (or `npm ci`) first"
        )
    target = site / "assets" / "katex"
    for name in KATEX_FILES:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dist / name, destination)
    fonts = target / "fonts"
    fonts.mkdir(parents=True, exist_ok=True)
    for font in sorted((dist / "fonts").glob("*.woff2")):
        shutil.copyfile(font, fonts / font.name)
