"""Screenshots of the report pages for the documentation site, made from a finished workflow run.

    bash scripts/demo.sh                                   # first: a workflow run (the demo, or your archive)
    .venv/bin/python scripts/docs_screenshots.py [--results results] [--out docs/images] [--chromium PATH]

Writes ``summary.png`` (``results/summary.html``) and ``report.png`` (the first session's ``report.html``)
with headless Chromium (``--headless --screenshot``). The images are not committed (``docs/images/`` is
ignored by git): ``docs/getting-started.md`` shows them when they are there and says how to make them when
they are not, so the pages always match the code that made them.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
PAGES = {"summary.png": ("summary.html", 1800), "report.png": ("*/report.html", 2600)}  # name: (glob, height)


def find_chromium(given: str | None) -> str:
    for name in [given] if given else CHROMIUM:
        path = shutil.which(name) or (name if Path(name).is_file() else None)
        if path:
            return path
    raise SystemExit(
        f"docs_screenshots: no Chromium found (tried {', '.join([given] if given else CHROMIUM)}); "
        "Debian: apt-get install chromium"
    )


def screenshot(exe: str, page: Path, out: Path, height: int) -> None:
    """``page`` at 1280 x ``height`` pixels into ``out`` (written next to it first, then renamed)."""
    tmp_png = out.with_suffix(".tmp.png")
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--window-size=1280,{height}",
                f"--screenshot={tmp_png}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
    if proc.returncode != 0 or not tmp_png.is_file() or tmp_png.stat().st_size == 0:
        tmp_png.unlink(missing_ok=True)
        raise SystemExit(
            f"docs_screenshots: Chromium failed on {page} (rc {proc.returncode}):\n{proc.stderr[-2000:]}"
        )
    tmp_png.replace(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=ROOT / "results", help="the workflow's results folder")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="where the PNGs go")
    ap.add_argument(
        "--chromium", default=None, help="the Chromium binary (default: /usr/bin/chromium, then PATH)"
    )
    args = ap.parse_args(argv)
    exe = find_chromium(args.chromium)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, (pattern, height) in PAGES.items():
        pages = sorted(args.results.glob(pattern))
        if not pages:
            raise SystemExit(
                f"docs_screenshots: no {pattern} under {args.results}: run the workflow first "
                "(bash scripts/demo.sh)"
            )
        screenshot(exe, pages[0], args.out / name, height)
        print(f"{args.out / name}: {pages[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
