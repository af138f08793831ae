"""rmsprop_core: the pure-NumPy engine behind RMSProp Lab.

Every number the app shows is computed here. Import from this package, not from its modules.
"""

from .csv_io import read_trajectories_csv, trajectories_to_csv
from .engine import Trajectory, optimize
from .objectives import OBJECTIVES, Objective, get_objective
from .optimizers import OPTIMIZER_CLASSES, SGD, Adam, Momentum, Optimizer, RMSProp, rmsprop_update

__all__ = [
    "OBJECTIVES",
    "OPTIMIZER_CLASSES",
    "SGD",
    "Adam",
    "Momentum",
    "Objective",
    "Optimizer",
    "RMSProp",
    "Trajectory",
    "get_objective",
    "optimize",
    "read_trajectories_csv",
    "rmsprop_update",
    "trajectories_to_csv",
]
