"""Every user-facing setting declared once (see :mod:`.core`); light: no torch."""

from .constraints import (
    Bool,
    Choice,
    Constraint,
    Float,
    FloatList,
    Int,
    IntList,
    Optional,
    OptionalBool,
    Options,
    Text,
    parse_int_list,
)
from .core import STAGES, Setting, Settings, add_arguments, api, from_args, resolve, to_cli
from .declared import (
    ACTIVATIONS,
    BASELINES,
    BOUND_ESTIMATORS,
    COUNT_CRITICS,
    CRITICS,
    EMBEDDING_CRITICS,
    ESTIMATE,
    ESTIMATORS,
    MODEL,
    OBJECTIVE_ESTIMATORS,
    PREPROCESS,
    RUNTIME,
    SPLITS,
    TIMING,
    TRAINED_ESTIMATORS,
    TRAINING,
)
from .options import ESTIMATOR_OPTIONS, parse_options

__all__ = [
    "ACTIVATIONS", "BASELINES", "BOUND_ESTIMATORS", "COUNT_CRITICS", "CRITICS", "EMBEDDING_CRITICS", "ESTIMATE", "ESTIMATORS",
    "ESTIMATOR_OPTIONS", "MODEL", "OBJECTIVE_ESTIMATORS", "PREPROCESS", "RUNTIME", "SPLITS", "STAGES", "TIMING",
    "TRAINED_ESTIMATORS", "TRAINING", "Bool", "Choice", "Constraint", "Float", "FloatList", "Int", "IntList",
    "Optional", "OptionalBool", "Options", "Setting", "Settings", "Text", "add_arguments", "api", "from_args",
    "parse_int_list", "parse_options", "resolve", "to_cli",
]
