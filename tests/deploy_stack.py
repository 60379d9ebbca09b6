"""The shipped nginx configs under test: a throw-away CA, rendered configs and a private nginx process.

Nothing here touches the system's nginx: every run has its own prefix, main config, pid file, logs and
temp folders under a pytest tmp folder, and listens on free high ports of 127.0.0.1.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.live import ROOT

DEPLOY = ROOT / "deploy" / "nginx"
MIME_TYPES = Path("/etc/nginx/mime.types")


def nginx_binary() -> str | None:
    """The nginx executable, installed from Debian when missing and we may; None when it cannot be had."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    quiet = {"env": env, "capture_output": True, "check": False, "timeout": 300}
    if subprocess.run(["apt-get", "install", "-y", "-q", "nginx"], **quiet).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], **quiet)
        subprocess.run(["apt-get", "install", "-y", "-q", "nginx"], **quiet)
    return shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


@dataclass(frozen=True)
class HostCert:
    """A host's certificate chain and key files, and the SHA-256 of its public key (base64)."""

    fullchain: Path
    privkey: Path
    spki_sha256: str


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_bytes(pem)
    path.chmod(0o600)


def _builder(subject: str, issuer: x509.Name, public_key, days: int) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def make_pki(folder: Path, hosts: list[str]) -> tuple[Path, dict[str, HostCert]]:
    """A CA (ca.pem) and, per host, fullchain.pem and privkey.pem signed by it, in folder/<host>/."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        _builder("Bastion test CA", _name("Bastion test CA"), ca_key.public_key(), 30)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path = folder / "ca.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    certs = {}
    for host in hosts:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            _builder(host, ca_cert.subject, key.public_key(), 7)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        (folder / host).mkdir()
        fullchain, privkey = folder / host / "fullchain.pem", folder / host / "privkey.pem"
        fullchain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key, privkey)
        spki = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        certs[host] = HostCert(fullchain, privkey, base64.b64encode(hashlib.sha256(spki).digest()).decode())
    return ca_path, certs


def cert_paths(certs: dict[str, HostCert], real_host: str, test_host: str) -> dict[str, str]:
    """Replacements of a shipped config's Let's Encrypt paths for real_host by test_host's files."""
    live = f"/etc/letsencrypt/live/{real_host}"
    return {
        f"{live}/fullchain.pem": str(certs[test_host].fullchain),
        f"{live}/privkey.pem": str(certs[test_host].privkey),
    }


def render(name: str, replacements: dict[str, str]) -> str:
    """A shipped config with each placeholder replaced; a placeholder that is gone fails loudly."""
    text = (DEPLOY / name).read_text()
    for placeholder, value in replacements.items():
        if placeholder not in text:
            raise AssertionError(f"deploy/nginx/{name} no longer contains {placeholder!r}")
        text = text.replace(placeholder, value)
    return text


def main_config(prefix: Path, includes: list[Path]) -> Path:
    """An nginx.conf that keeps pid, logs and temp files under prefix and includes the site files."""
    temps = "\n".join(
        f"    {kind}_temp_path {prefix / 'temp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    sites = "\n".join(f"    include {path};" for path in includes)
    # Workers run as root here only because pytest's tmp folders are private to the user running it.
    user = "user root;\n" if os.geteuid() == 0 else ""
    text = (
        f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'} info;\n"
        f"events {{ worker_connections 256; }}\n"
        f"http {{\n    include {MIME_TYPES};\n    default_type application/octet-stream;\n"
        f"    access_log {prefix / 'access.log'};\n{temps}\n{sites}\n}}\n"
    )
    (prefix / "temp").mkdir(parents=True, exist_ok=True)
    path = prefix / "nginx.conf"
    path.write_text(text)
    return path


def nginx_test(binary: str, config: Path, prefix: Path) -> subprocess.CompletedProcess:
    """`nginx -t` on config, with prefix and the start-up error log kept under prefix."""
    command = [binary, "-t", "-c", str(config), "-p", str(prefix), "-e", str(prefix / "error.log")]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)


@dataclass
class Nginx:
    """A running nginx in the foreground, with its prefix folder and logs."""

    process: subprocess.Popen
    prefix: Path

    def logs(self) -> str:
        """The error log and access logs written so far."""
        parts = []
        for path in sorted(self.prefix.glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-8000:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        """Stop nginx (fast shutdown) and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_nginx(binary: str, config: Path, prefix: Path, port: int) -> Nginx:
    """Start nginx on config and wait until it accepts connections on port."""
    command = [binary, "-c", str(config), "-p", str(prefix), "-e", str(prefix / "error.log")]
    with (prefix / "stdout.log").open("w") as out:
        process = subprocess.Popen([*command, "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT)
    server = Nginx(process, prefix)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("nginx exited:\n" + server.logs())
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError("nginx did not listen in 10 s:\n" + server.logs())
