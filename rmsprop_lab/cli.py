"""``rmsprop-lab``: serve the app with Streamlit, from this source checkout or from the installed copy.

``app.py``, ``pages/`` and ``.streamlit/config.toml`` sit at the top of the checkout, where
``streamlit run app.py`` expects them; an installed package carries them as data files in
``<prefix>/share/rmsprop-lab`` (see pyproject.toml). Streamlit runs in that folder, so its
``.streamlit/config.toml`` applies, and every argument goes on to ``streamlit run`` (e.g.
``rmsprop-lab --server.port 8502``). Streamlit prints the URL it serves; headless, it opens no browser.
"""

from __future__ import annotations

import importlib.metadata
import os
import pathlib
import sys

APP_SCRIPT = "app.py"
DISTRIBUTION = "rmsprop-lab"
INSTALLED_FOLDER = "share/rmsprop-lab"


def _is_app_folder(folder: pathlib.Path) -> bool:
    return (folder / APP_SCRIPT).is_file() and (folder / ".streamlit" / "config.toml").is_file()


def app_folder() -> pathlib.Path:
    """The folder holding app.py: the checkout this module runs from (an editable install), else the
    installed copy, wherever pip put the package's data files (a prefix, a venv, the user's base)."""
    checkout = pathlib.Path(__file__).resolve().parent.parent
    if _is_app_folder(checkout):
        return checkout
    try:
        files = importlib.metadata.files(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.as_posix().endswith(f"{INSTALLED_FOLDER}/{APP_SCRIPT}"):
            folder = pathlib.Path(file.locate()).resolve().parent
            if _is_app_folder(folder):
                return folder
    raise SystemExit(f"rmsprop-lab: {APP_SCRIPT} not found; run it from a checkout or after `pip install .`")


def main() -> None:
    folder = app_folder()
    os.chdir(folder)
    # exec, not a child process: Ctrl-C and a service manager's SIGTERM reach Streamlit itself
    os.execv(sys.executable, [sys.executable, "-m", "streamlit", "run", APP_SCRIPT, *sys.argv[1:]])
