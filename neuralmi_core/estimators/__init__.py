"""Estimators: trained (variational bounds, MI-NEE, MIENF) and classical baselines (KSG, Gaussian)."""

from ..settings.declared import BASELINES, ESTIMATORS
from .gaussian import gaussian_mi
from .ksg import ksg_mi
from .neural import ModelSpec, build_objective, fit_ensemble, trained_estimators


def all_estimators() -> tuple[str, ...]:
    return ESTIMATORS


__all__ = ["BASELINES", "ModelSpec", "all_estimators", "build_objective", "fit_ensemble", "gaussian_mi",
           "ksg_mi", "trained_estimators"]
