"""What a public deployment relies on: the Streamlit config and the container recipe."""

from __future__ import annotations

import ast
import re
import tomllib

from .conftest import ROOT


def test_streamlit_config_is_safe_for_the_public():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"  # no tracebacks for users
    assert config["client"]["allowedOrigins"] == []  # no parent frame drives the app by postMessage
    assert config["server"]["enableXsrfProtection"] is True
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["maxUploadSize"] <= 1
    assert config["server"]["fileWatcherType"] == "none"  # no thread polling the source files


def test_no_page_relies_on_magic_which_the_config_turns_off():
    """Streamlit's magic would draw a bare expression (a value, a string other than a docstring);
    ``runner.magicEnabled = false`` would silently drop it."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["magicEnabled"] is False
    for script in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        tree = ast.parse(script.read_text())
        docstrings = {
            id(node.body[0])
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
            and isinstance(node.body[0].value.value, str)
        }
        shown = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Expr)
            and not isinstance(node.value, ast.Call | ast.Await | ast.Yield | ast.YieldFrom)
            and id(node) not in docstrings
        ]
        assert not shown, (script.name, shown)


def test_dockerfile_runs_as_non_root_with_a_healthcheck():
    recipe = (ROOT / "Dockerfile").read_text()
    assert recipe.startswith("#") and "FROM python:3.11-slim" in recipe
    assert "\nUSER lab\n" in recipe and "useradd" in recipe
    assert "HEALTHCHECK" in recipe and "/_stcore/health" in recipe
    for needed in ("app.py", "pages", "rmsprop_core", "rmsprop_lab", ".streamlit", "requirements.txt"):
        assert needed in recipe


def test_the_nginx_site_sets_the_headers_on_every_location_and_keeps_the_metrics_private():
    """deploy/nginx.conf (served in front of the app by tests/test_browser_deploy.py)."""
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert re.search(rf'^    add_header {header} ".+" always;$', site, re.MULTILINE), header
    assert "frame-ancestors 'none'" in site and "object-src 'none'" in site
    # nginx drops every inherited add_header or proxy_set_header in a block that sets one of its own
    locations = re.findall(r"location [^{]+\{([^}]*)\}", site)
    assert len(locations) == 4 and not any("add_header" in body or "proxy_set_header" in body for body in locations)
    assert re.search(r"location = /_stcore/metrics \{\s*return 404;\s*\}", site)
    assert "location = /_stcore/health {" in site and "location = /_stcore/stream {" in site
    for upgrade in ("proxy_set_header Upgrade $http_upgrade;", "proxy_set_header Connection $connection_upgrade;"):
        assert upgrade in site
