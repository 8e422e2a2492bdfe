"""A two-photon imaging session of the synthetic model: population A recorded as ROIs (dF/F at 30 Hz).

Generative model (on top of :mod:`.model`; one session):

* the same smooth shared latents ``s`` and the same population A as an ephys session
  (:func:`.model.draw_population`, :func:`.model.population_spike_ticks`): ``n_cells`` units with latent
  state ``z_A = [s + shared_noise * eta_A, p_A]`` (``n_shared + n_private_a`` dims) and Poisson spikes on
  the 5 ms generation grid. Population B is not simulated: the file is imaging-only;
* calcium: each spike adds 1 to the unit's calcium, which decays exponentially with time constant
  ``tau_decay_s`` (default 0.6 s; instantaneous rise; linear, no saturation);
* frames at ``frame_rate_hz`` (default 30 Hz), frame ``k`` at ``k / rate``: its value is the calcium at
  that instant (spikes up to and including the frame time; a scanner samples each ROI once per frame, so
  no averaging over the frame);
* cells (``is_cell = 1``): ``dF/F_i = a_i * calcium_i + noise``, ``a_i`` the peak dF/F of one spike,
  lognormal across cells (median ``dff_per_spike`` = 0.2, log-sd 0.3; GCaMP6s in vivo gives ~0.1-0.3 per
  action potential), noise white Gaussian with sd ``noise_sd`` = 0.25 per frame: one spike peaks below
  one noise sd in a single frame (barely visible, as in GCaMP6s/f recordings), bursts stand out;
* non-cells (``is_cell = 0``, ``round(non_cell_fraction * n_rois)`` of them at random positions in the
  table): neuropil-like slow fluctuations (smooth Gaussian noise, sd ``neuropil_sd`` = 0.2, timescale
  ``neuropil_timescale_s`` = 1 s) plus the same white noise, independent of the latents;
* the behaviour (``position``, a read-out of ``s``) and the trials exactly as in an ephys session
  (:func:`.model.draw_behavior`, :func:`.model.draw_trials`).

Ground truth (:func:`imaging_truth`): the latent dims seen by the ROIs, the imaging constants, the counts
of cells and non-cells, and an exact upper bound on the MI between anything computed from the ROIs in a
bin and the binned position (see :func:`position_mi_bound_nats`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..validation import NeuralMIError, check_float, check_int
from .model import (
    TRUTH_BIN_WIDTHS,
    SynthParams,
    behavior_truth,
    draw_behavior,
    draw_population,
    draw_trials,
    population_spike_ticks,
    smooth_noise,
)

#: Path of the dF/F series in the written file (what ``ophys: auto`` discovers).
DFF_PATH = "processing/ophys/DfOverF/RoiResponseSeries"


@dataclass(frozen=True)
class ImagingParams:
    """Imaging constants of a synthetic imaging session (see the module docstring)."""

    n_rois: int = 200
    non_cell_fraction: float = 0.1
    frame_rate_hz: float = 30.0
    tau_decay_s: float = 0.6
    dff_per_spike: float = 0.2
    dff_per_spike_log_sd: float = 0.3
    noise_sd: float = 0.25
    neuropil_sd: float = 0.2
    neuropil_timescale_s: float = 1.0
    location: str = "VISp"
    depth_um: float = 200.0
    indicator: str = "GCaMP6s"
    field_px: int = 512
    roi_radius_px: int = 3

    @property
    def n_non_cells(self) -> int:
        return int(round(self.non_cell_fraction * self.n_rois))

    @property
    def n_cells(self) -> int:
        return self.n_rois - self.n_non_cells

    def check(self, duration_s: float | None = None) -> ImagingParams:
        check_int("n_rois", self.n_rois, 2)
        check_float("non_cell_fraction", self.non_cell_fraction, 0.0, 1.0, high_open=True)
        if self.n_cells < 1:
            raise NeuralMIError(
                f"`non_cell_fraction` ({self.non_cell_fraction}) leaves no cell among {self.n_rois} ROIs; "
                "expected at least one ROI with is_cell = 1."
            )
        check_float("frame_rate_hz", self.frame_rate_hz, 0.0, None, low_open=True)
        check_float("tau_decay_s", self.tau_decay_s, 0.0, None, low_open=True)
        check_float("dff_per_spike", self.dff_per_spike, 0.0, None, low_open=True)
        check_float("dff_per_spike_log_sd", self.dff_per_spike_log_sd, 0.0, None)
        check_float("noise_sd", self.noise_sd, 0.0, None)
        check_float("neuropil_sd", self.neuropil_sd, 0.0, None)
        check_float("neuropil_timescale_s", self.neuropil_timescale_s, 0.0, None, low_open=True)
        check_float("depth_um", self.depth_um, 0.0, None)
        check_int("roi_radius_px", self.roi_radius_px, 1)
        check_int("field_px", self.field_px, 2 * self.roi_radius_px + 2)
        if not str(self.location).strip():
            raise NeuralMIError(f"`location` must name a brain area (e.g. VISp). Got {self.location!r}.")
        if duration_s is not None and int(duration_s * self.frame_rate_hz) < 2:
            raise NeuralMIError(
                f"a {duration_s} s session at `frame_rate_hz` {self.frame_rate_hz} has fewer than 2 frames; "
                "expected a longer session or a higher frame rate."
            )
        return self


@dataclass
class ImagingData:
    """Everything generated for one imaging session, before it is written as NWB."""

    params: SynthParams
    imaging: ImagingParams
    seed: int
    dff: np.ndarray  # (n_frames, n_rois) float32
    is_cell: np.ndarray  # (n_rois,) uint8
    roi_centres: np.ndarray  # (n_rois, 2) pixel (x, y)
    spike_times: list[np.ndarray]  # per cell ROI, in ROI order of the cells (ground truth, not written)
    latents: np.ndarray  # (n_steps, n_shared + n_private_a): z_A on the generation grid (not written)
    behavior_t: np.ndarray
    behavior_xy: np.ndarray
    trials: np.ndarray
    truth: dict[str, Any]

    @property
    def frame_times(self) -> np.ndarray:
        return np.arange(self.dff.shape[0]) / self.imaging.frame_rate_hz


def calcium_at_frames(spike_times: list[np.ndarray], frame_times: np.ndarray, tau_s: float) -> np.ndarray:
    """Calcium ``c_u(t_k) = sum_{spikes t_s <= t_k} exp(-(t_k - t_s) / tau)`` of each unit at each frame time.

    Exact for any spike times: each spike's weight at its first frame, then a first-order recursion over
    frames (``frame_times`` evenly spaced). Returns (n_frames, n_units) float64.

    Examples
    --------
    >>> c = calcium_at_frames([np.array([0.0, 0.1])], np.array([0.0, 0.1, 0.2]), 0.1)
    >>> np.round(c[:, 0], 4).tolist()
    [1.0, 1.3679, 0.5032]
    """
    from scipy.signal import lfilter

    n = frame_times.shape[0]
    inc = np.zeros((n, len(spike_times)))
    for u, ts in enumerate(spike_times):
        k = np.searchsorted(frame_times, ts, side="left")  # first frame at or after the spike
        ok = k < n
        w = np.exp(-(frame_times[k[ok]] - ts[ok]) / tau_s)
        inc[:, u] = np.bincount(k[ok], weights=w, minlength=n)
    period = float(frame_times[1] - frame_times[0]) if n > 1 else 1.0
    return lfilter([1.0], [1.0, -math.exp(-period / tau_s)], inc, axis=0)


def simulate_imaging(params: SynthParams, imaging: ImagingParams, seed: int) -> ImagingData:
    """Draw one imaging session (pure: arrays only, no file). ``params.n_units_a`` is replaced by the ROI
    count ``imaging.n_rois``; the ``n_cells`` cell ROIs carry population A's units."""
    im = imaging
    p = replace(params, n_units_a=im.n_rois).check()
    im.check(p.duration_s)
    rng = np.random.default_rng(seed)
    n_steps = int(round(p.duration_s / p.dt_gen))
    s = smooth_noise(rng, n_steps, p.n_shared, p.timescale_s, p.dt_gen)
    pop = draw_population(rng, p, s, im.n_cells, p.n_private_a)
    ticks = population_spike_ticks(rng, p, s, pop)
    spikes = [t * p.resolution for t in ticks]
    n_frames = int(p.duration_s * im.frame_rate_hz)
    ft = np.arange(n_frames) / im.frame_rate_hz
    amp = im.dff_per_spike * rng.lognormal(0.0, im.dff_per_spike_log_sd, im.n_cells)
    non = np.sort(rng.permutation(im.n_rois)[: im.n_non_cells])
    is_cell = np.ones(im.n_rois, np.uint8)
    is_cell[non] = 0
    dff = np.empty((n_frames, im.n_rois))
    dff[:, is_cell == 1] = calcium_at_frames(spikes, ft, im.tau_decay_s) * amp[None, :]
    if non.size:
        dff[:, non] = im.neuropil_sd * smooth_noise(
            rng, n_frames, non.size, im.neuropil_timescale_s, 1.0 / im.frame_rate_hz
        )
    dff += im.noise_sd * rng.standard_normal((n_frames, im.n_rois))
    r = im.roi_radius_px
    centres = rng.integers(r, im.field_px - r, size=(im.n_rois, 2))
    bt, xy, readout = draw_behavior(rng, p, s)
    trials = draw_trials(rng, p)
    truth = imaging_truth(p, im, readout)
    truth["behavior"] = behavior_truth(p, readout)
    z = pop.latent(s, p.shared_noise, 0, n_steps)
    return ImagingData(
        p, im, seed, dff.astype(np.float32), is_cell, centres, spikes, z, bt, xy, trials, truth
    )


def position_mi_bound_nats(params: SynthParams, readout: np.ndarray, bin_width: float) -> float | None:
    """Exact upper bound on I(any function of the ROIs in a bin; binned position), in nats.

    The ROIs see the shared latents ``s`` only through ``z_A``, and the binned position is
    ``R (w . s) + w . noise`` for the weights ``w`` the binning gives the bin's samples (a mean of ``k``
    samples, or a linear interpolation between two), so by the data processing inequality
    ``I(dF/F(bin); pos(bin)) <= I(s; pos(bin)) = 1/2 log det(I + c / (sigma^2 |w|^2) R R^T)`` with
    ``c = var(w . s) <= 1``. With ``|w|^2 >= 1 / k_max``, ``k_max = max(2, floor(bin * rate) + 1)`` samples
    at most in a bin: ``<= 1/2 log det(I + k_max / sigma^2 R R^T)``. ``None`` when the position has no
    noise (the bound is infinite). Loose: it ignores the private dims, the shared noise, the Poisson
    spikes, the calcium low-pass and the dF/F noise, all of which lower the true MI.
    """
    p = params
    if p.n_shared == 0:
        return 0.0
    if p.behavior_noise <= 0:
        return None
    k_max = max(2, int(math.floor(bin_width * p.behavior_rate + 1e-9)) + 1)
    rr = readout @ readout.T  # (2, 2)
    _, logdet = np.linalg.slogdet(np.eye(rr.shape[0]) + k_max / p.behavior_noise**2 * rr)
    return float(0.5 * logdet)


def imaging_truth(params: SynthParams, imaging: ImagingParams, readout: np.ndarray) -> dict[str, Any]:
    """The known answers of an imaging session (JSON-ready); keys of an ephys sidecar kept (see notes)."""
    p, im = params, imaging
    period = 1.0 / im.frame_rate_hz
    bounds = {}
    for bw in TRUTH_BIN_WIDTHS:
        if bw >= 0.99 * period:  # shorter bins than a frame are refused by the ophys reader
            b = position_mi_bound_nats(p, readout, bw)
            if b is not None:
                bounds[f"{bw:g}"] = b
    return {
        "n_shared_dims": p.n_shared,
        "latent_dims": {"A": p.n_shared + p.n_private_a},
        "private_dims": {"A": p.n_private_a},
        "n_units": {"A": im.n_cells},
        "mi_latent_instantaneous_nats": None,
        "mi_latent_instantaneous_bits": None,
        "mi_counts_upper_bound_nats_by_bin_width": {},
        "mi_counts_upper_bound_bits_by_bin_width": {},
        "n_rois": im.n_rois,
        "n_cells": im.n_cells,
        "n_non_cells": im.n_non_cells,
        "frame_rate_hz": im.frame_rate_hz,
        "calcium_tau_s": im.tau_decay_s,
        "dff_noise_sd": im.noise_sd,
        "dff_per_spike_median": im.dff_per_spike,
        "mi_position_upper_bound_nats_by_bin_width": bounds,
        "mi_position_upper_bound_bits_by_bin_width": {k: v / math.log(2) for k, v in bounds.items()},
        "imaging": {
            "series": DFF_PATH,
            "plane": "plane0",
            "location": im.location,
            "depth_um": im.depth_um,
            "indicator": im.indicator,
            "frame_value": "calcium at the frame time k / frame_rate_hz (no averaging over the frame)",
            "calcium": "each spike adds 1, exponential decay with calcium_tau_s, instantaneous rise, linear",
            "dff": "cells: dff_per_spike_i * calcium + N(0, dff_noise_sd^2) per frame; non-cells: neuropil "
            "(smooth noise, independent of the latents) + the same white noise",
        },
        "notes": (
            "Imaging-only session: population A's units are the is_cell = 1 ROIs (n_units.A = n_cells); "
            "there is no population B, so the A-B MI keys of an ephys sidecar are null/empty here. "
            "latent_dims.A: dimensionality of the latent state the cells see (shared + private of A). "
            "mi_position_upper_bound_*_by_bin_width[w]: exact I(s; position(bin)) bound for bins of width "
            "w (s, window 1, lag 0), an upper bound on I(dF/F of any ROIs; position) by the data "
            "processing inequality; loose, because dF/F is a noisy, low-passed function of the spikes, "
            "which are a noisy function of the latents: expect MI(dF/F; position) well below it."
        ),
    }


__all__ = [
    "DFF_PATH",
    "ImagingData",
    "ImagingParams",
    "calcium_at_frames",
    "imaging_truth",
    "position_mi_bound_nats",
    "simulate_imaging",
]
