"""TE against delay, both directions, with the CI band and the peak delay marked."""

from __future__ import annotations

import math
from typing import Any


def plot_transfer(res: Any, ax: Any = None, unit: str = "nats") -> Any:
    """Draw ``res`` (a :class:`~.result.TransferEntropyResult`) on ``ax`` (new figure when None); return the figure."""
    import matplotlib

    if ax is None:
        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.2))
    else:
        fig = ax.figure
    k = 1.0 if unit == "nats" else 1 / math.log(2)

    def scaled(v):
        return [k * float(a) for a in v]

    ax.plot(res.delays, scaled(res.te_nats), "o-", color="C0", label="TE(X→Y)")
    ax.fill_between(res.delays, scaled(res.ci_low), scaled(res.ci_high), color="C0", alpha=0.25)
    if res.reverse is not None:
        ax.plot(res.delays, scaled(res.reverse["te_nats"]), "s--", color="C1", label="TE(Y→X)")
        ax.fill_between(res.delays, scaled(res.reverse["ci_low"]), scaled(res.reverse["ci_high"]), color="C1",
                        alpha=0.2)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.axvline(res.peak_delay, color="C0", ls=":", lw=1)
    ax.set_xlabel("delay (bins)")
    ax.set_ylabel(f"transfer entropy ({unit})")
    ax.set_title(f"peak delay {res.peak_delay} bins; {int(round(100 * res.confidence))} % CI bands", fontsize=9)
    ax.legend(fontsize=8)
    return fig


def plot_conditional(res: Any, ax: Any = None, unit: str = "nats") -> Any:
    """Bars of I(Z; Y) and I(XZ; Y) (1/N-extrapolated) and I(X; Y | Z) with its CI; return the figure."""
    import matplotlib

    if ax is None:
        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(4.5, 3.2))
    else:
        fig = ax.figure
    k = 1.0 if unit == "nats" else 1 / math.log(2)
    vals = [k * float(v) for v in (res.mi_reduced_nats, res.mi_full_nats, res.mi_nats)]
    ax.bar([0, 1, 2], vals, color=["0.7", "0.5", "C0"])
    ax.errorbar([2], [vals[2]], yerr=[[vals[2] - k * res.ci_low_nats], [k * res.ci_high_nats - vals[2]]],
                fmt="none", color="k", capsize=4)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xticks([0, 1, 2], ["I(Z;Y)", "I(XZ;Y)", "I(X;Y|Z)"])
    ax.set_ylabel(f"information ({unit})")
    ax.set_title(f"conditional MI; {int(round(100 * res.confidence))} % CI", fontsize=9)
    return fig
