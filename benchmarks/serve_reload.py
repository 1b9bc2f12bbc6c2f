"""`make bench`: how long `make serve` takes to show an edit (prose, and package source).

The server runs `mkdocs serve --livereload --dirty` exactly as `make serve` does, on 127.0.0.1
and a free port, over a *snapshot* of the project in a temporary directory (docs, src,
overrides, includes, mkdocs.yml; node_modules linked). Editing the snapshot, not
the working tree, keeps other people's builds and servers undisturbed; `scribbles` is
imported from the snapshot (`PYTHONPATH` wins over the editable install's path entry).

- *prose*: a sentence is appended to a chapter; the clock runs from the moment the file
  is written until the served chapter contains the sentence.
- *source*: a sentence is added to the module docstring of `scribbles.book.tables` (which no
  cached computation depends on, so the cache stays warm, as it does for an author who
  edits a docstring or a helper); the clock runs until the API reference page shows it.

Each edit is reverted (even on failure) and the server is waited for until the revert is
served, so every trial starts from the same state. The median of the trials is reported.

Run alone: `python -m benchmarks.serve_reload [--trials N]`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ("docs", "src", "overrides", "includes", "mkdocs.yml")
STARTUP_TIMEOUT_S = 1800  # the first build of the whole site, on a loaded machine
REBUILD_TIMEOUT_S = 600
POLL_S = 0.05
# `make serve`'s options besides the address (tests/test_serve.py checks the Makefile):
# --dirty rebuilds only the pages an edit touches (the scribbles plugin adds the
# pages whose `scribbles` code changed, and keeps the search index and anchors whole).
SERVE_OPTIONS = ("--dirty",)


@dataclass(frozen=True)
class Probe:
    """One kind of edit: which file gets which text, and which page must show it."""

    name: str
    file: str  # relative to the snapshot root
    url: str  # page that must show the edit
    where: str  # "end": appended as a paragraph; "docstring": after the module docstring's
    # first line (its summary), whatever it says

    def edit(self, original: str, marker: str) -> str:
        if self.where == "end":
            return original.rstrip("\n") + f"\n\n{marker}\n"
        first, rest = original.split("\n", 1)
        if not first.lstrip("rRuU").startswith('"""'):
            raise RuntimeError(f"{self.file} does not start with a docstring; update the probe")
        return f"{first} {marker}\n{rest}"


PROBES = (
    Probe("prose", "docs/deep/attention.md", "/deep/attention/", "end"),
    Probe("source", "src/scribbles/book/tables.py", "/reference/book/tables/", "docstring"),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_snapshot(target: Path) -> None:
    for name in SNAPSHOT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    (target / "node_modules").symlink_to(ROOT / "node_modules")


def fetch(url: str, timeout: float = REBUILD_TIMEOUT_S) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read().decode("utf-8", errors="replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def wait_until(url: str, predicate, timeout: float, server: subprocess.Popen) -> float:
    """Poll `url` until `predicate(html)`; return the seconds it took."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if server.poll() is not None:
            raise RuntimeError(f"mkdocs serve exited with {server.returncode}")
        html = fetch(url)
        if html is not None and predicate(html):
            return time.perf_counter() - started
        time.sleep(POLL_S)
    raise TimeoutError(f"{url} did not change within {timeout} s")


@contextlib.contextmanager
def serving(
    root: Path, port: int, log: Path, options: tuple[str, ...] = (), env_extra=None
) -> Iterator[subprocess.Popen]:
    env = {
        **os.environ,
        "PYTHONPATH": str(root / "src"),
        "SCRIBBLES_SHOW_TRACEBACKS": "1",  # as `make serve`
        "NO_MKDOCS_2_WARNING": "1",
        "DISABLE_MKDOCS_2_WARNING": "true",
        "PYTHONHASHSEED": "0",
        **(env_extra or {}),
    }
    with log.open("w") as output:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mkdocs",
                "serve",
                "--livereload",
                *options,
                "--dev-addr",
                f"127.0.0.1:{port}",
            ],
            cwd=root,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield server
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def measure_probe(root: Path, base: str, probe: Probe, server, trial: int) -> float:
    path = root / probe.file
    original = path.read_text(encoding="utf-8")
    marker = f"Reload probe {probe.name} {trial} {time.time_ns()}."
    url = base + probe.url
    try:
        path.write_text(probe.edit(original, marker), encoding="utf-8")
        seconds = wait_until(url, lambda html: marker in html, REBUILD_TIMEOUT_S, server)
    finally:
        path.write_text(original, encoding="utf-8")
    wait_until(url, lambda html: marker not in html, REBUILD_TIMEOUT_S, server)
    return seconds


def measure(
    trials: int = 3,
    verbose: bool = True,
    options: tuple[str, ...] = SERVE_OPTIONS,
    env_extra: dict[str, str] | None = None,
) -> dict[str, object]:
    """Return `{"serve_reload_s": {"prose": s, "source": s}, "serve_reload_detail": {...}}`.

    `options` (e.g. `()`, a full rebuild per edit) and `env_extra` (e.g.
    `{"SCRIBBLES_NO_EXEC": "1"}`) measure variants of `make serve`; the benchmark
    measures `make serve` itself.
    """
    with tempfile.TemporaryDirectory(prefix="scribbles-serve-") as scratch:
        root = Path(scratch)
        make_snapshot(root)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = root / "serve.log"
        samples: dict[str, list[float]] = {probe.name: [] for probe in PROBES}
        try:
            with serving(root, port, log, options, env_extra) as server:
                startup = wait_until(
                    base + PROBES[0].url, lambda html: "</html>" in html, STARTUP_TIMEOUT_S, server
                )
                if verbose:
                    print(f"  mkdocs serve: first build served after {startup:.1f} s")
                for trial in range(trials):
                    for probe in PROBES:
                        seconds = measure_probe(root, base, probe, server, trial)
                        samples[probe.name].append(round(seconds, 3))
                        if verbose:
                            print(f"  {probe.name:6s} edit shown after {seconds:6.2f} s")
        except Exception:
            print(log.read_text()[-3000:], file=sys.stderr)
            raise
    return {
        "serve_reload_s": {name: round(statistics.median(s), 3) for name, s in samples.items()},
        "serve_reload_detail": {"trials": samples, "startup_s": round(startup, 2)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="without --dirty: rebuild all")
    parser.add_argument("--no-exec", action="store_true", help="with SCRIBBLES_NO_EXEC=1")
    args = parser.parse_args()
    options = () if args.full else SERVE_OPTIONS
    env_extra = {"SCRIBBLES_NO_EXEC": "1"} if args.no_exec else None
    print(json.dumps(measure(args.trials, options=options, env_extra=env_extra), indent=2))


if __name__ == "__main__":
    main()
