"""`make bench`: build times (cold, warm, no-exec), per-page execution, implementation ratios.

Writes `bench-results.json` at the repository root (keys from other benchmarks are kept)
and prints a summary. Goals (issue "Foundation"): warm <= 1.5 x no-exec, cold <= 90 s.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results.json"
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}


def timed_build(site: Path, **env: str) -> tuple[float, dict[str, float]]:
    """Run a strict build; return its wall time and the per-page conversion seconds."""
    timings = site.with_suffix(".timings.json")
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "-d", str(site)],
        cwd=ROOT,
        env={**ENV, **env, "SCRIBBLES_PAGE_TIMINGS": str(timings)},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"build failed:\n{(result.stdout + result.stderr)[-4000:]}")
    return seconds, json.loads(timings.read_text())


def implementation_ratios() -> dict[str, dict[str, float]]:
    """Run every `benchmarks/implementations/*.py` module's `run()`."""
    results: dict[str, dict[str, float]] = {}
    for path in sorted((ROOT / "benchmarks" / "implementations").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        results.update(module.run())
    return results


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="scribbles-bench-") as scratch:
        scratch_path = Path(scratch)
        cache = {"SCRIBBLES_CACHE_DIR": str(scratch_path / "cache")}
        cold, cold_pages = timed_build(scratch_path / "cold", **cache)
        warm, warm_pages = timed_build(scratch_path / "warm", **cache)
        noexec, _ = timed_build(scratch_path / "noexec", **cache, SCRIBBLES_NO_EXEC="1")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update(
        {
            "cold_build_s": round(cold, 2),
            "warm_build_s": round(warm, 2),
            "noexec_build_s": round(noexec, 2),
            "warm_over_noexec": round(warm / noexec, 3),
            "pages": {
                page: {"cold_s": round(cold_pages[page], 3), "warm_s": round(warm_pages[page], 3)}
                for page in sorted(cold_pages)
            },
            "implementations": implementation_ratios(),
            "environment": {
                "python": platform.python_version(),
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "measured": time.strftime("%Y-%m-%d"),
            },
        }
    )
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"cold build   {cold:7.2f} s   (goal <= 90 s)")
    print(f"warm build   {warm:7.2f} s")
    print(f"no-exec      {noexec:7.2f} s")
    print(f"warm/no-exec {warm / noexec:7.2f}     (goal <= 1.5)")
    print("\nslowest pages, cold (s):")
    for page, seconds in sorted(cold_pages.items(), key=lambda item: -item[1])[:12]:
        print(f"  {seconds:7.2f}  {page}")
    print("\nimplementations (ours / reference):")
    for name, numbers in results["implementations"].items():
        print(f"  {name:32s} ratio {numbers['ratio']:6.2f}  goal <= {numbers.get('goal', '-')}")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
