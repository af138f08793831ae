"""What a public deployment relies on: the Streamlit config and the container recipe."""

from __future__ import annotations

import tomllib

from .conftest import ROOT


def test_streamlit_config_is_safe_for_the_public():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"  # no tracebacks for users
    assert config["server"]["enableXsrfProtection"] is True
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["maxUploadSize"] <= 1


def test_dockerfile_runs_as_non_root_with_a_healthcheck():
    recipe = (ROOT / "Dockerfile").read_text()
    assert recipe.startswith("#") and "FROM python:3.11-slim" in recipe
    assert "\nUSER lab\n" in recipe and "useradd" in recipe
    assert "HEALTHCHECK" in recipe and "/_stcore/health" in recipe
    for needed in ("app.py", "pages", "rmsprop_core", "rmsprop_lab", ".streamlit", "requirements.txt"):
        assert needed in recipe
