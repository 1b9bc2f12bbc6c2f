"""`make offline`: build the file:// variant of the site and zip it reproducibly.

The zip (dist/scribbles-offline.zip) opens in any browser without a server: links are
`.../index.html` files, search runs from an inlined index, and nothing is requested from
another host (Material's offline plugin, with our own copy of its iframe-worker shim).
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
    env = {
        **os.environ,
        "SCRIBBLES_OFFLINE": "1",
        "NO_MKDOCS_2_WARNING": "1",
        "DISABLE_MKDOCS_2_WARNING": "true",
    }
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "-d", str(site)],
        cwd=ROOT,
        env=env,
        check=True,
    )


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
    site = ROOT / "site-offline"
    archive = ROOT / "dist" / "scribbles-offline.zip"
    build_offline(site)
    zip_site(site, archive)
    print(f"wrote {archive.relative_to(ROOT)} ({archive.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
