"""scripts/docs_screenshots.py: the README's picture of a report is cropped and optimised into a small PNG
(issue 24 item 2), and a picture that cannot be made leaves no file behind. No Chromium needed: the
screenshot is drawn here with Pillow."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location(
        "neuralmi_docs_screenshots", ROOT / "scripts" / "docs_screenshots.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("neuralmi_docs_screenshots", module)
    spec.loader.exec_module(module)
    return sys.modules["neuralmi_docs_screenshots"]


def _page(path: Path, width: int, height: int, noise: bool = False) -> Path:
    """A page-like screenshot: white, dark text-like stripes, a coloured block; pure noise with ``noise``."""
    rng = np.random.default_rng(0)
    if noise:
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    else:
        pixels = np.full((height, width, 3), 255, np.uint8)
        for row in range(20, height - 20, 24):
            pixels[row : row + 10, 40 : width - 40] = (30, 30, 30)
        pixels[height // 2 : height // 2 + 50, 40:200] = (214, 39, 40)
    Image.fromarray(pixels).save(path)
    return path


def test_readme_picture_is_cropped_and_small(tmp_path):
    script = _script()
    src = _page(tmp_path / "shot.png", 1300, 1700)
    out = tmp_path / "assets" / "report.png"
    n_bytes = script.optimise_png(src, out, (1200, 1500), 300_000)
    with Image.open(out) as picture:
        assert picture.size == (1200, 1500)
        assert picture.mode == "P"  # a palette PNG
        top_left = picture.convert("RGB").getpixel((50, 25))
    assert top_left == (30, 30, 30)  # cropped from the top-left corner
    assert n_bytes == out.stat().st_size <= 300_000
    assert not list(out.parent.glob("*.tmp.png"))


def test_readme_picture_constants_fit_the_brief():
    script = _script()
    assert script.README_SIZE[0] == 1200 and script.README_MAX_BYTES == 300_000
    assert script.README_PICTURE == ROOT / "docs" / "assets" / "report.png"
    assert "docs/assets/report.png" in (ROOT / "README.md").read_text()
    with Image.open(script.README_PICTURE) as picture:  # the committed one
        assert picture.size == script.README_SIZE
    assert script.README_PICTURE.stat().st_size <= script.README_MAX_BYTES


@pytest.mark.parametrize(
    ("size", "noise", "max_bytes", "message"),
    [
        ((1200, 1500), False, 300_000, r"shot\.png is 800 x 600 pixels; expected at least 1200 x 1500"),
        ((400, 300), True, 1_000, r"report\.png would be \d+ bytes with 64 colours; expected at most 1000"),
    ],
)
def test_readme_picture_errors_leave_no_file(tmp_path, size, noise, max_bytes, message):
    script = _script()
    src = _page(tmp_path / "shot.png", 800, 600, noise=noise)
    out = tmp_path / "report.png"
    with pytest.raises(SystemExit, match=message):
        script.optimise_png(src, out, size, max_bytes)
    assert not out.exists()
    assert not list(tmp_path.glob("*.tmp.png"))
