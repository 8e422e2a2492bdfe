"""The one shared training loop (batched over an ensemble), its data preparation and splits."""

from .data import EnsembleData, MemberData, make_ensemble_data, split_member
from .device import resolve_device
from .objective import CriticObjective, Objective
from .split import SPLITS, train_test_split
from .trainer import EnsembleFit, TrainConfig, train_ensemble

__all__ = [
    "SPLITS",
    "CriticObjective",
    "EnsembleData",
    "EnsembleFit",
    "MemberData",
    "Objective",
    "TrainConfig",
    "make_ensemble_data",
    "resolve_device",
    "split_member",
    "train_ensemble",
    "train_test_split",
]
