"""`make zensical`: build the same sources with Zensical, into `site-zensical/`.

Zensical (the maintained successor of Material for MkDocs) reads our `mkdocs.yml` as it
is, runs the markdown-exec blocks and renders the mkdocstrings `::: module` pages. It
runs from its own virtual environment, `.venv-zensical` (`make zensical-setup`), so that
it can never change the main toolchain; run this module with that environment's Python.

What it does:

1. Mirrors the project into `.cache/zensical/` (git-ignored): `docs/`, `overrides/` and
   `includes/` are copied (Zensical refuses a `docs_dir` outside the project root, and
   `mkdocs.yml` names no `site_dir`, so a build at the root would overwrite MkDocs'
   `site/`), `mkdocs.yml` is copied as it is (but for one line, see `zensical_config`),
   `src/` is a link to the real package.
   The folder is kept between runs, so Zensical's own page cache (`.cache/zensical/.cache`)
   makes a second build fast; it is invalidated by Zensical when `src/` changes.
2. Runs `zensical build --strict` there (`--clean` with `--clean`; `--no-strict` to see
   the whole site while a warning is being fixed).
3. Does what our MkDocs plugin does after a build that the site needs to work, since
   Zensical 0.0.73 ignores MkDocs plugins it has not rewritten: copies KaTeX's files
   from `node_modules/`.
4. Copies the result to `site-zensical/` (or `--site DIR`).

Differences that remain are listed in the README ("Zensical").
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / ".cache" / "zensical"
COPIED = ("docs", "overrides", "includes")
# Zensical's own JavaScript bundle names CDN URLs of libraries it loads only for features
# we never use (pyodide fences, an editor, a lightbox). The privacy plugin, our guard
# against third-party assets, warns about each, which fails the strict build. Material's
# bundle names mermaid the same way, already excluded in mkdocs.yml; until mkdocs.yml
# excludes these too, the mirror's copy gets them (each only if missing).
PRIVACY_ANCHOR = "- unpkg.com/mermaid@*"
ZENSICAL_EXCLUDES = (
    "unpkg.com/pyodide@*",
    "cdn.jsdelivr.net/pyodide/*",
    "unpkg.com/ace-builds@*",
    "unpkg.com/glightbox@*",
)


def zensical_config(text: str) -> str:
    """`mkdocs.yml` as Zensical gets it: unchanged, but for the exclusions above."""
    missing = [pattern for pattern in ZENSICAL_EXCLUDES if pattern not in text]
    if not missing:
        return text
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.strip().startswith(PRIVACY_ANCHOR):
            indent = line[: len(line) - len(line.lstrip())]
            added = [
                f"{indent}- {pattern}   # named lazily by Zensical's bundle\n"
                for pattern in missing
            ]
            return "".join([*lines[: index + 1], *added, *lines[index + 1 :]])
    raise SystemExit(f"mkdocs.yml: {PRIVACY_ANCHOR!r} not found under privacy.assets_exclude")


def zensical_command() -> list[str]:
    """The `zensical` entry point of the Python running this module (.venv-zensical)."""
    script = Path(sys.executable).parent / "zensical"
    if not script.exists():
        raise SystemExit(
            f"zensical is not installed beside {sys.executable}; run `make zensical`, "
            "which creates .venv-zensical"
        )
    return [str(script)]


def mirror(project: Path = PROJECT) -> None:
    """Make `project` a copy of the sources Zensical reads (idempotent)."""
    project.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        target = project / name
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.exists():
            shutil.rmtree(target)
        shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__"))
    config = zensical_config((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    (project / "mkdocs.yml").write_text(config, encoding="utf-8")
    source = project / "src"
    if source.is_symlink() and source.resolve() == (ROOT / "src").resolve():
        return
    if source.is_symlink() or source.is_file():
        source.unlink()
    elif source.exists():
        shutil.rmtree(source)
    source.symlink_to(ROOT / "src", target_is_directory=True)


def copy_math_assets(site: Path) -> None:
    """KaTeX's files into the site, as the scribbles plugin does after a MkDocs build."""
    from scribbles_site.math import copy_katex_assets

    copy_katex_assets(ROOT / "node_modules", site)


def build(
    site: Path, clean: bool = False, strict: bool = True, project: Path = PROJECT
) -> subprocess.CompletedProcess:
    """Build with Zensical into `site`; return the finished process (output captured)."""
    mirror(project)
    env = {
        **os.environ,
        "PYTHONHASHSEED": "0",
        "NO_MKDOCS_2_WARNING": "1",
        "DISABLE_MKDOCS_2_WARNING": "true",
        "NO_COLOR": "1",  # plain diagnostics in logs
    }
    options = [*(["--strict"] if strict else []), *(["--clean"] if clean else [])]
    result = subprocess.run(
        [*zensical_command(), "build", *options],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode == 0:
        built = project / "site"
        copy_math_assets(built)
        if site.exists():
            shutil.rmtree(site)
        shutil.copytree(built, site)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the site with Zensical.")
    parser.add_argument("--site", type=Path, default=ROOT / "site-zensical")
    parser.add_argument("--clean", action="store_true", help="empty Zensical's cache first")
    parser.add_argument("--no-strict", action="store_true", help="do not stop on warnings")
    args = parser.parse_args()
    started = time.perf_counter()
    result = build(args.site.resolve(), clean=args.clean, strict=not args.no_strict)
    print(result.stdout + result.stderr, end="")
    if result.returncode != 0:
        sys.exit(f"zensical build failed (exit status {result.returncode})")
    print(f"built {args.site} with Zensical in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
