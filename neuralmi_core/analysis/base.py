"""What every analysis declares, and the registry the CLI, the workflow and the report iterate over.

An analysis (rigorous, dimensionality, ...) is one package under :mod:`neuralmi_core.analysis` that
declares, in one :class:`Analysis` object:

- its settings (:class:`~neuralmi_core.settings.Settings`: the API keywords, CLI flags and config keys),
  each with a stage: ``train`` (changes the members), ``cells`` (which independent training jobs run),
  ``fit`` (used only when the cells are gathered) or ``runtime``;
- its cells: the independent training jobs of one run (:meth:`Analysis.cells`), each a small mapping
  such as ``{"gamma": 3, "seed": 0}`` with a path-safe id (``g3_s0``) and the settings that restrict a
  run to it (:meth:`Analysis.cell_settings`);
- its checks of a whole setting set (:meth:`Analysis.check`, e.g. the estimators it accepts);
- where its code lives: the API function, the gather function and the result type (with ``to_dict``,
  ``from_dict`` and ``plot``), imported only when used, so declarations stay light (no torch) and
  the workflow can validate configs while planning.

The registry (:data:`REGISTRY`) maps each analysis name to its declaration; adding an analysis means
adding its package and one line there.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..settings import MODEL, RUNTIME, TRAINING, Settings, resolve
from ..settings.options import parse_options
from ..validation import NeuralMIError


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


class Analysis:
    """Declaration of one analysis (see the module docstring); subclass it and set the attributes.

    Attributes
    ----------
    name : str
        Registry key, CLI subcommand and workflow mode (``modes: [rigorous]``).
    help : str
        One line for ``neuralmi --help``.
    description : str
        The subcommand's ``--help`` text (method and JSON fields).
    y : {"required", "optional"}
        Whether Y is needed (``optional``: without Y the analysis works on X alone).
    z : {"none", "optional", "required"}
        Whether the analysis takes a third, conditioning signal Z (API keyword ``z``, CLI ``--z``, the
        workflow's ``z:`` selector of an analysis).
    windowed : bool
        Whether the workflow's ``window`` and ``lag`` of an analysis apply (False: the analysis builds its
        own histories from consecutive bins, e.g. transfer entropy; it gets window 1 and lag 0).
    own : Settings
        The analysis's own settings.
    defaults : dict
        Other defaults for shared model/training settings (e.g. ``estimator="smile"``).
    exclude : tuple of str
        Shared settings the analysis does not take (e.g. ``embedding_dim``, which dimensionality sweeps).
    estimators, critics : tuple of str
        Allowed values of ``estimator`` and ``critic``; ``why_estimators``/``why_critics`` say why.
    cell_keys : tuple of (str, str)
        ``(cell key, id prefix)`` pairs: ``(("gamma", "g"), ("seed", "s"))`` gives ids ``g3_s0``.
    run, gather, result : str
        ``"module:attribute"`` of the API function, the gather function and the result type.
    """

    name: str
    help: str
    description: str
    y: str = "required"
    z: str = "none"
    windowed: bool = True
    own: Settings = Settings()
    defaults: Mapping[str, Any] = {}
    exclude: tuple[str, ...] = ()
    estimators: tuple[str, ...] = ()
    critics: tuple[str, ...] = ()
    why_estimators: str = ""
    why_critics: str = ""
    cell_keys: tuple[tuple[str, str], ...] = ()
    run: str
    gather: str
    result: str

    # ---- declarations (light) -------------------------------------------------------------------

    @property
    def shared(self) -> Settings:
        """Model and training settings as this analysis takes them (its defaults, its exclusions)."""
        shared = (MODEL + TRAINING).without(*self.exclude, *self.own.names)
        return shared.override(**{k: v for k, v in self.defaults.items() if k in shared.names})

    @property
    def settings(self) -> Settings:
        """Every keyword of the API function after X and Y."""
        return self.shared + self.own + RUNTIME

    def stage(self, *stages: str) -> Settings:
        return Settings(s for s in self.settings if s.stage in stages)

    def check(self, values: Mapping[str, Any], has_y: bool, where: str = "") -> dict[str, Any]:
        """Resolve and check a full setting set for this analysis; return it with defaults filled.

        Raises ``NeuralMIError`` naming the setting: bad values, an estimator or critic the analysis
        does not take, estimator options the estimator does not know, a missing Y, and what
        :meth:`check_more` refuses.
        """
        out = resolve(self.settings, values, where)
        pre = f"{where}: " if where else ""
        if out["estimator"] not in self.estimators:
            raise NeuralMIError(f"{pre}`estimator` must be one of {', '.join(map(repr, self.estimators))} for "
                                f"{self.name}{self.why_estimators}. Got {out['estimator']!r}.")
        if out["critic"] not in self.critics:
            raise NeuralMIError(f"{pre}`critic` must be one of {', '.join(map(repr, self.critics))} for "
                                f"{self.name}{self.why_critics}. Got {out['critic']!r}.")
        parse_options(out["estimator"], out["options"], where)
        if self.y == "required" and not has_y:
            raise NeuralMIError(f"{pre}{self.name} needs Y; got X only.")
        self.check_more(out, has_y, pre)
        return out

    def check_more(self, values: Mapping[str, Any], has_y: bool, pre: str) -> None:
        """Analysis-specific checks of resolved settings (override; raise ``NeuralMIError``)."""

    def check_config(self, values: Mapping[str, Any]) -> None:
        """Checks of a complete run as a workflow config plans it (a partial run may be smaller)."""

    #: The settings :meth:`check_data` reads (the workflow's check after binning depends on these only).
    data_settings: tuple[str, ...] = ("split", "test_fraction", "gap")

    def check_data(self, n_samples: int, values: Mapping[str, Any], info: Mapping[str, Any]) -> dict[str, Any]:
        """Check, without training, that ``n_samples`` samples can be analysed with ``values`` (at least the
        settings in :attr:`data_settings`); return what was checked. ``info`` holds ``n_features_x``,
        ``use_y`` and ``bin_width_s`` of the selection. Raises ``NeuralMIError`` saying what does not fit.
        """
        check_split(n_samples, values)
        return {"n_samples": n_samples}

    def cells(self, values: Mapping[str, Any]) -> list[dict[str, int]]:
        """The independent training jobs of a run with these (resolved) settings."""
        raise NotImplementedError

    def cell_settings(self, cell: Mapping[str, int]) -> dict[str, Any]:
        """Settings that restrict a run to ``cell`` (e.g. ``{"gammas": (3,), "seeds": (0,)}``)."""
        raise NotImplementedError

    def selection_inputs(self, selection: Any) -> dict[str, Any]:
        """Keyword arguments the CLI passes from a file selection (:class:`~neuralmi_core.io.select.Selection`),
        e.g. the bin index of every sample; an explicit setting of the same name wins."""
        return {}

    @property
    def command(self) -> str:
        """The CLI subcommand (``lag_sweep`` -> ``lag-sweep``; the underscore spelling works too)."""
        return self.name.replace("_", "-")

    def job_settings(self, cells: Sequence[Mapping[str, int]]) -> dict[str, Any]:
        """Settings that restrict a run to several ``cells`` (one workflow job that trains them one after
        another in one process): the union of their :meth:`cell_settings` (tuples merge; other values must
        agree). The workflow groups cells that differ in the first of :attr:`cell_keys` only."""
        merged: dict[str, list[Any]] = {}
        for c in cells:
            for k, v in self.cell_settings(c).items():
                merged.setdefault(k, []).append(v)
        out: dict[str, Any] = {}
        for k, vs in merged.items():
            if isinstance(vs[0], tuple):
                out[k] = tuple(sorted(set().union(*vs)))
            elif len(set(vs)) == 1:
                out[k] = vs[0]
            else:
                raise ValueError(f"{self.name}: cells {list(cells)} differ in {k}; override job_settings")
        return out

    def cell_id(self, cell: Mapping[str, int]) -> str:
        return "_".join(f"{prefix}{cell[key]}" for key, prefix in self.cell_keys)

    # ---- implementation (imported on use) -------------------------------------------------------

    def run_fn(self) -> Callable[..., Any]:
        return _load(self.run)

    def gather_fn(self) -> Callable[..., Any]:
        return _load(self.gather)

    def result_type(self) -> type:
        return _load(self.result)

    def load(self, record: Mapping[str, Any]) -> Any:
        """A result of this analysis from its JSON record (``to_dict`` output)."""
        return self.result_type().from_dict(dict(record))


def analysis_names() -> tuple[str, ...]:
    from .registry import REGISTRY

    return tuple(REGISTRY)


def get_analysis(name: str) -> Analysis:
    from .registry import REGISTRY

    if name not in REGISTRY:
        raise NeuralMIError(f"unknown analysis {name!r}; expected one of {', '.join(REGISTRY)}.")
    return REGISTRY[name]


def seeds_of(values: Mapping[str, Any]) -> tuple[int, ...]:
    """The seeds of a run: ``seeds`` when given, else ``seed .. seed + n_seeds - 1``."""
    if values.get("seeds") is not None:
        if values.get("n_seeds") not in (None, 1):
            raise NeuralMIError(f"give either `n_seeds` or `seeds`, not both. Got n_seeds={values['n_seeds']!r} and "
                                f"seeds={values['seeds']!r}.")
        return tuple(values["seeds"])
    n = values.get("n_seeds") or 1
    return tuple(range(values.get("seed", 0), values.get("seed", 0) + n))


@dataclass
class Parts:
    """What :func:`gather_parts` found in the partial runs of one analysis."""

    settings: dict[str, Any]  # the training settings they share
    data: dict[str, Any]  # the data fingerprint they share
    fit: dict[str, Any]  # the fit settings: given ones, else the parts' (which agree)
    members: list[dict[str, Any]]  # every part's member rows, in order
    cells: list[dict[str, Any]]  # every part's cells, each once
    seconds: float  # the parts' training time, summed
    first: Mapping[str, Any]  # the first part (for fields of the analysis's own)


def gather_parts(analysis: Analysis, parts: Sequence[Mapping[str, Any]], sources: Sequence[str] | None,
                 fit: Mapping[str, Any], required: Sequence[str], same: Sequence[str] = (),
                 fit_of: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None) -> Parts:
    """Check that partial runs (their JSON) belong to one run of ``analysis`` and collect them.

    The parts must hold ``members``, ``settings`` and ``data`` and the ``required`` fields, agree on every
    setting and data field and on the top-level fields ``same``, and on every fit setting not given in
    ``fit`` (``fit_of`` reads a part's fit settings; default its ``fit_settings``). A cell (the
    analysis's ``cell_keys``) may appear in one part only. Raises ``NeuralMIError`` naming what differs.
    """
    fit_settings = analysis.stage("fit")
    given = {k: v for k, v in fit.items() if v is not None}
    unknown = set(given) - set(fit_settings.names)
    if unknown:
        from ..settings.core import unknown_error

        raise unknown_error(unknown, fit_settings.names, f"gather {analysis.name}", what="fit setting")
    given = {k: fit_settings[k].check(v) for k, v in given.items()}
    if not parts:
        raise NeuralMIError(f"gather {analysis.name} needs at least one part; got none.")
    names = list(sources) if sources is not None else [f"part {i}" for i in range(len(parts))]
    need = ("members", "settings", "data", *required)
    for name, p in zip(names, parts, strict=True):
        if not isinstance(p, Mapping) or any(k not in p for k in need):
            raise NeuralMIError(f"{name}: not a {analysis.name} result (expected the JSON written by `neuralmi "
                                f"{analysis.command}`, with {', '.join(repr(k) for k in need)}).")
    settings = [dict(p["settings"]) for p in parts]
    data = [dict(p["data"]) for p in parts]
    fits = [dict((fit_of or (lambda q: q.get("fit_settings") or {}))(p)) for p in parts]
    tops = [{k: p.get(k) for k in same} for p in parts]
    bad = mismatched(settings, sorted(set().union(*settings))) + mismatched(data, sorted(set().union(*data)))
    bad += mismatched(fits, [k for k in fit_settings.names if k not in given]) + mismatched(tops, list(same))
    if bad:
        merged = [{**s, **d, **f, **t} for s, d, f, t in zip(settings, data, fits, tops, strict=True)]
        detail = "; ".join(f"{k}: " + ", ".join(f"{n}={m.get(k)!r}" for n, m in zip(names, merged, strict=True))
                           for k in bad)
        raise NeuralMIError(f"the parts do not belong to one {analysis.name} run; they differ in {bad} ({detail}).")
    seen: dict[tuple[Any, ...], str] = {}
    cells, members = [], []
    keys = [k for k, _ in analysis.cell_keys]
    for name, p in zip(names, parts, strict=True):
        for c in p.get("cells", ()):
            key = tuple(c[k] for k in keys)
            if key in seen:
                where = " ".join(f"{k}={v}" for k, v in zip(keys, key, strict=True))
                raise NeuralMIError(f"cell {where} appears in both {seen[key]} and {name}.")
            seen[key] = name
            cells.append(c)
        members.extend(p["members"])
    values = {k: given.get(k, fits[0].get(k, fit_settings[k].default)) for k in fit_settings.names}
    return Parts(settings[0], data[0], values, members, cells, float(sum(p.get("seconds") or 0 for p in parts)),
                 parts[0])


def check_split(n_samples: int, values: Mapping[str, Any], what: str = "") -> None:
    """Raise ``NeuralMIError`` when ``n_samples`` cannot be split by the ``split``, ``test_fraction`` and ``gap``
    of ``values`` (the train/test split every member makes); ``what`` prefixes the message."""
    from ..training.split import train_test_split

    try:
        train_test_split(n_samples, values["split"], values["test_fraction"], gap=values["gap"])
    except NeuralMIError as exc:
        raise NeuralMIError(f"{what}{exc}") from None


def mismatched(parts: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> list[str]:
    """Names of the ``keys`` whose values differ between the ``parts`` (dicts)."""
    return [k for k in keys if any(p.get(k) != parts[0].get(k) for p in parts[1:])]
