"""Command line: ``python -m rmsprop_core lesson`` and ``python -m rmsprop_core run ...``."""

from __future__ import annotations

import argparse
import math
import sys

from .csv_io import trajectories_to_csv
from .engine import optimize
from .lesson import lesson_output_lines, run_lesson
from .objectives import OBJECTIVES, get_objective
from .optimizers import SGD, Adagrad, Adam, Momentum, RMSProp


class _OneLineErrorParser(argparse.ArgumentParser):
    """argparse prints usage plus the error; we promise a one-line error and exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _build_optimizer(args):
    given = {
        name: getattr(args, name)
        for name in ("lr", "rho", "eps", "momentum", "initial_accumulator", "beta1", "beta2")
        if getattr(args, name) is not None
    }

    def pick(*names):
        return {name: given[name] for name in names if name in given}

    def refuse_unused(*allowed):
        unused = sorted(set(given) - set(allowed))
        if unused:
            raise ValueError(f"--{unused[0].replace('_', '-')} does not apply to {args.optimizer}")

    if args.optimizer == "sgd":
        refuse_unused("lr")
        return SGD(**pick("lr"))
    if args.optimizer in ("momentum", "nesterov"):
        refuse_unused("lr", "momentum")
        return Momentum(**pick("lr", "momentum"), nesterov=args.optimizer == "nesterov")
    if args.optimizer == "rmsprop":
        refuse_unused("lr", "rho", "eps", "momentum", "initial_accumulator")
        return RMSProp(
            **pick("lr", "rho", "eps", "momentum", "initial_accumulator"),
            centered=args.centered,
            eps_in_sqrt=args.eps_in_sqrt,
        )
    if args.optimizer == "adagrad":
        refuse_unused("lr", "eps", "initial_accumulator")
        return Adagrad(**pick("lr", "eps", "initial_accumulator"))
    refuse_unused("lr", "beta1", "beta2", "eps")
    return Adam(**pick("lr", "beta1", "beta2", "eps"))


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineErrorParser(prog="python -m rmsprop_core", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineErrorParser)
    commands.add_parser("lesson", help="print the lesson's example output, computed by the engine")
    run = commands.add_parser("run", help="run one optimizer and write its trajectory as CSV")
    run.add_argument("--objective", default="rosenbrock", choices=sorted(OBJECTIVES))
    run.add_argument(
        "--optimizer", default="rmsprop", choices=["sgd", "momentum", "nesterov", "rmsprop", "adam", "adagrad"]
    )
    run.add_argument("--lr", type=float)
    run.add_argument("--rho", type=float, help="RMSProp decay rate (alias: --gamma, --alpha, --decay)")
    run.add_argument("--gamma", "--alpha", "--decay", dest="rho", type=float, help=argparse.SUPPRESS)
    run.add_argument("--eps", type=float)
    run.add_argument("--momentum", type=float)
    run.add_argument("--centered", action="store_true")
    run.add_argument("--eps-in-sqrt", action="store_true")
    run.add_argument("--initial-accumulator", type=float)
    run.add_argument("--beta1", type=float)
    run.add_argument("--beta2", type=float)
    run.add_argument("--steps", type=int, default=500)
    run.add_argument("--start", type=float, nargs=2, metavar=("X", "Y"))
    run.add_argument("--out", help="write the CSV here instead of standard output")
    return parser


MAX_CLI_STEPS = 1_000_000


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "lesson":
        print("\n".join(lesson_output_lines(run_lesson())))
        return 0
    try:
        if not 0 <= args.steps <= MAX_CLI_STEPS:
            raise ValueError(f"--steps must be between 0 and {MAX_CLI_STEPS}, got {args.steps}")
        if (args.centered or args.eps_in_sqrt) and args.optimizer != "rmsprop":
            raise ValueError("--centered and --eps-in-sqrt apply to rmsprop only")
        if args.start and not all(math.isfinite(value) for value in args.start):
            # a run from nan or inf is diverged before its first step: every row would be nan
            raise ValueError(f"--start must be two finite numbers, got {args.start[0]:g} {args.start[1]:g}")
        optimizer = _build_optimizer(args)
        objective = get_objective(args.objective)
        start = tuple(args.start) if args.start else objective.start
        trajectory = optimize(optimizer, objective, start, args.steps, record_state=True)
        text = trajectories_to_csv({optimizer.label: (optimizer, objective, trajectory)})
        if args.out:
            with open(args.out, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        else:
            sys.stdout.write(text)
    except (ValueError, OSError) as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
