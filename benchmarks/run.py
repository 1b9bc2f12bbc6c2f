"""`make bench`: build times, live reload, transfer sizes, Lighthouse, implementation ratios.

Writes `bench-results.json` at the repository root (keys from other benchmarks are kept)
and prints a summary against the goals. Stages (all by default; `--only` / `--skip` pick):

- `builds`: cold (empty temporary cache), warm (same cache, filled) and no-exec strict
  builds; per-page conversion seconds (executed blocks included) from the hook's
  `SCRIBBLES_PAGE_TIMINGS`: `cold_build_s`, `warm_build_s`, `noexec_build_s`,
  `warm_over_noexec`, `pages`.
- `implementations`: every `benchmarks/implementations/*.py` module's `run()`.
- `serve_reload`: `serve_reload_s` ({"prose", "source"}), see `serve_reload.py`.
- `transfer`: `site_bytes`, `first_visit_bytes` ({page: gzip bytes}), see `transfer.py`.
- `lighthouse`: `lighthouse` ({page: {category: score}}), see `lighthouse.py`.

`transfer` and `lighthouse` measure the warm build of this run; without `builds` they
measure `--site DIR`, or else a fresh strict build (default cache).

Goals (issues "Foundation" and "Performance and quality budgets") are in `GOALS` and are
written to the results, so that the generated page "Build and performance" shows them.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import lighthouse, serve_reload, transfer

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results.json"
ENV = {
    **os.environ,
    "NO_MKDOCS_2_WARNING": "1",
    "DISABLE_MKDOCS_2_WARNING": "true",
    "PYTHONHASHSEED": "0",
}
STAGES = ("builds", "implementations", "serve_reload", "transfer", "lighthouse")
GOALS = {
    "cold_build_s": 90,
    "warm_over_noexec": 1.5,
    "serve_reload_prose_s": 1,
    "serve_reload_source_s": 3,
    "first_visit_kb": 400,
    "lighthouse": {"performance": 0.95, "accessibility": 1, "best-practices": 1, "seo": 0.9},
}


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


def measure_builds(scratch: Path) -> dict[str, object]:
    cache = {"SCRIBBLES_CACHE_DIR": str(scratch / "cache")}
    print("builds (cold, warm, no-exec)...", flush=True)
    cold, cold_pages = timed_build(scratch / "cold", **cache)
    warm, warm_pages = timed_build(scratch / "warm", **cache)
    noexec, _ = timed_build(scratch / "noexec", **cache, SCRIBBLES_NO_EXEC="1")
    return {
        "cold_build_s": round(cold, 2),
        "warm_build_s": round(warm, 2),
        "noexec_build_s": round(noexec, 2),
        "warm_over_noexec": round(warm / noexec, 3),
        "pages": {
            page: {"cold_s": round(cold_pages[page], 3), "warm_s": round(warm_pages[page], 3)}
            for page in sorted(cold_pages)
        },
    }


def command_output(*command: str) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = [line for line in result.stdout.splitlines() if line.strip() and "[:" not in line]
    return lines[-1].strip() if lines else "unknown"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment(stages: list[str], load_before: float) -> dict[str, object]:
    from importlib.metadata import version

    return {
        "measured": time.strftime("%Y-%m-%d"),
        "stages": ", ".join(stages),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "load_average_at_start": round(load_before, 2),
        "load_average_at_end": round(os.getloadavg()[0], 2),
        "mkdocs": version("mkdocs"),
        "mkdocs_material": version("mkdocs-material"),
        "chromium": command_output("/usr/bin/chromium", "--version"),
    }


def print_summary(results: dict) -> None:
    def line(label: str, value, unit: str, goal=None, at_most: bool = True) -> None:
        if not isinstance(value, (int, float)):
            print(f"  {label:34s} {'not measured':>10s}")
            return
        verdict = ""
        if goal is not None:
            met = value <= goal if at_most else value >= goal
            verdict = f"goal {'<=' if at_most else '>='} {goal}{unit}: {'met' if met else 'MISSED'}"
        print(f"  {label:34s} {value:10.2f}{unit:3s} {verdict}")

    print("\nbuilds")
    line("cold build", results.get("cold_build_s"), " s", GOALS["cold_build_s"])
    line("warm build", results.get("warm_build_s"), " s")
    line("no-exec build", results.get("noexec_build_s"), " s")
    line("warm / no-exec", results.get("warm_over_noexec"), "", GOALS["warm_over_noexec"])
    pages = results.get("pages", {})
    if pages:
        print("  slowest pages, cold (warm) in s:")
        for page, t in sorted(pages.items(), key=lambda item: -item[1]["cold_s"])[:8]:
            print(f"    {t['cold_s']:7.2f} ({t['warm_s']:6.2f})  {page}")
    reload = results.get("serve_reload_s", {})
    print("\nmake serve reload")
    line("prose edit", reload.get("prose"), " s", GOALS["serve_reload_prose_s"])
    line("src/scribbles edit", reload.get("source"), " s", GOALS["serve_reload_source_s"])
    print("\ntransfer")
    site_bytes = results.get("site_bytes")
    line("site", site_bytes / 1e6 if site_bytes else None, " MB")
    visits = results.get("first_visit_bytes", {})
    if visits:
        over = {p: b for p, b in visits.items() if b / 1000 > GOALS["first_visit_kb"]}
        heaviest = max(visits, key=visits.get)
        line("heaviest first visit", visits[heaviest] / 1000, " KB", GOALS["first_visit_kb"])
        print(f"    ({heaviest})")
        print(f"  pages over {GOALS['first_visit_kb']} KB gzip: {len(over)} of {len(visits)}")
        detail = results.get("first_visit_detail", {})
        for page in sorted(over, key=lambda p: -over[p])[:5]:
            heaviest_assets = ", ".join(detail[page]["heaviest"][:3])
            print(f"    {over[page] / 1000:6.0f} KB  {page}: {heaviest_assets}")
    scores = results.get("lighthouse", {})
    print(
        "\nlighthouse"
        + (
            f" ({results['lighthouse_settings']['form_factor']})"
            if "lighthouse_settings" in results
            else ""
        )
    )
    if scores:
        for category, goal in GOALS["lighthouse"].items():
            values = [s[category] for s in scores.values() if s.get(category) is not None]
            below = sorted(
                p for p, s in scores.items() if s.get(category) is not None and s[category] < goal
            )
            missing = sum(1 for s in scores.values() if s.get(category) is None)
            if values:
                print(
                    f"  {category:15s} min {min(values):.2f}  median "
                    f"{sorted(values)[len(values) // 2]:.2f}  goal >= {goal}: "
                    f"{len(below)} of {len(scores)} pages below"
                    + (f", {missing} not measured" if missing else "")
                )
    else:
        print("  not measured")
    print("\nimplementations (ours / reference)")
    for name, numbers in results.get("implementations", {}).items():
        line(name, numbers.get("ratio"), "", numbers.get("goal"))


def save(measured: dict[str, object], stages: list[str], load_before: float) -> dict:
    """Merge `measured` into bench-results.json (after every stage: a failure keeps the rest)."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update(measured)
    results["goals"] = GOALS
    results["environment"] = environment(stages, load_before)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="Measure the site; write bench-results.json.")
    parser.add_argument("--only", help=f"comma-separated stages among {', '.join(STAGES)}")
    parser.add_argument("--skip", help="comma-separated stages to leave out")
    parser.add_argument("--site", type=Path, help="built site for transfer and lighthouse")
    parser.add_argument("--trials", type=int, default=3, help="serve reload trials")
    args = parser.parse_args()
    stages = [s for s in STAGES if not args.only or s in args.only.split(",")]
    stages = [s for s in stages if not args.skip or s not in args.skip.split(",")]
    unknown = {*(args.only or "").split(","), *(args.skip or "").split(",")} - {*STAGES, ""}
    if unknown:
        parser.error(f"unknown stages: {', '.join(sorted(unknown))}")
    load_before = os.getloadavg()[0]
    measured: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="scribbles-bench-") as scratch:
        scratch_path = Path(scratch)
        site = args.site
        if "builds" in stages:
            measured.update(measure_builds(scratch_path))
            save(measured, stages, load_before)
            site = scratch_path / "warm"
        if "implementations" in stages:
            print("implementations...", flush=True)
            measured["implementations"] = implementation_ratios()
            save(measured, stages, load_before)
        if "serve_reload" in stages:
            print("serve reload...", flush=True)
            measured.update(serve_reload.measure(args.trials))
            save(measured, stages, load_before)
        if {"transfer", "lighthouse"} & set(stages) and site is None:
            print("building the site to measure...", flush=True)
            site = scratch_path / "site"
            timed_build(site)
        if "transfer" in stages:
            print("first-visit transfer...", flush=True)
            measured.update(transfer.measure(site))
            save(measured, stages, load_before)
        if "lighthouse" in stages:
            print("lighthouse...", flush=True)
            measured.update(lighthouse.measure(site))
    results = save(measured, stages, load_before)
    print_summary(results)
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
