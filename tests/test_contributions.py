"""Per-unit contributions (issue 12): a planted informative unit ranks first; groups; gather; bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

import neuralmi_core as nmi
from neuralmi_core.analysis.contributions import column_groups, gather_contributions
from neuralmi_core.validation import NeuralMIError

TINY = dict(epochs=30, hidden=32, n_layers=1, patience=8, batch_size=128, split="random", progress=False,
            device="cpu", n_seeds=2)


def population(n: int = 3000, seed: int = 0):
    """Y and 6 units; unit 2 carries most of Y (I = 0.59 nats alone), unit 4 a little (0.11 nats)."""
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((n, 1))
    x = rng.standard_normal((n, 6))
    x[:, 2] += 1.5 * y[:, 0]
    x[:, 4] += 0.5 * y[:, 0]
    return x, y


def test_planted_unit_ranks_first_with_its_mi_alone():
    x, y = population()
    coords = [{"unit": str(10 + i), "region": "A" if i < 3 else "B"} for i in range(6)]
    res = nmi.contributions(x, y, column_coords=coords, **TINY)
    assert res.top_groups[:2] == ("unit=12", "unit=14") and res.groups[0]["rank"] == 1
    first = res.groups[0]
    assert first["alone_mi_nats"] == pytest.approx(0.5 * np.log(1 + 1.5**2), abs=0.08)  # Gaussian closed form
    assert first["drop_nats"] > 0.3 and all(abs(r["drop_nats"]) < 0.1 for r in res.groups[2:])
    assert res.full_mi_nats == pytest.approx(0.5 * np.log(1 + 1.5**2 + 0.5**2), abs=0.08)
    assert "not additive" in res.note and any("not additive" in w for w in res.warnings)
    by_region = nmi.contributions(x, y, column_coords=coords, group_by="region", **TINY)
    assert [g["group"] for g in by_region.groups] == ["region=A", "region=B"]
    assert [g["n_columns"] for g in by_region.groups] == [3, 3]


def test_cells_gather_into_one_call(tmp_path):
    x, y = population(1200)
    full = nmi.contributions(x, y, **TINY)
    parts = [nmi.contributions(x, y, **{**TINY, "n_seeds": 1, "seed": s, "part": p}).to_dict()
             for p in (0, 1) for s in (0, 1)]
    gathered = gather_contributions(json.loads(json.dumps(parts)))
    assert [g["group"] for g in gathered.groups] == [g["group"] for g in full.groups]
    assert [g["drop_nats"] for g in gathered.groups] == pytest.approx([g["drop_nats"] for g in full.groups])
    back = nmi.ContributionsResult.from_dict(json.loads(json.dumps(full.to_dict())))
    assert back.top_groups == full.top_groups
    back.plot().savefig(tmp_path / "contrib.png")


def test_groups_and_bad_input():
    assert column_groups(3, None, None, "unit") == ["column 0", "column 1", "column 2"]
    coords = [{"unit": "1", "region": "A"}, {"unit": "2", "region": "A"}]
    assert column_groups(2, None, coords, "unit") == ["unit=1", "unit=2"]
    with pytest.raises(NeuralMIError, match=r"`group_by` is 'location', but X's columns have the coordinates "
                                            r"\['region', 'unit'\]"):
        column_groups(2, None, coords, "location")
    with pytest.raises(NeuralMIError, match="at least 2 groups"):
        column_groups(2, None, coords, "region")
    with pytest.raises(NeuralMIError, match=r"`groups` must name the group of each of X's 3 columns; got 2"):
        column_groups(3, ["a", "b"], None, "unit")
