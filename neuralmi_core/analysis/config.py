"""The workflow config's analyses, checked and planned by the library while the workflow plans.

An analysis in the config (``analyses:`` in ``config.yaml``) names X and Y, the model and training
settings, and the modes to run (each a registered analysis: :mod:`.registry`)::

    - name: A_vs_B
      x: spikes[region=A]
      y: spikes[region=B]
      window: 1               # bins of X stacked into one sample
      lag: 0                  # Y at t + lag (bins); applies to the modes that use Y
      estimator: infonce      # model settings: the analysis level applies them to every mode ...
      embedding_dim: 16
      training: {epochs: 100}
      modes: [rigorous, dimensionality]
      rigorous: {gammas: [1, 2, 3, 4, 5], confidence: 0.68}
      dimensionality: {estimator: smile, n_splits: 3}   # ... a mode's section overrides them for that mode

:func:`plan_analyses` resolves every mode's settings (the mode's section, then the analysis level, then
the mode's declared default), checks them with the analysis's own checks, and returns per mode the cells
(training jobs) with their command-line arguments and the gather step's arguments. Errors name the
config key (``config key analyses[0].dimensionality.estimator: ...``). Light: no torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..settings import MODEL, TRAINING, to_cli
from ..validation import NeuralMIError
from .base import Analysis
from .registry import REGISTRY

#: Keys of an analysis that say what is analysed (not settings of a mode).
SELECTION_KEYS = ("name", "x", "y", "z", "window", "lag", "modes", "training", "required")
#: Key of a mode's section for analyses whose Y is optional: use Y (true) or X alone (false, default).
WITH_Y = "with_y"


@dataclass(frozen=True)
class ModePlan:
    """One mode of one configured analysis: resolved settings, cells and command-line arguments."""

    analysis: str
    mode: str
    values: dict[str, Any]
    use_y: bool
    lag: int
    cell_ids: tuple[str, ...]  # one per training job (a cell, or cells_per_job cells)
    cell_args: dict[str, tuple[str, ...]]
    train_args: tuple[str, ...]
    gather_args: tuple[str, ...]
    keys: dict[str, str]  # config key of every setting (where it was given, else where it would go)
    window: int = 1  # bins of X stacked into one sample (1 for analyses that build their own histories)
    z: str | None = None  # the conditioning signal's selector, for analyses that take one (Analysis.z)

    def args_for(self, cell_id: str) -> list[str]:
        """Every option of the training job of ``cell_id`` (settings and the cell), after X and Y."""
        return [*self.train_args, *self.cell_args[cell_id]]


def _collect(an: Mapping[str, Any], mode: str, analysis: Analysis, where: str
             ) -> tuple[dict[str, Any], dict[str, str]]:
    """Settings of ``mode`` given in the config, and the config key each came from."""
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    taken = analysis.settings.names
    for k in MODEL.names:
        if k in an and k in taken:  # an analysis-level setting a mode does not take is for the other modes
            values[k], origin[k] = an[k], f"{where}.{k}"
    for k, v in (an.get("training") or {}).items():
        values[k], origin[k] = v, f"{where}.training.{k}"
    section = an.get(mode) or {}
    for k, v in section.items():
        if k == "training":
            for kk, vv in (v or {}).items():
                values[kk], origin[kk] = vv, f"{where}.{mode}.training.{kk}"
        elif k != WITH_Y:
            values[k], origin[k] = v, f"{where}.{mode}.{k}"
    for k in values:
        if k not in taken:
            raise NeuralMIError(f"config key {origin[k]}: {mode} does not take `{k}`"
                                + (" (it sweeps the embedding dim itself)" if k == "embedding_dim" else ""))
    return values, origin


def jobs_of(analysis: Analysis, cells: Sequence[Mapping[str, int]], per_job: int) -> list[list[Mapping[str, int]]]:
    """Cells grouped into workflow jobs of at most ``per_job`` cells that differ in the first cell key only
    (e.g. several gammas of one seed): one process then trains them one after another, reading the data
    and importing the libraries once."""
    if per_job <= 1:
        return [[c] for c in cells]
    first = analysis.cell_keys[0][0]
    rest = [k for k, _ in analysis.cell_keys[1:]]
    by_rest: dict[tuple[int, ...], list[Mapping[str, int]]] = {}
    for c in cells:
        by_rest.setdefault(tuple(c[k] for k in rest), []).append(c)
    jobs = []
    for group in by_rest.values():
        group = sorted(group, key=lambda c: c[first])
        jobs += [group[i : i + per_job] for i in range(0, len(group), per_job)]
    return jobs


def plan_mode(an: Mapping[str, Any], mode: str, index: int, device: str = "auto", cells_per_job: int = 1
              ) -> ModePlan:
    """Resolve and check one mode of the ``index``-th configured analysis; raise naming the config key.

    ``cells_per_job`` > 1 groups that many cells into one training job (:func:`jobs_of`); its id is the
    first cell's id with ``_x<count>``.
    """
    where = f"analyses[{index}]"
    analysis = REGISTRY[mode]
    values, origin = _collect(an, mode, analysis, where)
    for k, v in values.items():
        values[k] = analysis.settings[k].check(v, f"config key {origin[k]}")
    has_y = bool(an.get("y"))
    use_y = has_y if analysis.y == "required" else bool((an.get(mode) or {}).get(WITH_Y, False))
    if analysis.y == "required" and not has_y:
        raise NeuralMIError(f"missing config key {where}.y: {mode} needs a Y signal")
    if use_y and not has_y:
        raise NeuralMIError(f"missing config key {where}.y: {where}.{mode}.{WITH_Y} is true but there is no Y")
    z = an.get("z") if analysis.z != "none" else None
    if analysis.z == "required" and not z:
        raise NeuralMIError(f"missing config key {where}.z: {mode} needs a conditioning signal Z (I(X; Y | Z))")
    lag = int(an.get("lag", 0) or 0)
    window = int(an.get("window", 1) or 1)
    if not analysis.windowed:  # it builds its own histories from the bins
        lag, window = 0, 1
    if lag and not has_y:
        raise NeuralMIError(f"config key {where}.lag: a lag pairs X with a later or earlier Y; give {where}.y "
                            f"or set the lag to 0")
    try:
        resolved = analysis.check(values, has_y=use_y)
        analysis.check_config(resolved)
    except NeuralMIError as exc:
        key = next((origin[k] for k in origin if f"`{k}`" in str(exc)), f"{where}.{mode}")
        raise NeuralMIError(f"config key {key}: {exc}") from None
    jobs = jobs_of(analysis, analysis.cells(resolved), cells_per_job)
    ids = tuple(analysis.cell_id(j[0]) + (f"_x{len(j)}" if len(j) > 1 else "") for j in jobs)
    keys = {}
    for name in resolved:
        default = (f"{where}.training.{name}" if name in TRAINING.names else f"{where}.{name}" if name in MODEL.names
                   else f"{where}.{mode}.{name}")
        keys[name] = origin.get(name, default)
    train = {s.name: resolved[s.name] for s in analysis.stage("train")}
    fit = {s.name: resolved[s.name] for s in analysis.stage("fit")}
    return ModePlan(
        analysis=an["name"], mode=mode, values=resolved, use_y=use_y, lag=lag if use_y else 0, cell_ids=ids,
        cell_args={i: tuple(to_cli(analysis.job_settings(j), analysis.settings)) for i, j in zip(ids, jobs,
                                                                                                 strict=True)},
        train_args=(*to_cli(train, analysis.settings), "--device", device),
        gather_args=tuple(to_cli(fit, analysis.settings)),
        keys=keys, window=window, z=z,
    )


def plan_analyses(analyses: Sequence[Mapping[str, Any]], device: str = "auto", cells_per_job: int = 1
                  ) -> dict[str, dict[str, ModePlan]]:
    """Every mode of every configured analysis, planned; all problems reported at once.

    Raises ``NeuralMIError`` with one line per problem, each naming its config key (an analysis made from a
    ``pairs:`` declaration carries ``config_index``, the declaration's position, so that its key is the one the
    user wrote).
    """
    plans: dict[str, dict[str, ModePlan]] = {}
    problems: list[str] = []
    for j, an in enumerate(analyses):
        i = an.get("config_index", j)
        for mode in an.get("modes") or ():
            if mode not in REGISTRY:
                problems.append(f"config key analyses[{i}].modes: unknown mode {mode!r}; expected one of "
                                f"{', '.join(REGISTRY)}")
                continue
            try:
                plans.setdefault(an["name"], {})[mode] = plan_mode(an, mode, i, device, cells_per_job)
            except NeuralMIError as exc:
                problems.append(str(exc))
    if problems:
        raise NeuralMIError("invalid workflow config:\n  - " + "\n  - ".join(dict.fromkeys(problems)))
    return plans


def check_signals(signals: Mapping[str, Any] | None) -> None:
    """Check the config's ``signals:`` section as ``neuralmi bin --signals`` will read it.

    The bin width is the config's top-level ``bin_width`` (one place), so ``signals.bin_width`` is refused.
    """
    from ..io.signals import parse_signal_spec

    if signals and "bin_width" in signals:
        raise NeuralMIError("config key signals.bin_width: set the bin width once, with the top-level "
                            "`bin_width` key")
    try:
        parse_signal_spec(signals or {}, source="config key signals")
    except NeuralMIError as exc:
        raise NeuralMIError(str(exc)) from None
