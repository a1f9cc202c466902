"""trainwise: find the learning rate, pick a schedule, check the gradients and see what is going wrong.

The entry points most people need are re-exported here, most of them imported on first use; plotting and other
optional libraries are only imported by the functions that need them.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "fit": "training",
    "fit_experiment": "training",
    "evaluate": "training",
    "Callback": "training",
    "TrainState": "training",
    "PlateauDecay": "training",
    "NonFiniteLossError": "training",
    "AutoLRWarning": "training",
    "TrainingDivergedWarning": "training",
    "History": "history",
    "EpochRecord": "history",
    "make_optimizer": "optimizers",
    "Experiment": "experiments",
    "Metric": "experiments",
    "load_experiment": "experiments",
    "Schedule": "schedules",
    "Scheduler": "schedules",
    "ReduceOnPlateau": "schedules",
    "find_lr": "lr_finder",
    "LRFinderResult": "lr_finder",
    "check_gradients": "gradcheck",
    "Monitor": "monitor",
    "constant_loss": "baselines",
    "TargetSample": "baselines",
    "Diagnosis": "diagnose",
    "Finding": "diagnose",
    "EarlyStopping": "early_stopping",
}

# Functions named like their module are imported now: importing the submodule (``import trainwise.preflight``,
# done by other trainwise modules too) would otherwise set ``trainwise.preflight`` to the module for good.
from trainwise.diagnose import diagnose  # noqa: E402
from trainwise.preflight import preflight  # noqa: E402

__all__ = sorted([*_EXPORTS, "diagnose", "preflight", "schedules", "__version__"])


def __getattr__(name: str) -> Any:
    if name == "schedules":
        return importlib.import_module("trainwise.schedules")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'trainwise' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"trainwise.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
