"""Bin one NWB session into a netCDF tensor file (spike counts, behaviour at bin centres, masks, provenance).

Without --signals every unit and every behaviour TimeSeries found are binned, and a trial index is added
when the file has trials. Signal kinds: `spikes` (units), `behavior` (TimeSeries), `ophys` (calcium
imaging: a RoiResponseSeries averaged into bins as variable `ophys` (time, roi); asked with `ophys: auto`
in the spec, see docs/ophys.md), `lfp` (band power per channel of an ElectricalSeries as variable `lfp`
(time, channel, band); asked with `lfp: auto` or `lfp: {bands: {theta: [6, 10]}}`, see docs/lfp.md),
`events` (event counts, sums or held values per bin of a TimeSeries of event times, e.g. `events: {licks:
processing/behavior/BehavioralEvents/licks}`) and `intervals` (an intervals table's columns held over each
row, categorical ones one-hot, e.g. `intervals: {stim: intervals/grating_presentations}` or `intervals:
{trials: [choice]}`; see docs/events.md). The signal-spec format (YAML, also the workflow config's
`signals:` section) is documented in `neuralmi_core.io.signals`; the output layout in `neuralmi_core.io.netcdf`.

Examples:
  neuralmi bin sub-01/sub-01_ses-01_ecephys.nwb --bin-width 0.02 --out results/sub-01_ses-01/binned.nc
  neuralmi bin session.nwb --signals config.yaml --out binned.nc
  neuralmi estimate 'binned.nc:spikes[region=A]' 'binned.nc:spikes[region=B]' --json mi.json
"""

from __future__ import annotations

import argparse
import sys

NAME = "bin"
HELP = "bin an NWB session (spike counts, behaviour, imaging, LFP, events, intervals, masks) into a netCDF file"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("nwb", metavar="SESSION.nwb", help="NWB file to read (read-only, HDF5 locking off)")
    p.add_argument(
        "--signals",
        metavar="SPEC.yaml",
        default=None,
        help="signal spec (YAML; a file with a top-level `signals:` key such as config.yaml works)",
    )
    p.add_argument(
        "--bin-width",
        type=float,
        default=None,
        help="bin width in seconds (overrides the spec's bin_width; default 0.01)",
    )
    p.add_argument(
        "--config-hash",
        default=None,
        help="hash of the calling config, stored in the `config_hash` attr (default: hash of the spec)",
    )
    p.add_argument("--out", metavar="binned.nc", required=True, help="netCDF file to write (atomically)")


def run(args: argparse.Namespace) -> int:
    from ..io.netcdf import write_netcdf
    from ..io.session import bin_session
    from ..io.signals import load_signal_spec, parse_signal_spec

    spec = load_signal_spec(args.signals) if args.signals else parse_signal_spec({})
    ds = bin_session(args.nwb, spec, bin_width=args.bin_width, config_hash=args.config_hash)
    write_netcdf(ds, args.out)
    n_units = ds.sizes.get("unit", 0)
    beh = [v for v in ds.data_vars if any(str(d).endswith("_component") for d in ds[v].dims)]
    rois = f", {ds.sizes['roi']} ROIs ({ds.attrs['ophys_preprocessing']})" if "ophys" in ds.data_vars else ""
    if "lfp" in ds.data_vars:
        rois += f", {ds.sizes['channel']} LFP channels ({ds.attrs['lfp_preprocessing']})"
    kinds = {v: ds[v].attrs.get("signal_kind") for v in ds.data_vars}
    for kind in ("events", "intervals"):
        names = [v for v, k in kinds.items() if k == kind]
        if names:
            rois += f", {kind} {names}"
    print(
        f"{args.nwb}: {ds.sizes['time']} bins of {ds.attrs['bin_width_s']} s, {n_units} units{rois}, "
        f"behaviour {beh or 'none'} -> {args.out}",
        file=sys.stderr,
    )
    zero = ds.attrs.get("zero_spike_units", "[]")
    if zero != "[]":
        print(f"warning: units without spikes (kept, flagged in `zero_spikes`): {zero}", file=sys.stderr)
    return 0
