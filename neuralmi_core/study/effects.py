"""Per-session effects from the archive's rows: the estimate y_i and its standard error s_i.

The rows are the dicts of :func:`neuralmi_core.report.archive.archive_rows` or the lines of
``summary.csv`` (:func:`read_summary_csv`). Each row with a confidence interval (rigorous MI, transfer
entropy, conditional MI) gives one effect

.. math::

    y_i = \\widehat{MI}_i, \\qquad
    s_i = \\frac{\\mathrm{ci\\_high}_i - \\mathrm{ci\\_low}_i}{2\\, z_{(1 + c_i)/2}},

where :math:`c_i` is the row's ``confidence`` and :math:`z_q` the standard normal quantile. This assumes
that the interval is symmetric and normal (estimate ± z·SE): an asymmetric interval is read through its
width only. Rows are left out, with the reason recorded in :attr:`SessionEffect.reason`, when the session
did not finish (``status`` not ``ok``), the row has no finite estimate or interval (e.g. dimensionality,
lag-sweep rows), the interval has zero width (a constant input: the SE would be 0 and its weight
infinite), the confidence level is missing, or a rigorous fit is marked unreliable (``reliable`` false).
Rows without signal (``no_signal``) are kept and flagged: their MI near 0 is a measurement, and dropping
them would bias every pooled estimate upward.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scipy import stats

from ..report.archive import FORMULA_START
from ..report.records import check_unit
from ..results import NATS_PER_BIT
from ..validation import NeuralMIError

#: Columns every summary row must have (the MI columns are checked per unit).
REQUIRED = ("session", "analysis", "mode", "confidence")


@dataclass(frozen=True)
class SessionEffect:
    """One (session, analysis, mode) row as an effect for pooling (MI in :attr:`unit`).

    ``reason`` is None when the row is used, else why it was left out; ``flags`` is a short text of the
    row's flags (``no signal``, ``unreliable fit``, ``N warnings``), empty when it has none.
    """

    analysis: str
    mode: str
    session: str
    subject: str
    y: float
    se: float
    ci_low: float
    ci_high: float
    confidence: float
    flags: str
    unit: str
    reason: str | None
    meta: Mapping[str, Any]

    @property
    def used(self) -> bool:
        return self.reason is None


#: Columns read as numbers / booleans from summary.csv; every other column stays text (subject "01" is
#: not the number 1).
NUMERIC_PREFIXES = ("mi_", "ci_low_", "ci_high_", "confidence", "n_warnings")
BOOLEAN = ("reliable", "no_signal")


def _plain(key: str, value: Any) -> Any:
    """A summary.csv cell as a Python value: '' -> None, the MI columns as numbers, ``reliable`` and
    ``no_signal`` as booleans, the rest text; the ``'`` that :func:`~neuralmi_core.report.archive.csv_cell`
    puts before formula-like text is removed."""
    if value is None or not isinstance(value, str):
        return value
    if value == "":
        return None
    if value.startswith("'") and value[1:2] in FORMULA_START:
        return value[1:]
    if key in BOOLEAN and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if key.startswith(NUMERIC_PREFIXES):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def read_summary_csv(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The rows of a ``summary.csv`` as dicts of plain values (see :func:`_plain`)."""
    p = Path(path)
    try:
        with open(p, newline="") as fh:
            reader = csv.DictReader(fh)
            rows = [{k: _plain(k, v) for k, v in r.items() if k is not None} for r in reader]
            header = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise NeuralMIError(f"cannot read summary {p}: {type(exc).__name__}: {exc}") from exc
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise NeuralMIError(f"{p}: missing column(s) {missing}; expected a summary.csv written by "
                            f"`neuralmi report archive` (columns {list(REQUIRED)} and mi/ci_low/ci_high in bits or nats)")
    if not rows:
        raise NeuralMIError(f"{p}: no rows; expected one row per (session, analysis, mode)")
    return rows


def row_unit(keys: Iterable[str], where: str = "rows") -> str:
    """The unit of a row's MI columns: ``bits`` when it has ``mi_bits`` etc., ``nats`` for ``mi_nats``."""
    keys = set(keys)
    found = [u for u in ("bits", "nats") if {f"mi_{u}", f"ci_low_{u}", f"ci_high_{u}"} <= keys]
    if len(found) != 1:
        raise NeuralMIError(f"{where}: expected the columns mi_<u>, ci_low_<u>, ci_high_<u> for exactly one unit u "
                            f"(bits or nats); found units {found or 'none'}")
    return found[0]


def _number(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f if math.isfinite(f) else math.nan


def _flags(r: Mapping[str, Any]) -> str:
    tags = []
    if r.get("no_signal") is True:
        tags.append("no signal")
    if r.get("reliable") is False:
        tags.append("unreliable fit")
    n = _number(r.get("n_warnings"))
    if n and n > 0:
        tags.append(f"{int(n)} warning{'s' if n != 1 else ''}")
    return ", ".join(tags)


def _reason(r: Mapping[str, Any], y: float, lo: float, hi: float, conf: float) -> str | None:
    status = r.get("status") or "ok"
    if status != "ok":
        return f"session {status}" + (f": {r.get('error')}" if r.get("error") else "")
    if math.isnan(y) or math.isnan(lo) or math.isnan(hi):
        return f"no finite estimate and CI (mode {r.get('mode')})"
    if r.get("reliable") is False:
        return "unreliable fit (reliable = false)"
    if math.isnan(conf) or not 0 < conf < 1:
        return f"no confidence level in (0, 1) (got {r.get('confidence')!r})"
    if not hi > lo:
        return f"zero-width CI [{lo:g}, {hi:g}]: no standard error"
    return None


def session_effects(rows: Iterable[Mapping[str, Any]], unit: str | None = None,
                    where: str = "rows") -> list[SessionEffect]:
    """One :class:`SessionEffect` per row (used or left out with its reason), MI converted to ``unit``.

    Parameters
    ----------
    rows
        Archive rows (``archive_rows`` dicts or :func:`read_summary_csv` rows); all in one unit.
    unit
        ``"bits"`` or ``"nats"`` for the effects; None keeps the rows' unit.
    where
        Names the source in error messages (e.g. the CSV path).

    Returns
    -------
    list of SessionEffect
        In the rows' order. ``se`` is :math:`(\\mathrm{ci\\_high} - \\mathrm{ci\\_low}) / (2 z_{(1+c)/2})`
        (symmetric normal interval assumed, see the module docstring); NaN for rows left out.
    """
    rows = list(rows)
    if not rows:
        raise NeuralMIError(f"{where}: no rows; expected one row per (session, analysis, mode)")
    src = row_unit(rows[0].keys(), where)
    out_unit = check_unit(unit) if unit is not None else src
    scale = 1.0 if src == out_unit else (NATS_PER_BIT if src == "bits" else 1 / NATS_PER_BIT)
    effects = []
    for i, r in enumerate(rows):
        missing = [c for c in REQUIRED if c not in r]
        if missing:
            raise NeuralMIError(f"{where}: row {i + 1} lacks column(s) {missing}")
        y, lo, hi = (_number(r.get(f"{k}_{src}")) * scale for k in ("mi", "ci_low", "ci_high"))
        conf = _number(r.get("confidence"))
        reason = _reason(r, y, lo, hi, conf)
        se = math.nan if reason else (hi - lo) / (2 * stats.norm.ppf((1 + conf) / 2))
        subject = r.get("subject")
        effects.append(SessionEffect(
            analysis=str(r["analysis"]), mode=str(r["mode"]), session=str(r["session"]),
            subject=str(r["session"]) if subject in (None, "") else str(subject),
            y=y, se=se, ci_low=lo, ci_high=hi, confidence=conf, flags=_flags(r), unit=out_unit, reason=reason,
            meta=dict(r)))
    return effects


def by_analysis(effects: Iterable[SessionEffect]) -> dict[tuple[str, str], list[SessionEffect]]:
    """The used effects per (analysis, mode), in their order (rows left out are dropped here)."""
    out: dict[tuple[str, str], list[SessionEffect]] = {}
    for e in effects:
        if e.used:
            out.setdefault((e.analysis, e.mode), []).append(e)
    return out


__all__ = ["REQUIRED", "SessionEffect", "by_analysis", "read_summary_csv", "row_unit", "session_effects"]
