"""Atomic writes (issue 14 item 2): every output gets the umask's normal mode, a failed write leaves nothing,
and there is one atomic writer in the package."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from neuralmi_core.io.arrays import write_json
from neuralmi_core.io.atomic import atomic_path, atomic_write_text, default_file_mode
from neuralmi_core.io.netcdf import write_netcdf

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def umask():
    """Set the process umask for one test and restore it."""
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_text_outputs_follow_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    assert default_file_mode() == expected
    atomic_write_text(tmp_path / "a.txt", "x")
    write_json(tmp_path / "b.json", {"a": 1})
    assert mode(tmp_path / "a.txt") == expected and mode(tmp_path / "b.json") == expected


def test_netcdf_nwb_and_report_outputs_are_readable_by_the_lab(tmp_path, umask):
    umask(0o022)
    ds = xr.Dataset({"v": (("time",), np.arange(5.0))}, attrs={"bin_width_s": 0.1})
    write_netcdf(ds, tmp_path / "binned.nc")
    from neuralmi_core.synth import generate_session

    generate_session(tmp_path / "s.nwb", seed=0, duration_s=30.0, n_units_a=2, n_units_b=2)  # + .truth.json
    from test_report import _write_records  # fabricated gathered records

    from neuralmi_core.report.archive import write_archive_summary
    from neuralmi_core.report.session import write_session_report

    res = _write_records(tmp_path, "s1")
    figs = [tmp_path / "s1" / "A_vs_B_rigorous.png", tmp_path / "s1" / "A_vs_B_dimensionality.png"]
    write_session_report("s1", res, html_out=tmp_path / "s1" / "report.html", json_out=tmp_path / "s1" / "summary.json",
                         figures_out=figs)
    write_archive_summary([tmp_path / "s1" / "summary.json"], csv_out=tmp_path / "summary.csv",
                          html_out=tmp_path / "summary.html")
    outputs = [tmp_path / "binned.nc", tmp_path / "s.nwb", tmp_path / "s.truth.json", tmp_path / "s1" / "report.html",
               tmp_path / "s1" / "summary.json", *figs, tmp_path / "summary.csv", tmp_path / "summary.html"]
    assert {str(p.relative_to(tmp_path)): oct(mode(p)) for p in outputs} == {
        str(p.relative_to(tmp_path)): oct(0o644) for p in outputs}
    assert not [p for p in tmp_path.rglob(".*") if p.is_file()], "temporary files left behind"


def test_failed_write_leaves_the_target_untouched(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer died")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
    with pytest.raises(ValueError):
        write_json(tmp_path / "nan.json", {"x": float("nan")})  # strict JSON: refused before anything is written
    assert not (tmp_path / "nan.json").exists()


def test_one_atomic_writer_in_the_code():
    """Every write goes through neuralmi_core/io/atomic.py: no other module renames temporary files."""
    offenders = []
    for path in [*ROOT.glob("neuralmi_core/**/*.py"), *ROOT.glob("workflow/**/*.py"), *ROOT.glob("workflow/**/*.smk")]:
        if path.name == "atomic.py":
            continue
        text = path.read_text()
        if re.search(r"mkstemp|os\.replace|os\.rename|\.rename\(", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders
