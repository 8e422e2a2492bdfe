"""Archive-level statistics: pool per-session MI across sessions and animals, contrast groups, correct.

A layer over the archive's rows (``summary.csv``), never inside the estimators:

- :mod:`.effects`: each row's estimate and standard error (from its CI), or why it is left out;
- :mod:`.pooling`: random-effects pooling (statsmodels ``combine_effects``), two-stage pooling of
  sessions within subjects, contrasts between groups, multiple-comparison corrections
  (statsmodels ``multipletests``);
- :mod:`.dataset`: the study as a labelled :class:`xarray.Dataset`, written as ``study.nc``.

See ``docs/study.md`` for the model, its assumptions and the ``neuralmi study`` command.
"""

from .dataset import contrast_table, parse_contrast, pooled_table, study_dataset, write_study
from .effects import SessionEffect, by_analysis, read_summary_csv, session_effects
from .pooling import Contrast, Correction, Pooled, contrast, correct, pool, pool_by_subject

__all__ = ["Contrast", "Correction", "Pooled", "SessionEffect", "by_analysis", "contrast", "contrast_table", "correct",
           "parse_contrast", "pool", "pool_by_subject", "pooled_table", "read_summary_csv", "session_effects",
           "study_dataset", "write_study"]
