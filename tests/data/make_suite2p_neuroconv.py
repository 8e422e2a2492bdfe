"""How tests/data/suite2p_neuroconv.nwb was made (kept for reproducibility; not run by the tests).

Synthetic suite2p output (plane0: F, Fneu, spks, iscell, stat, ops; 6 ROIs, 300 frames at 30 Hz, raw
fluorescence F[i, k] = 100 + 20 (i + 1) sin(2 pi t_k / 5 s)) converted to NWB by the converter DANDI labs
use, neuroconv 0.10.2 (Suite2pSegmentationInterface) with roiextractors 0.10.0, under pynwb 4.2. Neither
is a project dependency; to regenerate, install them into a separate folder EXTRA and run

    PYTHONPATH=EXTRA python tests/data/make_suite2p_neuroconv.py OUTDIR
"""

import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np


def main(out: Path) -> None:
    from neuroconv.datainterfaces import Suite2pSegmentationInterface

    plane = out / "suite2p" / "plane0"
    plane.mkdir(parents=True, exist_ok=True)
    n_rois, n_frames, fs = 6, 300, 30.0
    t = np.arange(n_frames) / fs
    f = (100 + 20 * np.sin(2 * np.pi * t / 5.0)[None, :] * (1 + np.arange(n_rois))[:, None]).astype(np.float32)
    np.save(plane / "F.npy", f)
    np.save(plane / "Fneu.npy", (0.5 * f).astype(np.float32))
    np.save(plane / "spks.npy", np.maximum(f - 100, 0).astype(np.float32))
    np.save(plane / "iscell.npy", np.array([[1, .9], [0, .2], [1, .8], [1, .7], [0, .3], [1, .99]]))
    stat = np.array([{"ypix": np.array([i, i + 1]), "xpix": np.array([i, i]), "lam": np.array([1.0, 0.5]),
                      "med": [i, i]} for i in range(n_rois)], dtype=object)
    np.save(plane / "stat.npy", stat, allow_pickle=True)
    ops = {"fs": fs, "nframes": n_frames, "Ly": 16, "Lx": 16, "meanImg": np.ones((16, 16), np.float32)}
    np.save(plane / "ops.npy", ops, allow_pickle=True)
    iface = Suite2pSegmentationInterface(folder_path=str(out / "suite2p"))
    meta = iface.get_metadata()
    meta["NWBFile"]["session_start_time"] = datetime(2026, 1, 1, tzinfo=UTC)
    iface.run_conversion(nwbfile_path=str(out / "suite2p_neuroconv.nwb"), metadata=meta, overwrite=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
