"""Time and peak memory of binning LFP band power (64 channels, 1250 Hz, int16, 3 default bands, 0.1 s bins).

Usage (two processes, so the writer's memory is not counted):
  WRITE_ONLY=1 PYTHONPATH=. .venv/bin/python scripts/bench_lfp.py 60   # write MINUTES of LFP
  PYTHONPATH=. .venv/bin/python scripts/bench_lfp.py 60                # bin it, print time and peak RSS
The file goes to $LFP_BENCH_FILE (default /tmp/lfp_bench.nwb; 576 MB for 60 min).
"""

import os
import resource
import sys
import time

import numpy as np


def write(path: str, minutes: float, nch: int = 64, rate: float = 1250.0) -> None:
    from pynwb import NWBHDF5IO
    from pynwb.ecephys import LFP, ElectricalSeries
    from pynwb.testing.mock.file import mock_NWBFile

    n = int(minutes * 60 * rate)
    nwb = mock_NWBFile()
    dev = nwb.create_device(name="probe")
    g = nwb.create_electrode_group(name="shank0", description="s", location="hc", device=dev)
    for i in range(nch):
        nwb.add_electrode(location="CA1" if i < nch // 2 else "CA3", group=g)
    data = (np.random.default_rng(0).standard_normal((n, nch)) * 100).astype(np.int16)
    region = nwb.create_electrode_table_region(list(range(nch)), "LFP channels")
    es = ElectricalSeries(name="ElectricalSeries", data=data, electrodes=region, rate=rate, starting_time=0.0,
                          conversion=1e-6)
    nwb.create_processing_module("ecephys", "LFP").add(LFP(electrical_series=es))
    with NWBHDF5IO(path, "w") as io:
        io.write(nwb)


def main() -> None:
    minutes = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    path = os.environ.get("LFP_BENCH_FILE", "/tmp/lfp_bench.nwb")
    if os.environ.get("WRITE_ONLY"):
        write(path, minutes)
        return
    from neuralmi_core.io.session import bin_session

    r0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    ds = bin_session(path, {"spikes": False, "behavior": {}, "lfp": {}}, 0.1)
    dt = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{minutes} min, lfp {ds.lfp.shape}: {dt:.1f} s, peak RSS {r0 / 1024:.0f} MB before, {r1 / 1024:.0f} MB after")


if __name__ == "__main__":
    main()
