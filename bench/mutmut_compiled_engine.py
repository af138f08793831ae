"""Mutation testing of ``rmsprop_core/engine.py`` with the compiled (numba) loops on.

``mutmut run`` (the ``[tool.mutmut]`` of ``pyproject.toml``) must run with ``RMSPROP_LAB_ENGINE=numpy``:
its copies of ``optimizers.py`` are full of mutmut's trampolines, which numba cannot compile, so the
engine's hand-over to the compiled loops and ``tests/test_compiled.py`` stay out of that run. This
script runs mutmut again in a copy of the checkout (``build/mutmut-compiled-engine``) whose
configuration mutates ``engine.py`` only: the other modules are copied unchanged, so numba compiles
them, and ``tests/test_compiled.py`` joins the test selection. The compiled loops use nothing of
``engine.py``, so a loop numba cached on disk during the run is the one a mutant's run would compile
(and the cache folder is named for the sources the loops compile, ``numba_loops.CACHE_FOLDER``).

Each mutant runs in a process forked from a server that has only collected the tests (mutmut's
``forkserver``): no mutant inherits a half-compiled loop from a background thread.

    RMSPROP_LAB_ENGINE=numpy mutmut run --max-children 1        # every configured file, NumPy engine
    python3 bench/mutmut_compiled_engine.py $(mutmut results | grep -o 'rmsprop_core\\.engine\\.[^:]*')

The second command reruns, with the compiled loops, the engine mutants the first left alive (no names:
all of them); a mutant either run kills is killed. It prints ``mutmut results`` of the copy.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
COPY = ROOT / "build" / "mutmut-compiled-engine"


def _mutmut_section(pyproject: str) -> str:
    """The ``[tool.mutmut]`` section for the copy: engine.py only, test_compiled.py added, forkserver."""
    tests = tomllib.loads(pyproject)["tool"]["mutmut"]["pytest_add_cli_args_test_selection"]
    tests = [*tests, "tests/test_compiled.py"]
    lines = [
        "[tool.mutmut]",
        'source_paths = ["rmsprop_core/"]',
        'only_mutate = ["rmsprop_core/engine.py"]',
        'also_copy = ["rmsprop_lab/"]',
        'process_isolation = "forkserver"',
        "pytest_add_cli_args_test_selection = [" + ", ".join(f'"{test}"' for test in tests) + "]",
    ]
    return "\n".join(lines) + "\n"


def prepare() -> None:
    """Copy the tracked files into ``COPY`` (times kept, so mutmut keeps results of unchanged code)."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True, text=True)
    for name in tracked.stdout.split("\0"):
        source = ROOT / name
        if name and source.is_file():
            target = COPY / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    start = pyproject.index("[tool.mutmut]")
    end = pyproject.find("\n[", start)
    rest = "" if end < 0 else pyproject[end:]
    (COPY / "pyproject.toml").write_text(pyproject[:start] + _mutmut_section(pyproject) + rest, encoding="utf-8")
    # the lesson tests read ../shared beside the checkout (tests/conftest.py), here beside the copy
    shared = COPY / "shared"
    if not shared.exists() and (ROOT.parent / "shared").is_dir():
        shared.symlink_to(ROOT.parent / "shared")


def main(names: list[str]) -> int:
    prepare()
    environment = {key: value for key, value in os.environ.items() if key != "RMSPROP_LAB_ENGINE"}
    mutmut = [sys.executable, "-m", "mutmut"]
    run = subprocess.run([*mutmut, "run", "--max-children", "1", *names], cwd=COPY, env=environment)
    if run.returncode:
        return run.returncode
    return subprocess.run([*mutmut, "results"], cwd=COPY, env=environment).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
