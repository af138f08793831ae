"""rmsprop_core: the pure-NumPy engine behind RMSProp Lab.

Every number the app shows is computed here. Import from this package, not from its modules.
"""

from .conventions import CONVENTIONS, Convention
from .csv_io import read_trajectories_csv, trajectories_to_csv
from .engine import SweepOutcome, Trajectory, optimize, sweep_outcomes
from .formula import FormulaAnalysis, FormulaError, analyse_formula, objective_from, parse_objective
from .objectives import OBJECTIVES, Objective, get_objective
from .optimizers import OPTIMIZER_CLASSES, SGD, Adagrad, Adam, Momentum, Optimizer, RMSProp, rmsprop_update

__all__ = [
    "CONVENTIONS",
    "OBJECTIVES",
    "OPTIMIZER_CLASSES",
    "SGD",
    "Adagrad",
    "Adam",
    "Convention",
    "FormulaAnalysis",
    "FormulaError",
    "Momentum",
    "Objective",
    "Optimizer",
    "RMSProp",
    "SweepOutcome",
    "Trajectory",
    "analyse_formula",
    "get_objective",
    "objective_from",
    "optimize",
    "parse_objective",
    "read_trajectories_csv",
    "rmsprop_update",
    "sweep_outcomes",
    "trajectories_to_csv",
]
