"""`make offline`: build the file:// variant of the site and zip it reproducibly.

The zip (dist/scribbles-offline.zip) opens in any browser without a server: links are
`.../<page>.html` files, search runs from an inlined index, and nothing is requested from
another host (Material's offline plugin, with our own copy of its iframe-worker shim, and
instant navigation off: see `_build`). `tests/test_offline.py` opens it from file://.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXED_TIME = (2026, 1, 1, 0, 0, 0)  # zip entries carry no build time: same bytes each build


def build_offline(site: Path) -> None:
    """Strict build of the offline variant into `site` (in a child process, as `mkdocs build`)."""
    env = {
        **os.environ,
        "SCRIBBLES_OFFLINE": "true",  # parsed by !ENV as YAML: "1" would be an int
        "NO_MKDOCS_2_WARNING": "1",
        "DISABLE_MKDOCS_2_WARNING": "true",
    }
    subprocess.run(
        [sys.executable, "-m", "benchmarks.offline", "--build-only", str(site)],
        cwd=ROOT,
        env=env,
        check=True,
    )


def _build(site: Path) -> None:
    """What `mkdocs build --strict --clean -d SITE` does, with instant navigation off.

    Material 9.8's instant navigation does nothing under file:// and, doing so, completes
    the `document$` observable before the page has loaded: nothing subscribed to it runs
    (KaTeX's rendering, search). The offline plugin does not turn the feature off, so
    this build does.
    """
    import logging

    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort

    logging.basicConfig(level=logging.INFO, format="%(levelname)-7s -  %(message)s")
    config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(site), strict=True)
    features = config.theme["features"]
    features[:] = [name for name in features if not name.startswith("navigation.instant")]
    config.plugins.on_startup(command="build", dirty=False)
    try:
        build(config, dirty=False)
    except Abort as error:  # strict mode counted warnings, or a plugin stopped the build
        sys.exit(f"Aborted: {error}")
    finally:
        config.plugins.on_shutdown()


def zip_site(site: Path, archive: Path) -> None:
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(site.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(f"scribbles/{path.relative_to(site).as_posix()}", FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                bundle.writestr(info, path.read_bytes())


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--build-only":
        _build(Path(sys.argv[2]))
        return
    site = ROOT / "site-offline"
    archive = ROOT / "dist" / "scribbles-offline.zip"
    build_offline(site)
    zip_site(site, archive)
    print(f"wrote {archive.relative_to(ROOT)} ({archive.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
