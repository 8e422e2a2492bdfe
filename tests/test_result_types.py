"""The result types the reports render from: from_dict round trips, the figures of plot() (issue 14 item 11),
one ceiling rule, saturation keys as the CLI/config/CSV write them (item 13)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from test_report import dimensionality_record, rigorous_record

from neuralmi_core.analysis.dimensionality import DimensionalityResult
from neuralmi_core.analysis.rigorous import RigorousResult
from neuralmi_core.report.archive import columns

ROOT = Path(__file__).resolve().parents[1]


def test_rigorous_from_dict_round_trip():
    d = rigorous_record()
    res = RigorousResult.from_dict(d)
    assert isinstance(res.members[0].gamma, int) and res.fit.fitted and res.extrapolate == "average"
    again = json.loads(json.dumps(res.to_dict()))
    assert again == d
    assert RigorousResult.from_dict(again).to_dict() == res.to_dict()
    partial = rigorous_record(gammas=[1, 2])  # no fit: NaN fields written as null come back as NaN
    res = RigorousResult.from_dict(partial)
    assert math.isnan(res.mi_nats) and not res.fit.fitted and json.loads(json.dumps(res.to_dict())) == partial


def test_dimensionality_from_dict_round_trip_and_old_keys():
    d = dimensionality_record()
    res = DimensionalityResult.from_dict(d)
    assert json.loads(json.dumps(res.to_dict())) == d
    old = dict(d, saturation={"0.1": 3, "1.0": 3, "15.0": 3})  # keys written before the rename
    assert DimensionalityResult.from_dict(old).saturation == {"0.1": 3, "1": 3, "15": 3}


def test_from_dict_refuses_other_records():
    from neuralmi_core.validation import NeuralMIError

    with pytest.raises(NeuralMIError, match="not a rigorous result"):
        RigorousResult.from_dict({"members": []})


def test_saturation_keys_match_cli_config_and_csv():
    res = DimensionalityResult.from_dict(dimensionality_record())
    assert list(res.saturation) == ["0.1", "1", "15"]
    assert res.saturation_dim == res.saturation["1"]
    assert all(f"saturation_dim_s{k}" in columns("bits") for k in res.saturation)


def test_one_definition_of_the_ceiling_rule():
    defs = [str(p.relative_to(ROOT)) for p in ROOT.glob("neuralmi_core/**/*.py")
            if re.search(r"^\s*CEILING_FRACTION\s*=", p.read_text(), re.M)]
    assert defs == ["neuralmi_core/results.py"]
    uses = [p for p in ROOT.glob("neuralmi_core/**/*.py") if "CEILING_FRACTION *" in p.read_text()
            and p.name != "results.py"]
    assert not uses, "use results.near_ceiling, not a copy of the rule"


def test_report_figures_come_from_the_result_types():
    text = (ROOT / "neuralmi_core" / "report" / "figures.py").read_text()
    assert "errorbar" not in text and "scatter" not in text and ".plot(" in text


# ------------------------------------------------------------------------------------------ figures


def _legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_rigorous_plot_labels_gammas_and_shows_the_quoted_ci():
    res = RigorousResult.from_dict(rigorous_record())
    fig = res.plot(unit="nats")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[1:] == [str(g) for g in res.gammas] and labels[0].startswith("0")
    assert "gamma" in ax.get_xlabel() and "1/N" in ax.get_xlabel() and ax.get_ylabel() == "MI (nats)"
    texts = _legend_texts(ax)
    assert any("quoted" in t for t in texts) and any("fit alone" in t for t in texts)
    # the shaded band at gamma = 0 is the quoted interval (ci_*), not the fit's narrower one
    band = next(c for c in ax.collections if c.get_label().startswith("68% CI, quoted"))
    verts = band.get_paths()[0].vertices
    at0 = verts[np.isclose(verts[:, 0], 0.0)][:, 1]
    assert at0.min() == pytest.approx(res.ci_low_nats, rel=1e-6) and at0.max() == pytest.approx(res.ci_high_nats,
                                                                                                  rel=1e-6)
    assert res.ci_high_nats - res.ci_low_nats > res.fit_ci_high_nats - res.fit_ci_low_nats


def _inside(inner, outer, tol=1.0):
    return (inner.x0 >= outer.x0 - tol and inner.y0 >= outer.y0 - tol and inner.x1 <= outer.x1 + tol
            and inner.y1 <= outer.y1 + tol)


@pytest.mark.parametrize("make", [lambda: RigorousResult.from_dict(rigorous_record()),
                                  lambda: DimensionalityResult.from_dict(dimensionality_record())])
def test_figures_keep_labels_inside_and_the_legend_off_the_data(make):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = make().plot()
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    frame = fig.bbox
    assert _inside(ax.yaxis.label.get_window_extent(renderer), frame), "y label clipped"
    assert _inside(ax.xaxis.label.get_window_extent(renderer), frame), "x label clipped"
    legend = ax.get_legend().get_window_extent(renderer)
    assert _inside(legend, frame) and not legend.overlaps(ax.get_window_extent(renderer)), "legend covers data"
    labels = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
    assert all(not a.overlaps(b) for a, b in zip(labels, labels[1:], strict=False)), "tick labels run together"


def test_dimensionality_plot_names_the_halves_and_explains_a_missing_saturation():
    res = DimensionalityResult.from_dict(dimensionality_record(latent=9, dims=(1, 2, 3, 4)))
    ax = res.plot().axes[0]
    assert "X_A" not in ax.get_title() and "halves of X's channels" in ax.get_title()
    texts = _legend_texts(ax)
    assert any(re.search(r"s = 1: none \(MI still rising at dim 4\)", t) for t in texts), texts


def test_plot_draws_on_a_given_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert RigorousResult.from_dict(rigorous_record()).plot(ax=ax) is fig
    plt.close(fig)
