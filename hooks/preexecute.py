"""Pre-execute the executed blocks of some pages in a second process, to fill the block cache.

A cold build spends most of its time in executed blocks (training, sweeps), one page after
another on one core. `hooks/scribbles_hooks.py` starts this script at the start of a
build with the pages that execute blocks, in the *reverse* of the order MkDocs converts
them: while MkDocs works forwards from the first page, this process works backwards from
the last, on the machine's other core, and writes every block's output into the block
cache (`scribbles.book.cache`, folder `blocks/`). When MkDocs reaches a page done here, every
block of it is a cache hit.

The two processes never convert the same page at once: each takes a page by creating
its *claim* file (`os.open(..., O_CREAT | O_EXCL)`, atomic), and this process marks a
finished page with a *done* file holding the seconds it took. MkDocs waits for the done
file of a page claimed here (or for this process to end) before converting that page.

The blocks run exactly as in MkDocs: the same Markdown extensions and markdown-exec
fences from `mkdocs.yml`, the same block-cache wrapper and keys (page, session, code,
imported source, versions). A block that fails here is not cached; MkDocs runs it again
and reports it. Nothing written here reaches a page except through the cache.

Usage (by the hooks, not by hand):
`python hooks/preexecute.py --config mkdocs.yml --claims DIR PAGE...`
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

HOOKS = Path(__file__).resolve().parent / "scribbles_hooks.py"


def load_hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scribbles_preexecute_hooks", HOOKS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--claims", required=True, type=Path)
    parser.add_argument("pages", nargs="*")
    args = parser.parse_args(argv)

    import markdown
    from mkdocs.config import load_config
    from mkdocs.utils.meta import get_data

    config = load_config(str(args.config))
    config.plugins["markdown-exec"].on_config(config)  # adds the executed fences
    hooks = load_hooks()
    hooks.install_block_cache()
    docs = Path(config.docs_dir)
    for page in args.pages:
        if not hooks.try_claim(args.claims, page):
            continue
        started = time.perf_counter()
        text, meta = get_data((docs / page).read_text(encoding="utf-8-sig"))
        hooks.start_block_page(page, meta)
        converter = markdown.Markdown(
            extensions=config.markdown_extensions, extension_configs=config.mdx_configs
        )
        try:
            converter.convert(text)
        except Exception as error:  # MkDocs converts the page again and reports it
            print(f"{page}: {type(error).__name__}: {error}", file=sys.stderr)
        hooks.mark_done(args.claims, page, time.perf_counter() - started)
        print(f"{page}: {time.perf_counter() - started:.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
