"""The site builds strictly, deterministically, offline, with a complete API reference.

Also checks, on small throw-away sites using the real configuration, that the strict
build *fails* on each kind of problem it must catch.
"""

from __future__ import annotations

import filecmp
import re
import textwrap
from pathlib import Path

import pytest
import yaml
from mkdocs.utils.yaml import get_yaml_loader

from tests.conftest import DOCS, ROOT, Build, run_build

pytestmark = pytest.mark.build

EXTERNAL_ASSET = re.compile(
    r"""<(?:script|img|iframe|source|audio|video)\b[^>]*\bsrc=["'](?:https?:)?//"""
    r"""|<link\b(?![^>]*\brel=["'](?:canonical|alternate)["'])[^>]*\bhref=["'](?:https?:)?//""",
    re.IGNORECASE,
)


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_strict_build_has_no_warning(built_site: Build):
    warnings = [line for line in built_site.log.splitlines() if "WARNING" in line]
    assert warnings == []
    assert (built_site.site / "index.html").is_file()


def test_every_docs_page_is_built(built_site: Build):
    for source in DOCS.rglob("*.md"):
        relative = source.relative_to(DOCS).with_suffix("")
        target = (
            built_site.site / relative.parent / "index.html"
            if relative.name == "index"
            else built_site.site / relative / "index.html"
        )
        assert target.is_file(), f"{source} was not built to {target}"


def test_no_traceback_or_local_path_reaches_a_page(built_site: Build):
    for page in html_pages(built_site.site):
        text = page.read_text(encoding="utf-8")
        if "/reference/" not in page.as_posix():  # doctests there show expected errors
            assert "Traceback (most recent call last)" not in text, page
        assert str(ROOT) not in text, f"{page} leaks a local path"


def test_no_asset_from_another_host(built_site: Build):
    for page in html_pages(built_site.site):
        text = page.read_text(encoding="utf-8")
        assert not EXTERNAL_ASSET.search(text), f"{page}: {EXTERNAL_ASSET.search(text)[0]}"
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text
    for stylesheet in built_site.site.rglob("*.css"):
        text = stylesheet.read_text(encoding="utf-8")
        assert not re.search(r"@import\s+url\(\s*[\"']?https?:", text), stylesheet
        assert not re.search(r"url\(\s*[\"']?https?://", text), stylesheet


def test_math_is_rendered_at_build_time(built_site: Build):
    """Every formula of every page is KaTeX HTML with MathML in the built file itself."""
    element = re.compile(r'<(span|div) class="arithmatex">(.{0,40})', flags=re.DOTALL)
    total = 0
    for page in html_pages(built_site.site):
        text = page.read_text(encoding="utf-8")
        for match in element.finditer(text):
            total += 1
            assert match[2].startswith('<span class="katex'), f"{page}: raw math {match[2]!r}"
        prose = re.sub(r"<(pre|code)\b.*?</\1>", "", text, flags=re.S)
        assert "$$" not in prose, f"{page}: a $$ block that Markdown did not read as math"
    assert total > 1000, "the chapters hold well over a thousand formulas"
    attention = (built_site.site / "deep" / "attention" / "index.html").read_text()
    assert '<annotation encoding="application/x-tex">' in attention  # MathML for readers
    assert "katex-display" in attention


def test_math_rendering_keeps_html_escapes_and_delimiters_straight(tmp_path):
    page = """
        # Math

        Inline $a < b$ and display:

        $$
        \\sum_{i=1}^{n} x_i \\geq 0
        $$
    """
    root = mini_site(tmp_path, page)
    build = run_build(tmp_path / "site", cwd=root)
    assert build.returncode == 0, build.log
    html = (tmp_path / "site" / "index.html").read_text()
    assert '<annotation encoding="application/x-tex">a &lt; b</annotation>' in html
    assert '<span class="katex-display">' in html
    assert "\\(" not in html and "\\[" not in html


def test_math_assets_are_served_by_the_site(built_site: Build):
    katex = built_site.site / "assets" / "katex"
    assert (katex / "katex.min.js").stat().st_size > 100_000
    assert (katex / "contrib" / "auto-render.min.js").is_file()
    fonts = list((katex / "fonts").glob("*.woff2"))
    assert len(fonts) >= 10
    css = (katex / "katex.min.css").read_text(encoding="utf-8")
    for font in re.findall(r"url\((fonts/[^)]+\.woff2)\)", css):
        assert (katex / font).is_file(), font


def test_every_figure_has_alt_text(built_site: Build):
    figures = 0
    for page in html_pages(built_site.site):
        text = page.read_text(encoding="utf-8")
        openings = re.findall(r'<figure class="scribbles-figure"[^>]*><svg[^>]*>', text)
        assert len(openings) == text.count('<figure class="scribbles-figure"'), page
        for opening in openings:
            figures += 1
            label = re.search(r'aria-label="([^"]*)"', opening)
            assert label and len(label.group(1).strip()) >= 10, f"{page}: {opening[:200]}"
            assert 'role="img"' in opening
    assert figures > 0


def test_two_builds_are_byte_identical(built_site: Build, tmp_path):
    second = run_build(tmp_path / "second")
    assert second.returncode == 0, second.log[-4000:]
    first_files = sorted(p.relative_to(built_site.site) for p in built_site.site.rglob("*"))
    second_files = sorted(p.relative_to(second.site) for p in second.site.rglob("*"))
    assert first_files == second_files
    different = [
        str(name)
        for name in first_files
        if (built_site.site / name).is_file()
        and not filecmp.cmp(built_site.site / name, second.site / name, shallow=False)
    ]
    assert different == []


def test_reference_renders_signatures_math_and_examples(built_site: Build):
    page = (built_site.site / "reference" / "deep" / "attention" / "index.html").read_text()
    assert 'id="scribbles.deep.attention.scaled_dot_product_attention"' in page
    assert "arithmatex" in page  # the docstring's LaTeX is passed to KaTeX
    assert "&gt;&gt;&gt;" in page  # the Examples doctest is shown


def test_chapters_link_to_the_reference(built_site: Build):
    page = (built_site.site / "deep" / "attention" / "index.html").read_text()
    assert re.search(
        r'href="[./]*reference/deep/attention/#scribbles\.deep\.attention\.scaled_dot_product_attention"',
        page,
    )


# --- the strict build fails on each problem it must catch --------------------------------


SRC = ROOT / "src"


def mini_site(tmp_path: Path, page: str, extra_pages: dict[str, str] | None = None) -> Path:
    """A small site with the project's real configuration and one page of our choosing."""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=get_yaml_loader())
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(textwrap.dedent(page))
    for name, text in (extra_pages or {}).items():
        (docs / name).write_text(textwrap.dedent(text))
    config["docs_dir"] = str(docs)
    config["nav"] = [{"Home": "index.md"}, *({n: n} for n in extra_pages or {})]
    config["theme"]["custom_dir"] = str(ROOT / "overrides")
    config["watch"] = []
    for index, extension in enumerate(config["markdown_extensions"]):
        if isinstance(extension, dict) and "pymdownx.snippets" in extension:
            options = extension["pymdownx.snippets"]
            config["markdown_extensions"][index] = {
                "pymdownx.snippets": {**options, "base_path": [str(ROOT / "includes")]}
            }
    config["plugins"] = [
        {"mkdocstrings": {**p["mkdocstrings"], "handlers": {"python": {"paths": [str(SRC)]}}}}
        if isinstance(p, dict) and "mkdocstrings" in p
        else p
        for p in config["plugins"]
    ]
    config["extra_css"] = []
    config["extra_javascript"] = []
    # The scribbles plugin's options read environment variables through `!ENV`: keep the
    # tags, so that a test's environment reaches the mini site's build.
    config["plugins"] = [
        {"scribbles": {**scribbles_plugin_options(), "node_modules": str(ROOT / "node_modules")}}
        if _is_plugin(p, "scribbles")
        else p
        for p in config["plugins"]
    ]
    (tmp_path / "mkdocs.yml").write_text(yaml.dump(config, Dumper=EnvDumper))
    return tmp_path


class _Env(tuple):
    """An `!ENV [NAME, default]` value, written back as the tag."""


class EnvLoader(yaml.SafeLoader):
    pass


class EnvDumper(yaml.SafeDumper):
    pass


EnvLoader.add_constructor("!ENV", lambda loader, node: _Env(loader.construct_sequence(node)))
EnvLoader.add_multi_constructor("tag:yaml.org,2002:python/name:", lambda *args: None)
EnvDumper.add_representer(_Env, lambda dumper, value: dumper.represent_sequence("!ENV", value))


def _is_plugin(entry: object, name: str) -> bool:
    return entry == name or (isinstance(entry, dict) and name in entry)


def scribbles_plugin_options() -> dict[str, object]:
    """The scribbles plugin's options in mkdocs.yml, `!ENV` tags kept."""
    raw = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=EnvLoader)
    return next(p["scribbles"] for p in raw["plugins"] if _is_plugin(p, "scribbles"))


FAILING_BLOCK = """
    # Failing

    ```python exec="on"
    raise RuntimeError("boom")
    ```
"""


def test_a_failing_block_fails_the_build(tmp_path):
    root = mini_site(tmp_path, FAILING_BLOCK)
    build = run_build(tmp_path / "site", cwd=root)
    assert build.returncode != 0
    assert "boom" in build.log


def test_a_failing_block_fails_even_a_non_strict_build(tmp_path):
    root = mini_site(tmp_path, FAILING_BLOCK)
    import subprocess

    from tests.conftest import BUILD_ENV, MKDOCS

    result = subprocess.run(
        [*MKDOCS, "build", "-d", str(tmp_path / "site")],
        cwd=root,
        env=BUILD_ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "traceback would be published" in result.stdout + result.stderr


def test_no_exec_mode_renders_source_without_running(tmp_path):
    root = mini_site(tmp_path, FAILING_BLOCK)
    build = run_build(tmp_path / "site", cwd=root, env={"SCRIBBLES_NO_EXEC": "1"})
    assert build.returncode == 0, build.log
    html = (tmp_path / "site" / "index.html").read_text()
    assert "RuntimeError" in html and "Traceback" not in html


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ("[gone](missing.md)\n", "missing.md"),
        ("[bad anchor](#nowhere)\n", "nowhere"),
        ("[`x`][scribbles.deep.attention.not_a_function]\n", "not_a_function"),
        ('<img src="https://example.com/pixel.png" alt="x">\n', "example.com"),
        ('<script src="https://cdn.example.com/lib.js"></script>\n', "cdn.example.com"),
        ("Broken math: $\\frac{1}{$ here.\n", "KaTeX cannot render"),
    ],
    ids=[
        "broken-link",
        "broken-anchor",
        "unresolved-reference",
        "external-image",
        "cdn-script",
        "invalid-tex",
    ],
)
def test_strict_build_fails_on(tmp_path, page, message):
    root = mini_site(tmp_path, f"# Page\n\n{page}")
    build = run_build(tmp_path / "site", cwd=root)
    assert build.returncode != 0, build.log
    assert message in build.log


def test_block_output_is_escaped_markdown(tmp_path):
    page = """
        # Escaping

        ```python exec="on"
        from scribbles.book.tables import markdown_table
        print(markdown_table([["<script>alert(1)</script>"]], headers=["cell"]))
        ```
    """
    root = mini_site(tmp_path, page)
    build = run_build(tmp_path / "site", cwd=root)
    assert build.returncode == 0, build.log
    html = (tmp_path / "site" / "index.html").read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- the block cache: a warm build executes no block ------------------------------------


def counting_page(counter: Path, second_block: str = "print(x + 1)") -> str:
    return f"""
        # Counting

        ```python exec="on" session="s"
        with open({str(counter)!r}, "a") as log:
            log.write("first block ran\\n")
        x = 41
        print("first")
        ```

        ```python exec="on" session="s"
        {second_block}
        ```
    """


def runs(counter: Path) -> int:
    return len(counter.read_text().splitlines()) if counter.exists() else 0


def test_warm_build_executes_no_block_and_gives_the_same_page(tmp_path):
    counter = tmp_path / "runs.txt"
    root = mini_site(tmp_path, counting_page(counter))
    env = {"SCRIBBLES_CACHE_DIR": str(tmp_path / "cache")}
    first = run_build(tmp_path / "cold", cwd=root, env=env)
    second = run_build(tmp_path / "warm", cwd=root, env=env)
    assert first.returncode == 0 and second.returncode == 0, first.log + second.log
    assert runs(counter) == 1
    cold = (tmp_path / "cold" / "index.html").read_text()
    assert "42" in cold
    assert cold == (tmp_path / "warm" / "index.html").read_text()


def test_a_changed_block_replays_its_cached_session_before_it(tmp_path):
    counter = tmp_path / "runs.txt"
    root = mini_site(tmp_path, counting_page(counter))
    env = {"SCRIBBLES_CACHE_DIR": str(tmp_path / "cache")}
    assert run_build(tmp_path / "one", cwd=root, env=env).returncode == 0
    (root / "docs" / "index.md").write_text(textwrap.dedent(counting_page(counter, "print(x + 2)")))
    build = run_build(tmp_path / "two", cwd=root, env=env)
    assert build.returncode == 0, build.log
    page = (tmp_path / "two" / "index.html").read_text()
    assert "43" in page and "first" in page  # x came from the replayed first block
    assert runs(counter) == 2  # once cold, once replayed (its output still from the cache)


def test_a_page_can_opt_out_and_the_cache_can_be_disabled(tmp_path):
    counter = tmp_path / "runs.txt"
    opted_out = "---\nexec_cache: false\n---\n" + textwrap.dedent(counting_page(counter))
    root = mini_site(tmp_path, opted_out)
    env = {"SCRIBBLES_CACHE_DIR": str(tmp_path / "cache")}
    for name in ("one", "two"):
        assert run_build(tmp_path / name, cwd=root, env=env).returncode == 0
    assert runs(counter) == 2
    (root / "docs" / "index.md").write_text(textwrap.dedent(counting_page(counter)))
    for name in ("three", "four"):
        build = run_build(tmp_path / name, cwd=root, env={**env, "SCRIBBLES_NO_CACHE": "1"})
        assert build.returncode == 0, build.log
    assert runs(counter) == 4


# --- pre-execution: a second process runs blocks of the last pages into the cache -------


def recording_page(title: str, log: Path, value: int) -> str:
    """A page whose block records which process ran it and prints a seeded result; it
    takes a second, like real work, so that the worker has time to start."""
    return f"""
        # {title}

        ```python exec="on" session="{title.lower()}"
        import os
        import time
        import numpy as np

        time.sleep(1.5)
        with open({str(log)!r}, "a") as record:
            record.write(f"{title} {{os.getpid()}}\\n")
        x = np.random.default_rng({value}).normal(size=3)
        ```

        ```python exec="on" session="{title.lower()}"
        print(f"{title}: {{x.sum():.6f}}")
        ```
    """


def pages_and_runs(log: Path) -> dict[str, list[str]]:
    runs: dict[str, list[str]] = {}
    for line in log.read_text().splitlines():
        title, pid = line.split()
        runs.setdefault(title, []).append(pid)
    return runs


def test_a_second_process_runs_the_last_pages_and_the_pages_do_not_change(tmp_path):
    log = tmp_path / "runs.txt"
    titles = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"]
    extra = {f"{t.lower()}.md": recording_page(t, log, i) for i, t in enumerate(titles[1:], 1)}
    root = mini_site(tmp_path, recording_page(titles[0], log, 0), extra)
    together = run_build(
        tmp_path / "together", cwd=root, env={"SCRIBBLES_CACHE_DIR": str(tmp_path / "c1")}
    )
    assert together.returncode == 0, together.log
    runs = pages_and_runs(log)
    assert sorted(runs) == sorted(titles) and all(len(p) == 1 for p in runs.values()), runs
    pids = {pids[0] for pids in runs.values()}
    assert len(pids) == 2, runs  # the build itself and the worker both ran pages
    assert runs["Foxtrot"] != runs["Alpha"]  # the worker starts from the last page
    assert re.search(r"pre-execution worker ran the blocks of [1-9]\d* page", together.log)

    log.unlink()
    alone = run_build(
        tmp_path / "alone",
        cwd=root,
        env={"SCRIBBLES_CACHE_DIR": str(tmp_path / "c2"), "SCRIBBLES_PREEXEC": "0"},
    )
    assert alone.returncode == 0, alone.log
    assert len({pids[0] for pids in pages_and_runs(log).values()}) == 1
    for name in ["index.html", *(f"{t.lower()}/index.html" for t in titles[1:])]:
        page = (tmp_path / "together" / name).read_text()
        assert page == (tmp_path / "alone" / name).read_text(), name
        assert re.search(r"(Alpha|Bravo|Charlie|Delta|Echo|Foxtrot): -?\d+\.\d{6}", page)
