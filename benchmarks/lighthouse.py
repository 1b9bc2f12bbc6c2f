"""`make bench`: Lighthouse scores of every page of the built site.

Lighthouse 12.8.2 comes from the npm registry, installed by `make bench` into
`.bench-tools/` (`npm i -E --no-save --prefix .bench-tools lighthouse@12.8.2`; not part of
the site's own `package.json`). It drives Debian's Chromium (`/usr/bin/chromium`) against
the site served on 127.0.0.1, one page at a time, with Lighthouse's default settings
(mobile form factor, simulated throttling) unless `SCRIBBLES_LIGHTHOUSE_PRESET=desktop`.

Bounded: every page gets at most `SCRIBBLES_LIGHTHOUSE_PAGE_TIMEOUT_S` seconds (default
240), and pages not started within `SCRIBBLES_LIGHTHOUSE_BUDGET_S` (default 3600) of the
first are recorded as not measured. A page Lighthouse could not measure gets `null` scores
and its error.

`SCRIBBLES_LIGHTHOUSE_REPORTS=DIR` keeps every full JSON report there.

Run alone: `python -m benchmarks.lighthouse SITE_DIR [PAGE ...]`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.transfer import page_urls, serve

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / ".bench-tools" / "node_modules" / ".bin" / "lighthouse"
VERSION = "12.8.2"
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-quic --disable-background-networking"
    " --disable-component-update --disable-sync"
)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def lighthouse_version() -> str:
    result = subprocess.run([str(LIGHTHOUSE), "--version"], capture_output=True, text=True)
    return result.stdout.strip()


def audit(url: str, timeout: float, preset: str | None) -> dict[str, object]:
    """Run Lighthouse once; return the four category scores and the failing audits."""
    with tempfile.TemporaryDirectory(prefix="scribbles-lh-") as scratch:
        report = Path(scratch) / "report.json"
        command = [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-path={CHROMIUM}",
            f"--chrome-flags={CHROME_FLAGS}",
            "--max-wait-for-load=60000",
            *([f"--preset={preset}"] if preset else []),
        ]
        env = {**os.environ, "CHROME_PATH": CHROMIUM, "TMPDIR": scratch}
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, env=env, cwd=scratch
            )
        except subprocess.TimeoutExpired:
            return {**dict.fromkeys(CATEGORIES), "error": f"timed out after {timeout:.0f} s"}
        if result.returncode != 0 or not report.is_file():
            return {**dict.fromkeys(CATEGORIES), "error": (result.stderr or result.stdout)[-500:]}
        data = json.loads(report.read_text())
        keep = os.environ.get("SCRIBBLES_LIGHTHOUSE_REPORTS")
        if keep:  # full reports, to study a low score
            name = url.split("://", 1)[-1].split("/", 1)[-1].strip("/").replace("/", "_")
            Path(keep).mkdir(parents=True, exist_ok=True)
            (Path(keep) / f"{name or 'index'}.json").write_text(report.read_text())
    scores = {name: data["categories"][name]["score"] for name in CATEGORIES}
    failing = {}
    for name in CATEGORIES:
        for ref in data["categories"][name]["auditRefs"]:
            found = data["audits"][ref["id"]]
            score = found.get("score")
            if ref.get("weight", 0) > 0 and score is not None and score < 0.9:
                failing[ref["id"]] = {
                    "score": score,
                    "category": name,
                    "display": found.get("displayValue", ""),
                }
    metrics = {
        key: data["audits"][key].get("numericValue")
        for key in (
            "first-contentful-paint",
            "largest-contentful-paint",
            "total-blocking-time",
            "cumulative-layout-shift",
            "speed-index",
        )
        if key in data["audits"]
    }
    runtime_error = data.get("runtimeError", {}).get("message")
    return {
        **scores,
        "failing_audits": failing,
        "metrics": metrics,
        **({"error": runtime_error} if runtime_error else {}),
    }


def measure(site: Path, pages: list[str] | None = None, verbose: bool = True) -> dict[str, object]:
    """Return `lighthouse` ({page: {category: score}}) and `lighthouse_detail`."""
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"{LIGHTHOUSE} is missing: run `make bench` (it installs Lighthouse)")
    version = lighthouse_version()
    if version != VERSION:
        print(f"warning: Lighthouse {version} found, {VERSION} expected", file=sys.stderr)
    preset = os.environ.get("SCRIBBLES_LIGHTHOUSE_PRESET") or None
    page_timeout = float(os.environ.get("SCRIBBLES_LIGHTHOUSE_PAGE_TIMEOUT_S", "240"))
    budget = float(os.environ.get("SCRIBBLES_LIGHTHOUSE_BUDGET_S", "3600"))
    scores: dict[str, dict[str, float | None]] = {}
    detail: dict[str, object] = {}
    started = time.perf_counter()
    with serve(site) as base:
        for url in pages or page_urls(site):
            if time.perf_counter() - started > budget:
                result: dict[str, object] = {
                    **dict.fromkeys(CATEGORIES),
                    "error": f"not run: the {budget:.0f} s budget was spent",
                }
            else:
                result = audit(base + url, page_timeout, preset)
            scores[url] = {name: result[name] for name in CATEGORIES}
            detail[url] = {key: value for key, value in result.items() if key not in CATEGORIES}
            if verbose:
                shown = "  ".join(
                    f"{name[:4]} {'-' if result[name] is None else format(result[name], '.2f')}"
                    for name in CATEGORIES
                )
                print(
                    f"  {shown}  {url}"
                    + (f"  ({result['error'][:80]})" if "error" in result else "")
                )
    return {
        "lighthouse": scores,
        "lighthouse_detail": detail,
        "lighthouse_settings": {
            "version": version,
            "form_factor": preset or "mobile (default, simulated throttling)",
            "seconds": round(time.perf_counter() - started, 1),
        },
    }


def main() -> None:
    site = Path(sys.argv[1])
    results = measure(site, sys.argv[2:] or None)
    print(json.dumps(results["lighthouse_detail"], indent=1)[:6000])


if __name__ == "__main__":
    main()
