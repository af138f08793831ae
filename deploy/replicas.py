"""Serve the app from N Streamlit replicas behind Debian's nginx, with sticky sessions.

    python deploy/replicas.py --replicas 3                      # https://127.0.0.1:8443, a throwaway certificate
    python deploy/replicas.py --replicas 3 --https-port 443 --http-port 80 \\
        --certificate /etc/letsencrypt/live/<host>/fullchain.pem --key /etc/letsencrypt/live/<host>/privkey.pem

Starts ``streamlit run app.py`` N times on 127.0.0.1 (ports from ``--base-port``), waits until
every replica's ``/_stcore/health`` answers ``ok``, then runs nginx in the foreground with
``deploy/nginx.conf`` (the same headers, WebSocket upgrade and health route) whose replicas part
lists the N replicas; Ctrl-C stops them all. Everything nginx writes stays in ``--run-folder``.
``Replicas`` does the same from Python (the tests and ``bench/bench_load.py``).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx.conf"
REPLICAS_PART = re.compile(r"# --- replicas:.*?\n(.*?)# --- end of replicas ---\n", re.S)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def replicas_part(ports: list[int]) -> str:
    """The upstreams and the cookie map for replicas on ``ports``: one group for new visitors, and
    one per replica with the others as its backup."""
    servers = "".join(f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=30s;\n" for port in ports)
    text = f"upstream rmsprop_lab {{\n{servers}    keepalive 16;\n}}\n"
    for port in ports:
        backups = "".join(f"    server 127.0.0.1:{other} backup;\n" for other in ports if other != port)
        text += (
            f"upstream rmsprop_lab_{port} {{\n    server 127.0.0.1:{port} max_fails=3 fail_timeout=30s;\n"
            f"{backups}    keepalive 16;\n}}\n"
        )
    pinned = "".join(f'    "127.0.0.1:{port}" rmsprop_lab_{port};\n' for port in ports)
    return text + f"map $cookie_rmsprop_lab_replica $replica {{\n    default rmsprop_lab;\n{pinned}}}\n"


def site(ports: list[int], https_port: int, http_port: int, certificate, key, server_name: str = "") -> str:
    """deploy/nginx.conf for ``ports``, listening on loopback ports unless ``server_name`` is given."""
    text = SITE.read_text()
    match = REPLICAS_PART.search(text)
    if match is None:
        raise SystemExit(f"{SITE} has no replicas part (# --- replicas: ... # --- end of replicas ---)")
    text = text[: match.start(1)] + replicas_part(ports) + text[match.end(1) :]
    loopback = "" if server_name else "127.0.0.1:"
    for old, new in {
        "listen 443 ssl http2;": f"listen {loopback}{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "" if not server_name else f"listen [::]:{https_port} ssl http2;",
        "listen 80;": f"listen {loopback}{http_port};",
        "listen [::]:80;": "" if not server_name else f"listen [::]:{http_port};",
        "server_name rmsprop-lab.example.org;": f"server_name {server_name or '127.0.0.1'};",
        "/etc/letsencrypt/live/rmsprop-lab.example.org/fullchain.pem": str(certificate),
        "/etc/letsencrypt/live/rmsprop-lab.example.org/privkey.pem": str(key),
    }.items():
        if old not in text:
            raise SystemExit(f"{SITE} no longer has {old!r}: update deploy/replicas.py")
        text = text.replace(old, new)
    return text


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found is None:
        raise SystemExit(f"deploy/replicas.py needs Debian's {name}: apt-get install nginx openssl")
    return found


def wait_healthy(url: str, process: subprocess.Popen | None = None, timeout: float = 60.0, context=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url} exited early")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2, context=context) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url}/_stcore/health did not answer ok in {timeout:.0f} s")


class Replicas:
    """``count`` Streamlit replicas of app.py and, with ``proxy``, nginx in front of them; ``url``
    is where a browser goes (the proxy, or the only replica), ``pids`` the replicas' processes."""

    def __init__(
        self,
        count: int,
        *,
        proxy: bool = True,
        base_port: int | None = None,
        https_port: int | None = None,
        http_port: int | None = None,
        certificate=None,
        key=None,
        server_name: str = "",
        run_folder=None,
        extra_options=(),
    ):
        self.folder = pathlib.Path(run_folder or tempfile.mkdtemp(prefix="rmsprop-lab-replicas-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.ports = [base_port + n for n in range(count)] if base_port else [free_port() for _ in range(count)]
        self.processes: list[subprocess.Popen] = []
        self.logs = []
        self.proxy = None
        try:
            for port in self.ports:
                log = open(self.folder / f"streamlit-{port}.log", "w")  # noqa: SIM115 - closed in stop()
                self.logs.append(log)
                command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true"]
                command += ["--server.port", str(port), "--server.address", "127.0.0.1"]
                command += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *extra_options]
                self.processes.append(subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
            for port, process in zip(self.ports, self.processes, strict=True):
                wait_healthy(f"http://127.0.0.1:{port}", process)
            self.url = f"http://127.0.0.1:{self.ports[0]}"
            if proxy:
                self._start_proxy(https_port or free_port(), http_port or free_port(), certificate, key, server_name)
        except BaseException:
            self.stop()
            raise

    def _start_proxy(self, https_port: int, http_port: int, certificate, key, server_name: str) -> None:
        if certificate is None:  # a throwaway certificate for this machine
            certificate, key = self.folder / "certificate.pem", self.folder / "key.pem"
            request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
            subprocess.run(
                [tool("openssl"), *request, "-keyout", str(key), "-out", str(certificate)],
                check=True,
                capture_output=True,
            )
        (self.folder / "site.conf").write_text(site(self.ports, https_port, http_port, certificate, key, server_name))
        temporary = "".join(
            f"    {name}_temp_path {self.folder / name};\n"
            for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        # started by root, nginx's workers would run as nobody, who cannot write this private folder
        user = "user root;\n" if os.geteuid() == 0 else ""
        (self.folder / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {self.folder / 'nginx.pid'};\nerror_log {self.folder / 'error.log'};\n"
            f"events {{}}\nhttp {{\n    access_log off;\n{temporary}    include {self.folder / 'site.conf'};\n}}\n"
        )
        nginx = tool("nginx")
        checked = subprocess.run([nginx, "-t", "-c", str(self.folder / "nginx.conf")], capture_output=True, text=True)
        if checked.returncode != 0:
            raise RuntimeError(checked.stderr)
        self.proxy = subprocess.Popen([nginx, "-c", str(self.folder / "nginx.conf"), "-g", "daemon off;"])
        self.url = f"https://127.0.0.1:{https_port}"
        insecure = ssl.create_default_context()
        insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE
        wait_healthy(self.url, self.proxy, context=insecure)

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def stop(self) -> None:
        for process in [*([self.proxy] if self.proxy else []), *self.processes]:
            process.terminate()
        for process in [*([self.proxy] if self.proxy else []), *self.processes]:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self.logs:
            log.close()

    def __enter__(self) -> Replicas:
        return self

    def __exit__(self, *exception) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--base-port", type=int, default=8501, help="the replicas listen on this port and the next")
    parser.add_argument("--https-port", type=int, default=8443)
    parser.add_argument("--http-port", type=int, default=8080, help="redirects to https")
    parser.add_argument("--certificate", help="TLS certificate chain (default: a throwaway one for 127.0.0.1)")
    parser.add_argument("--key", help="its private key")
    parser.add_argument("--server-name", default="", help="the public host name (default: loopback only)")
    parser.add_argument("--run-folder", help="nginx's configuration, logs and temporary files (default: a new one)")
    args = parser.parse_args()
    if bool(args.certificate) != bool(args.key):
        raise SystemExit("give --certificate and --key together")
    replicas = Replicas(
        args.replicas,
        base_port=args.base_port,
        https_port=args.https_port,
        http_port=args.http_port,
        certificate=args.certificate,
        key=args.key,
        server_name=args.server_name,
        run_folder=args.run_folder,
    )
    print(f"{args.replicas} replicas on ports {replicas.ports}, behind nginx at {replicas.url} (Ctrl-C stops)")
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        replicas.stop()


if __name__ == "__main__":
    main()
