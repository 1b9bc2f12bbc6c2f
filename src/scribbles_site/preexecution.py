r"""Pre-execution: a second process fills the block cache from the last page backwards.

A cold build spends most of its time in executed blocks (training, sweeps), one page
after another on one core. At the start of a build,
[`PreExecution.start`][scribbles_site.preexecution.PreExecution.start] runs this module
(`python -m scribbles_site.preexecution`) with the pages that execute blocks, in
the *reverse* of the order MkDocs converts them: while MkDocs works forwards
from the first page, the worker works backwards from the last, on the machine's other
core, and writes every block's output into the block cache. When MkDocs reaches a page
done there, every block of it is a cache hit.

The two processes never convert the same page at once: each takes a page by creating
its *claim* file (`os.open(..., O_CREAT | O_EXCL)`, atomic), and the worker marks a
finished page with a *done* file holding the seconds it took. MkDocs waits for the done
file of a page claimed by the worker (or for the worker to end) before converting it.

The blocks run exactly as in MkDocs: the same Markdown extensions and markdown-exec
fences from `mkdocs.yml`, the same [`BlockCache`][scribbles_site.execution.BlockCache]
and keys. A block that fails in the worker is not cached; MkDocs runs it again and
reports it. Nothing the worker writes reaches a page except through the cache.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["PreExecution", "claim_name", "main", "mark_done", "try_claim"]

log = logging.getLogger("mkdocs.plugins.scribbles")


def claim_name(page: str) -> str:
    """The file name stem of a page's claim and done files."""
    return hashlib.sha256(page.encode()).hexdigest()[:20]


def try_claim(claims: Path, page: str) -> bool:
    """Take `page` for the calling process (atomic); False when the other one has it."""
    try:
        descriptor = os.open(claims / f"{claim_name(page)}.claim", os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


def mark_done(claims: Path, page: str, seconds: float) -> None:
    """Publish that `page`'s blocks are in the cache (written, then renamed: atomic)."""
    done = claims / f"{claim_name(page)}.done"
    partial = done.with_suffix(".partial")
    partial.write_text(json.dumps({"page": page, "seconds": seconds}))
    partial.replace(done)


class PreExecution:
    """The worker of one build: its process, its claims folder and its pages."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.claims: Path | None = None
        self.pages: set[str] = set()
        self.worker_seconds: dict[str, float] = {}  # seconds the worker spent on a page

    def start(self, pages: list[str], config_file: Path) -> None:
        """Start the worker on `pages` (in MkDocs' order; the worker takes them backwards)."""
        self.worker_seconds.clear()
        if len(pages) < 2:
            return
        claims = Path(tempfile.mkdtemp(prefix="scribbles-claims-"))
        with (claims / "worker.log").open("w") as log_file:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "scribbles_site.preexecution"),
                    *("--config", str(config_file), "--claims", str(claims), *reversed(pages)),
                ],
                cwd=config_file.parent,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        self.claims, self.pages = claims, set(pages)

    def wait_for(self, page: str) -> None:
        """Before converting `page`: claim it, or wait until the worker has run its blocks."""
        if self.process is None or self.claims is None or page not in self.pages:
            return
        if try_claim(self.claims, page):
            return
        done = self.claims / f"{claim_name(page)}.done"
        while not done.exists():
            if self.process.poll() is not None and not done.exists():
                return  # the worker stopped: this build runs the page's blocks itself
            time.sleep(0.02)
        self.worker_seconds[page] = float(json.loads(done.read_text())["seconds"])

    def stop(self, error: bool = False) -> None:
        """End the worker (it has normally finished: every page is claimed by then)."""
        process, claims = self.process, self.claims
        if process is None or claims is None:
            return
        if error:
            process.kill()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        worker_log = (claims / "worker.log").read_text(errors="replace")
        done = sorted(claims.glob("*.done"))
        log.info(
            f"pre-execution worker ran the blocks of {len(done)} page(s), exit code "
            f"{process.returncode}" + (f":\n{worker_log[-2000:]}" if process.returncode else "")
        )
        shutil.rmtree(claims, ignore_errors=True)
        self.process, self.claims, self.pages = None, None, set()


def main(argv: list[str] | None = None) -> int:
    """The worker: execute the blocks of each page it can claim, into the block cache."""
    parser = argparse.ArgumentParser(description="Fill the block cache for a build.")
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--claims", required=True, type=Path)
    parser.add_argument("pages", nargs="*")
    args = parser.parse_args(argv)

    import markdown
    from mkdocs.config import load_config
    from mkdocs.utils.meta import get_data

    from scribbles_site.execution import BlockCache

    config = load_config(str(args.config))
    config.plugins["markdown-exec"].on_config(config)  # adds the executed fences
    cache = BlockCache()
    cache.install()
    docs = Path(config.docs_dir)
    for page in args.pages:
        if not try_claim(args.claims, page):
            continue
        started = time.perf_counter()
        text, meta = get_data((docs / page).read_text(encoding="utf-8-sig"))
        cache.start_page(page, meta)
        converter = markdown.Markdown(
            extensions=config.markdown_extensions, extension_configs=config.mdx_configs
        )
        try:
            converter.convert(text)
        except Exception as error:  # MkDocs converts the page again and reports it
            print(f"{page}: {type(error).__name__}: {error}", file=sys.stderr)
        mark_done(args.claims, page, time.perf_counter() - started)
        print(f"{page}: {time.perf_counter() - started:.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
