"""Samplers with exact MI: the high-dimensional non-linear views are injective and carry the latent MI."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neuralmi_core.estimators import gaussian_mi
from neuralmi_core.samplers import LatentViews
from neuralmi_core.validation import NeuralMIError


def test_latent_views_are_injective_with_an_explicit_inverse():
    s = LatentViews()
    x, y = s.sample(3000, seed=4)
    zx, zy = s.latents(3000, seed=4)
    assert x.shape == (3000, 100) and y.shape == (3000, 100)
    np.testing.assert_allclose(s.invert_x(x), zx, atol=1e-9)
    np.testing.assert_allclose(s.invert_y(y), zy, atol=1e-9)
    # the maps are fixed by map_seed (same for every sample seed), and X and Y use different maps
    x2, _ = s.sample(3000, seed=5)
    np.testing.assert_allclose(s.invert_x(x2), s.latents(3000, seed=5)[0], atol=1e-9)
    with np.errstate(all="ignore"):  # y through X's inverse is garbage (and may overflow sinh)
        assert not np.allclose(s.invert_x(y), zy, atol=1e-3)


def test_latent_views_mi_is_the_latent_mi():
    s = LatentViews(mi_nats=2.0)
    assert s.mutual_information() == 2.0
    x, y = s.sample(60_000, seed=0)
    # the Gaussian closed form is exact for the recovered latents (bias ~ d^2 / 2N = 8e-4 nats; sampling sd about 0.008)
    assert gaussian_mi(s.invert_x(x), s.invert_y(y)) == pytest.approx(2.0, abs=0.025)
    assert LatentViews().mutual_information() == pytest.approx(3.0 * math.log(2))


def test_latent_views_are_non_linear():
    """The views are not a linear image of the latents: a linear read-out leaves a large residual."""
    s = LatentViews()
    x, _ = s.sample(5000, seed=1)
    zx, _ = s.latents(5000, seed=1)
    coef, *_ = np.linalg.lstsq(np.c_[zx, np.ones(len(zx))], x, rcond=None)
    resid = x - np.c_[zx, np.ones(len(zx))] @ coef
    assert resid.var() / x.var() > 0.05


@pytest.mark.parametrize("kwargs, message", [
    (dict(latent_dim=10, dim_x=5), "dim_x"),
    (dict(layers=0), "layers"),
    (dict(gain=0.0), "gain"),
    (dict(mi_nats=-1.0), "mi_nats"),
])
def test_latent_views_bad_arguments(kwargs, message):
    with pytest.raises(NeuralMIError, match=message):
        LatentViews(**kwargs)
