"""deploy/nginx.conf in front of the served app, in a real Chromium: every page works under its
Content-Security-Policy, the headers are on every response, and the metrics stay private."""

from __future__ import annotations

import http.client
import os
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from .browser_support import free_port
from .conftest import ROOT

pytestmark = pytest.mark.browser

SITE = ROOT / "deploy" / "nginx.conf"
PAGES = ["", "sweep", "conventions", "lesson", "anatomy", "decay", "mission"]
#: what a public deployment sends with every response
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
INSECURE = ssl.create_default_context()
INSECURE.check_hostname = False
INSECURE.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate


def local_site(app_port: int, https_port: int, http_port: int, certificate, key) -> str:
    """The site as shipped, on loopback ports with a throwaway certificate (each edit must apply)."""
    text = SITE.read_text()
    for old, new in {
        "server 127.0.0.1:8501": f"server 127.0.0.1:{app_port}",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "/etc/letsencrypt/live/rmsprop-lab.example.org/fullchain.pem": str(certificate),
        "/etc/letsencrypt/live/rmsprop-lab.example.org/privkey.pem": str(key),
    }.items():
        assert old in text, f"deploy/nginx.conf no longer has {old!r}: update this test"
        text = text.replace(old, new)
    return text


def get(url: str):
    try:
        return urllib.request.urlopen(url, context=INSECURE, timeout=10)
    except urllib.error.HTTPError as error:
        return error


def tool(name: str) -> str:
    """The path of a Debian tool (nginx lives in /usr/sbin, outside a user's PATH)."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found is None:
        pytest.fail(f"the deployment tests need Debian's {name}: apt-get install nginx openssl", pytrace=False)
    return found


@dataclass(frozen=True)
class Proxy:
    https: str  # the site's base URL
    http_port: int  # the plain-http server, which only redirects
    error_log: Path

    def failures(self) -> list[str]:
        """What nginx logged as critical (a response it could not pass on, say)."""
        return [line for line in self.error_log.read_text().splitlines() if "[crit]" in line or "[alert]" in line]


@pytest.fixture(scope="module")
def proxied(served_app, tmp_path_factory):
    """The served app behind deploy/nginx.conf."""
    nginx, openssl = tool("nginx"), tool("openssl")
    folder = tmp_path_factory.mktemp("nginx")
    certificate, key = folder / "cert.pem", folder / "key.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
    subprocess.run([openssl, *request, "-keyout", str(key), "-out", str(certificate)], check=True, capture_output=True)
    https_port, http_port = free_port(), free_port()
    (folder / "site.conf").write_text(local_site(served_app.port, https_port, http_port, certificate, key))
    # a main configuration whose files all live in the test's folder, as Debian's nginx.conf
    # includes the sites in its http block
    temporary = "".join(
        f"    {name}_temp_path {folder / name};\n" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # started by root, nginx's workers would run as nobody, who cannot write the test's private folders
    user = "user root;\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\nevents {{}}\n"
        f"http {{\n    access_log off;\n{temporary}    include {folder / 'site.conf'};\n}}\n"
    )
    checked = subprocess.run([nginx, "-t", "-c", str(folder / "nginx.conf")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([nginx, "-c", str(folder / "nginx.conf"), "-g", "daemon off;"])
    base = f"https://127.0.0.1:{https_port}"
    for _ in range(100):
        try:
            if get(f"{base}/_stcore/health").read().strip() == b"ok":
                break
        except OSError:
            time.sleep(0.1)
    yield Proxy(base, http_port, folder / "error.log")
    process.terminate()
    process.wait(timeout=10)


def test_the_headers_are_on_every_response_and_the_metrics_are_private(proxied, served_app):
    for path in ("/", "/sweep", "/_stcore/health", "/_stcore/host-config", "/_stcore/metrics", "/nonexistent"):
        response = get(proxied.https + path)
        for name, value in HEADERS.items():
            assert response.headers[name] == value, (path, name)
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, path
    assert get(f"{proxied.https}/_stcore/metrics").status == 404
    assert get(f"{served_app.url}/_stcore/metrics").status == 200  # nginx blocks it, the app serves it
    assert get(f"{proxied.https}/_stcore/health").read().strip() == b"ok"
    plain = http.client.HTTPConnection("127.0.0.1", proxied.http_port, timeout=10)
    plain.request("GET", "/sweep?rho=0.99")
    redirect = plain.getresponse()
    assert redirect.status == 301 and redirect.getheader("Location") == "https://127.0.0.1/sweep?rho=0.99"
    plain.close()


@pytest.mark.parametrize("path", PAGES)
def test_every_page_works_under_the_content_security_policy(proxied, browser, path):
    """Streamlit's page, its components, plotly.js and the WebSocket all load under the policy:
    charts drawn, no error, and no violation reported by Chromium."""
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Security Policy" in message.text else None)
    page.goto(f"{proxied.https}/{path}")
    # locators, not wait_for_function: the policy forbids the eval that a string predicate needs
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    page.wait_for_timeout(300)
    page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for(timeout=60_000)
    assert page.locator("[data-testid=stException]").count() == 0
    assert not violations, violations
    assert not proxied.failures(), proxied.failures()
    context.close()
