"""Estimators: trained (variational bounds, MI-NEE, MIENF) and classical baselines (KSG, Gaussian)."""

from .gaussian import gaussian_mi
from .ksg import ksg_mi
from .neural import ModelSpec, build_objective, fit_ensemble, trained_estimators

BASELINES = ("ksg", "gaussian")


def all_estimators() -> tuple[str, ...]:
    return trained_estimators() + BASELINES


__all__ = ["BASELINES", "ModelSpec", "all_estimators", "build_objective", "fit_ensemble", "gaussian_mi",
           "ksg_mi", "trained_estimators"]
