"""HAProxy from the system, run by a test with the project's own configuration.

``deploy/haproxy.cfg`` is used as written, with what only the machine
decides swapped out: the listening addresses (loopback, free ports), the
certificate (a throwaway one made with ``openssl``), the instances, the
privilege drop (``chroot``/``user``/``group``) and the log target (a file).
"""

from __future__ import annotations

import shutil
import signal
import ssl
import subprocess
from pathlib import Path

from tests.support.ports import free_port
from tests.support.processes import wait_healthy

__all__ = ["CONFIG", "Balancer", "missing_balancer_programs", "render_config"]

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "haproxy.cfg"
_DROPPED = {"chroot", "user", "group"}


def missing_balancer_programs() -> list[str]:
    return [name for name in ("haproxy", "openssl") if shutil.which(name) is None]


def render_config(template: str, *, ports: list[int], cert: Path, servers: list[tuple[str, int]]) -> str:
    """``template`` with the n-th ``bind`` on ``ports[n]``, ``cert`` for TLS, ``servers`` as instances."""
    out: list[str] = []
    binds = iter(ports)
    servers_written = False
    for line in template.splitlines():
        words = line.split()
        indent = line[: len(line) - len(line.lstrip())]
        head = words[0] if words else ""
        if head in _DROPPED:
            continue
        if head == "log" and len(words) > 1 and words[1] == "/dev/log":
            out.append(f"{indent}log stderr format raw local0 info")
        elif head == "bind":
            rest = words[2:]
            if "crt" in rest:
                rest[rest.index("crt") + 1] = str(cert)
            out.append(f"{indent}bind 127.0.0.1:{next(binds)} {' '.join(rest)}")
        elif head == "server":
            if not servers_written:  # the template's options, on the test's instances
                options = " ".join(words[3:])
                out += [f"{indent}server {name} 127.0.0.1:{port} {options}" for name, port in servers]
                servers_written = True
        else:
            out.append(line)
    return "\n".join(out) + "\n"


class Balancer:
    """``haproxy`` in the foreground on loopback: an http port (redirects) and an https one."""

    def __init__(self, workdir: Path, servers: list[tuple[str, int]]) -> None:
        self.workdir = workdir
        self.http_port, self.https_port = free_port(), free_port()
        self.cert = workdir / "balancer.pem"
        self.ca = workdir / "balancer.crt"
        self.config = workdir / "haproxy.cfg"
        self.log_path = workdir / "haproxy.log"
        self.servers = servers
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def ws_url(self) -> str:
        return f"wss://127.0.0.1:{self.https_port}/ws"

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))

    def _make_certificate(self) -> None:
        key = self.workdir / "balancer.key"
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
                *("-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
                *("-keyout", str(key), "-out", str(self.ca)),
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        self.cert.write_bytes(self.ca.read_bytes() + key.read_bytes())

    def start(self) -> Balancer:
        self._make_certificate()
        self.config.write_text(
            render_config(
                CONFIG.read_text(),
                ports=[self.http_port, self.https_port],
                cert=self.cert,
                servers=self.servers,
            )
        )
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                ["haproxy", "-db", "-f", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        return self

    async def ready(self, wait: float = 15.0) -> None:
        if not await wait_healthy(self.url, wait=wait, alive=self._check_alive, verify=self.ssl_context()):
            raise TimeoutError(f"haproxy did not pass requests: {self.log_path.read_text()[-3000:]}")

    def _check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"haproxy exited: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
