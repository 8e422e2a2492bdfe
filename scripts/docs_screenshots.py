"""Screenshots of the report pages for the documentation site, and the README's picture of a report, made
from a finished workflow run.

    bash scripts/demo.sh                                   # first: a workflow run (the demo, or your archive)
    .venv/bin/python scripts/docs_screenshots.py [--results results] [--out docs/images] [--chromium PATH]
    .venv/bin/python scripts/docs_screenshots.py --readme  # the README's picture, docs/assets/report.png

Writes ``summary.png`` (``results/summary.html``) and ``report.png`` (the first session's ``report.html``)
with headless Chromium (``--headless --screenshot``). The images are not committed (``docs/images/`` is
ignored by git): ``docs/getting-started.md`` shows them when they are there and says how to make them when
they are not, so the pages always match the code that made them.

``--readme`` writes instead the one committed picture, ``docs/assets/report.png`` (the README and the
site's home page show it): the top of the first session's report of a demo run (``bash scripts/demo.sh``
with the shipped ``config.yaml``), 1200 pixels wide and 1500 high, as a palette PNG under 300 KB
(:func:`optimise_png`, with Pillow). Regenerate it after a change to the report pages.
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
#: the README's picture: the top of a session report, (width, height) in pixels, at most this many bytes
README_PICTURE = ROOT / "docs" / "assets" / "report.png"
README_SIZE = (1200, 1500)
README_MAX_BYTES = 300_000


def find_chromium(given: str | None) -> str:
    for name in [given] if given else CHROMIUM:
        path = shutil.which(name) or (name if Path(name).is_file() else None)
        if path:
            return path
    raise SystemExit(
        f"docs_screenshots: no Chromium found (tried {', '.join([given] if given else CHROMIUM)}); "
        "Debian: apt-get install chromium"
    )


def screenshot(exe: str, page: Path, out: Path, height: int, width: int = 1280) -> None:
    """``page`` at ``width`` x ``height`` pixels into ``out`` (written next to it first, then renamed)."""
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
                "--force-device-scale-factor=1",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
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


def optimise_png(
    src: Path, out: Path, size: tuple[int, int], max_bytes: int, colors: tuple[int, ...] = (256, 128, 64)
) -> int:
    """Crop the screenshot ``src`` to its top-left ``size`` (width, height) and write it to ``out`` as an
    optimised palette PNG of at most ``max_bytes``.

    Parameters
    ----------
    src : Path
        A screenshot at least ``size`` large.
    out : Path
        The PNG to write; written next to it first and renamed, so a failed call leaves no file (and an
        earlier ``out`` in place).
    size : tuple of int
        Width and height of the picture, in pixels.
    max_bytes : int
        The largest file allowed; palettes of ``colors`` colours are tried in turn until one fits.
    colors : tuple of int
        Palette sizes to try, largest first.

    Returns
    -------
    int
        The size of ``out`` in bytes.

    Raises
    ------
    SystemExit
        When ``src`` is smaller than ``size``, or no palette gives a file of at most ``max_bytes``; the
        message names the file.
    """
    from PIL import Image  # matplotlib's dependency, so always installed with neuralmi

    width, height = size
    with Image.open(src) as image:
        if image.width < width or image.height < height:
            raise SystemExit(
                f"docs_screenshots: {src} is {image.width} x {image.height} pixels; expected at least "
                f"{width} x {height} (the picture's size)"
            )
        top = image.convert("RGB").crop((0, 0, width, height))
    tmp = out.with_suffix(".tmp.png")
    out.parent.mkdir(parents=True, exist_ok=True)
    for n in colors:
        top.quantize(colors=n, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            tmp, format="PNG", optimize=True
        )
        if tmp.stat().st_size <= max_bytes:
            tmp.replace(out)
            return out.stat().st_size
    smallest = tmp.stat().st_size
    tmp.unlink()
    raise SystemExit(
        f"docs_screenshots: {out} would be {smallest} bytes with {colors[-1]} colours; expected at most "
        f"{max_bytes} (crop a smaller part of {src})"
    )


def readme_picture(exe: str, results: Path, out: Path = README_PICTURE) -> int:
    """The README's picture: the top of the first session report under ``results``, via
    :func:`screenshot` and :func:`optimise_png`; returns its size in bytes."""
    pages = sorted(results.glob(PAGES["report.png"][0]))
    if not pages:
        raise SystemExit(
            f"docs_screenshots: no session report under {results}: run the demo first (bash scripts/demo.sh)"
        )
    width, height = README_SIZE
    with tempfile.TemporaryDirectory() as tmp:
        shot = Path(tmp) / "report.png"
        screenshot(exe, pages[0], shot, height + 100, width=width)
        n_bytes = optimise_png(shot, out, README_SIZE, README_MAX_BYTES)
    print(f"{out}: {pages[0]}, {width} x {height} pixels, {n_bytes} bytes")
    return n_bytes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=ROOT / "results", help="the workflow's results folder")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="where the PNGs go")
    ap.add_argument(
        "--chromium", default=None, help="the Chromium binary (default: /usr/bin/chromium, then PATH)"
    )
    ap.add_argument(
        "--readme",
        action="store_true",
        help=f"write only the README's picture, {README_PICTURE.relative_to(ROOT)} (committed)",
    )
    args = ap.parse_args(argv)
    exe = find_chromium(args.chromium)
    if args.readme:
        readme_picture(exe, args.results)
        return 0
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
