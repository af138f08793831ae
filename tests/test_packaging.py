"""`pip install .` works: the wheel carries both packages, the plotly.js bundle and the app's files,
and once installed, the engine's command line and `rmsprop-lab` run from any folder."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from rmsprop_core.lesson import lesson_output_lines, run_lesson
from rmsprop_lab.cli import app_folder

from .browser_support import free_port, wait_until_healthy
from .conftest import ROOT

# what a fresh clone holds and a build does not need (setuptools also writes build/ and *.egg-info)
NOT_SOURCE = (".git", ".venv", "__pycache__", "*_cache", ".hypothesis", "test-artifacts", "build", "dist", "*.egg-info")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    elsewhere: Path  # a folder with no checkout in it, to run the installed commands from
    env: dict[str, str]

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name

    def run(self, *command: str | Path) -> str:
        """Run an installed command from ``elsewhere``; its standard output."""
        return _run(self.bin(str(command[0])), *command[1:], cwd=self.elsewhere, env=self.env)


def _run(*command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    """A wheel built from a copy of the checkout (the build writes into the tree it builds), installed
    into a fresh venv that takes its dependencies from this Python's site-packages: no network."""
    work = tmp_path_factory.mktemp("packaging")
    source, dist, venv, elsewhere = work / "source", work / "dist", work / "venv", work / "elsewhere"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    elsewhere.mkdir()
    _run(sys.executable, "-m", "pip", "wheel", source, "--no-deps", "--no-build-isolation", "--quiet", "-w", dist)
    (wheel,) = dist.glob("*.whl")
    _run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv)
    installed = Installed(wheel, venv, elsewhere, {k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    # this Python's pip, run by the venv's interpreter, installs into the venv
    installed.run("python", "-m", "pip", "install", "--quiet", "--no-index", wheel)
    return installed


def test_the_wheel_holds_both_packages_the_plotly_bundle_and_the_app_files(installed):
    def checkout(pattern: str) -> set[str]:
        return {path.relative_to(ROOT).as_posix() for path in ROOT.glob(pattern)}

    name, version = installed.wheel.name.split("-")[:2]
    data = f"{name}-{version}.data/data/share/rmsprop-lab/"
    expected = (
        checkout("rmsprop_core/*.py")
        | checkout("rmsprop_lab/*.py")
        | checkout("rmsprop_lab/static/*")
        | {data + path for path in checkout("app.py") | checkout("pages/*.py") | checkout(".streamlit/config.toml")}
    )
    assert {"rmsprop_lab/static/plotly-basic.min.js", data + "pages/compare.py"} <= expected
    assert expected <= set(zipfile.ZipFile(installed.wheel).namelist())


def test_the_installed_engine_prints_the_lesson_from_any_folder(installed):
    output = installed.run("python", "-m", "rmsprop_core", "lesson")
    assert output.splitlines() == lesson_output_lines(run_lesson())


def test_rmsprop_lab_serves_the_installed_app_with_its_config_and_says_where(installed):
    where = installed.run("python", "-c", "from rmsprop_lab.cli import app_folder; print(app_folder())")
    assert Path(where.strip()) == (installed.venv / "share" / "rmsprop-lab").resolve()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = installed.elsewhere / "rmsprop-lab.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [str(installed.bin("rmsprop-lab")), "--server.port", str(port), "--server.address", "127.0.0.1"],
            cwd=installed.elsewhere,
            env={**installed.env, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, ended as a whole below
        )
        try:
            wait_until_healthy(server, url, log_path)
        finally:
            with contextlib.suppress(ProcessLookupError):  # a server that died early leaves no group
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
    output = log_path.read_text()
    assert f"URL: {url}" in output
    # the shipped .streamlit/config.toml applied: it turns usage statistics off (and runs headless)
    assert "usage statistics" not in output


def test_the_installed_app_runs_its_default_page(installed):
    # the health check above runs no script: this runs app.py and the Compare page from share/
    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file(sys.argv[1], default_timeout=60).run()\n"
        "assert not at.exception, at.exception\n"
    )
    installed.run("python", "-c", script, installed.venv / "share" / "rmsprop-lab" / "app.py")


def test_from_a_checkout_rmsprop_lab_serves_the_checkout():
    assert app_folder() == ROOT
