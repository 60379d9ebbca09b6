"""The shipped nginx configs in front of a real platform and the built admin SPA (issue 8).

One private nginx serves both hosts on free ports of 127.0.0.1, with certificates from a throw-away CA:
https://api.bastion.test:<p> proxied to gunicorn (APP_ENV=production, REQUIRE_HTTPS=true,
TRUSTED_PROXIES=1) and https://admin.bastion.test:<p> serving a copy of frontend/dist whose config.json
points at the platform. The configs are deploy/nginx/*.conf with only host names, certificate paths,
listen ports, the gunicorn address and folders substituted. On failure the nginx and gunicorn logs are
printed after the test.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from bastion.demo_seed import create_demo_database
from tests import deploy_stack as ds
from tests.live import ROOT, LiveServer, free_port, start_server, stop_server

API_HOST = "api.bastion.test"
ADMIN_HOST = "admin.bastion.test"
FRONTEND = ROOT / "frontend"
ARTIFACTS = ROOT / "test-artifacts"
# 127.0.0.1 is the admins' network; curl from 127.0.0.2 (another loopback address) is an outsider.
ADMIN_NETWORKS = "127.0.0.1/32,10.0.0.0/8"
OUTSIDE = "127.0.0.2"


@pytest.fixture(scope="module")
def nginx_bin() -> str:
    """The nginx binary, installed from Debian if missing."""
    binary = ds.nginx_binary()
    if binary is None:
        pytest.skip("nginx is missing and cannot be installed here (needs root and apt-get)")
    return binary


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A throw-away CA and certificates for both host names."""
    return ds.make_pki(tmp_path_factory.mktemp("pki"), [API_HOST, ADMIN_HOST])


def test_shipped_configs_pass_nginx_t_with_only_certificate_paths_replaced(nginx_bin, pki, tmp_path):
    _, certs = pki
    api = tmp_path / "api.conf"
    api.write_text(ds.render("api.conf", ds.cert_paths(certs, "api.example.com", API_HOST)))
    admin = tmp_path / "admin.conf"
    admin.write_text(ds.render("admin.conf", ds.cert_paths(certs, "admin.example.com", ADMIN_HOST)))
    # The shipped api.conf logs to /var/log/nginx (Debian's folder), which `nginx -t` opens.
    logs = [Path(f"/var/log/nginx/bastion-api.{kind}.log") for kind in ("access", "error")]
    if not logs[0].parent.is_dir():
        pytest.skip("no /var/log/nginx: nginx is not the Debian package")
    new = [log for log in logs if not log.exists()]
    try:
        result = ds.nginx_test(nginx_bin, ds.main_config(tmp_path, [api, admin]), tmp_path)
    finally:
        for log in new:
            log.unlink(missing_ok=True)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@dataclass
class Stack:
    """nginx in front of gunicorn and the admin SPA, and what a client needs to reach them."""

    server: LiveServer
    nginx: ds.Nginx
    ca: Path
    certs: dict
    http_port: int
    https_port: int
    admin_root: Path
    spa_missing: str | None  # why the real SPA is not served (a stand-in page is), or None

    def url(self, host: str, path: str = "/", scheme: str = "https") -> str:
        """A URL on one of the two hosts."""
        port = self.https_port if scheme == "https" else self.http_port
        return f"{scheme}://{host}:{port}{path}"

    @property
    def api_origin(self) -> str:
        return f"https://{API_HOST}:{self.https_port}"

    @property
    def admin_origin(self) -> str:
        return f"https://{ADMIN_HOST}:{self.https_port}"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    def json(self):
        return json.loads(self.body)


def curl(stack: Stack, url: str, *args: str, source: str | None = None) -> Answer:
    """One request with curl, trusting only the test CA and resolving both hosts to 127.0.0.1."""
    command = ["curl", "-sS", "-i", "--max-time", "10", "--cacert", str(stack.ca)]
    for host in (API_HOST, ADMIN_HOST):
        for port in (stack.http_port, stack.https_port):
            command += ["--resolve", f"{host}:{port}:127.0.0.1"]
    if source:
        command += ["--interface", source]
    result = subprocess.run([*command, *args, url], capture_output=True, text=True, timeout=20, check=False)
    assert result.returncode == 0, f"curl failed ({result.returncode}): {result.stderr}"
    # Text mode has turned curl's CRLF line ends into "\n".
    head, _, body = result.stdout.partition("\n\n")
    lines = head.split("\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return Answer(int(lines[0].split()[1]), headers, body)


def _admin_root(folder: Path, api_origin: str) -> str | None:
    """Fill folder with the built SPA and its config.json; without the SPA, a stand-in, and the reason."""
    reason = None
    try:
        from tests.e2e.spa import build_spa

        if not (FRONTEND / "package.json").is_file():
            raise ImportError("frontend/package.json")
        shutil.copytree(build_spa(), folder)
    except ImportError:
        reason = "the admin SPA (frontend/ and tests/e2e/spa.py) has not landed yet"
        (folder / "assets").mkdir(parents=True)
        (folder / "index.html").write_text("<!doctype html><title>Bastion admin</title>")
        (folder / "assets" / "index-0123abcd.js").write_text("export {}\n")
    (folder / "config.json").write_text(json.dumps({"apiBaseUrl": api_origin, "apiKey": ""}))
    return reason


def _common(folder: Path, ports: tuple[int, int]) -> dict[str, str]:
    """Replacements both sites share: test listen ports, the redirect's port, the ACME folder."""
    http, https = ports
    acme = folder / "acme"
    (acme / ".well-known" / "acme-challenge").mkdir(parents=True)
    (acme / ".well-known" / "acme-challenge" / "probe-token").write_text("probe-token.key-auth")
    return {
        "listen [::]:80;": "",
        "listen [::]:443 ssl http2;": "",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "https://$server_name$request_uri": f"https://$server_name:{https}$request_uri",
        "/var/www/letsencrypt": str(acme),
    }


def _api_replacements(folder: Path, certs, gunicorn: str, common: dict[str, str]) -> dict[str, str]:
    return {
        **ds.cert_paths(certs, "api.example.com", API_HOST),
        "api.example.com": API_HOST,
        "http://127.0.0.1:8000": gunicorn,
        "/var/log/nginx/bastion-api.access.log": str(folder / "api-access.log"),
        "/var/log/nginx/bastion-api.error.log": str(folder / "api-error.log"),
        **common,
    }


def _site_configs(folder: Path, certs, gunicorn: str, root: Path, ports: tuple[int, int]) -> list[Path]:
    common = _common(folder, ports)
    api = _api_replacements(folder, certs, gunicorn, common)
    admin = {
        **ds.cert_paths(certs, "admin.example.com", ADMIN_HOST),
        "https://api.example.com": f"https://{API_HOST}:{ports[1]}",
        "admin.example.com": ADMIN_HOST,
        "/srv/bastion-admin": str(root),
        **common,
    }
    paths = [folder / "api.conf", folder / "admin.conf"]
    paths[0].write_text(ds.render("api.conf", api))
    paths[1].write_text(ds.render("admin.conf", admin))
    return paths


def _set_up_platform(stack: Stack, demo_db: Path) -> None:
    """Through nginx, as an admin: open the api/v2/* rule of `bastion init` to the admin host only, and
    register a SQLite service 'demo' for the SPA to list."""
    body = json.dumps({"email": stack.server.admin_email, "password": stack.server.admin_password})
    login = curl(stack, stack.url(API_HOST, "/api/v2/system/admin/session"), "--json", body)
    assert login.status == 200, login.body
    auth = ["-H", f"Authorization: Bearer {login.json()['session_token']}"]
    rules = curl(stack, stack.url(API_HOST, "/api/v2/system/cors"), *auth).json()["resource"]
    rule = next(r for r in rules if r["path"] == "api/v2/*")
    update = json.dumps({"origins": [stack.admin_origin]})
    url = stack.url(API_HOST, f"/api/v2/system/cors/{rule['id']}")
    answer = curl(stack, url, *auth, "-X", "PATCH", "--json", update)
    assert answer.status == 200, answer.body
    create_demo_database(str(demo_db), employees=50)
    service = json.dumps({"name": "demo", "config": {"engine": "sqlite", "database": str(demo_db)}})
    answer = curl(stack, stack.url(API_HOST, "/api/v2/system/service"), *auth, "--json", service)
    assert answer.status == 201, answer.body


@pytest.fixture(scope="module")
def stack(nginx_bin, pki, tmp_path_factory):
    """gunicorn in production mode, the SPA and nginx in front of both; always stopped."""
    ca, certs = pki
    folder = tmp_path_factory.mktemp("deploy")
    server = start_server(
        folder / "instance",
        APP_ENV="production",
        REQUIRE_HTTPS="true",
        TRUSTED_PROXIES="1",
        ADMIN_ALLOWED_NETWORKS=ADMIN_NETWORKS,
    )
    nginx = None
    try:
        ports = (free_port(), free_port())
        root = folder / "admin-root"
        spa_missing = _admin_root(root, f"https://{API_HOST}:{ports[1]}")
        sites = _site_configs(folder / "nginx", certs, server.url, root, ports)
        config = ds.main_config(folder / "nginx", sites)
        checked = ds.nginx_test(nginx_bin, config, folder / "nginx")
        assert checked.returncode == 0, checked.stderr
        nginx = ds.start_nginx(nginx_bin, config, folder / "nginx", ports[1])
        stack = Stack(server, nginx, ca, certs, ports[0], ports[1], root, spa_missing)
        _set_up_platform(stack, folder / "demo.db")
        yield stack
    except Exception:
        print(server.log()[-8000:], nginx.logs() if nginx else "")
        raise
    finally:
        if nginx:
            nginx.stop()
        stop_server(server)


@pytest.fixture
def live(stack, request) -> Stack:
    """The stack; prints the nginx and gunicorn logs after this test if it failed."""
    failed = request.session.testsfailed
    yield stack
    if request.session.testsfailed > failed:
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_sep("-", f"logs after {request.node.name}")
        reporter.write_line("--- gunicorn\n" + stack.server.log()[-8000:] + "\n" + stack.nginx.logs())


def test_https_answers_with_a_certificate_of_the_test_ca(live):
    answer = curl(live, live.url(API_HOST, "/api/v2/system/environment"))
    assert answer.status == 200
    assert answer.json()["platform"]["name"] == "Bastion"
    assert curl(live, live.url(ADMIN_HOST, "/")).status == 200
    # Without the test CA the same request fails verification: the certificate is really checked.
    untrusted = subprocess.run(
        ["curl", "-sS", "--resolve", f"{API_HOST}:{live.https_port}:127.0.0.1", live.url(API_HOST)],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert untrusted.returncode == 60, untrusted.stderr


def _handshake(live: Stack, host: str, ciphers: str | None = None, max_version=None) -> tuple[str, str]:
    context = ssl.create_default_context(cafile=str(live.ca))
    if ciphers:
        context.set_ciphers(ciphers)
    if max_version:
        context.maximum_version = max_version
    with (
        socket.create_connection(("127.0.0.1", live.https_port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        return tls.version(), tls.cipher()[0]


@pytest.mark.parametrize("host", [API_HOST, ADMIN_HOST])
def test_tls_is_modern(live, host):
    assert _handshake(live, host) == ("TLSv1.3", "TLS_AES_256_GCM_SHA384")
    aead = _handshake(live, host, "ECDHE-ECDSA-AES128-GCM-SHA256", ssl.TLSVersion.TLSv1_2)
    assert aead == ("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256")
    # nginx's own default list would accept this CBC/SHA-1 suite; the shipped list does not.
    with pytest.raises(ssl.SSLError):
        _handshake(live, host, "ECDHE-ECDSA-AES128-SHA", ssl.TLSVersion.TLSv1_2)


@pytest.mark.parametrize("host", [API_HOST, ADMIN_HOST])
def test_plain_http_redirects_to_https_and_serves_only_acme_challenges(live, host):
    answer = curl(live, live.url(host, "/api/v2/system/admin?x=1", scheme="http"))
    assert answer.status == 301
    assert answer.headers["location"] == live.url(host, "/api/v2/system/admin?x=1")
    challenge = curl(live, live.url(host, "/.well-known/acme-challenge/probe-token", scheme="http"))
    assert (challenge.status, challenge.body) == (200, "probe-token.key-auth")


def test_api_host_sends_hsts_and_security_headers_on_errors_too(live):
    for path in ("/api/v2/system/environment", "/api/v2/system/admin", "/no/such/path"):
        answer = curl(live, live.url(API_HOST, path))
        assert answer.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
        assert (
            answer.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'; sandbox"
        )
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["content-type"].startswith("application/json")
        # Set by the platform itself as well: one copy of each, not two.
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["cache-control"] == "no-store"
    assert curl(live, live.url(API_HOST, "/api/v2/system/admin")).status == 401


def _csp(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


def test_admin_host_headers_csp_and_caching(live):
    page = curl(live, live.url(ADMIN_HOST, "/"))
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    csp = _csp(page.headers["content-security-policy"])
    assert csp["connect-src"] == ["'self'", live.api_origin]
    assert csp["default-src"] == ["'none'"] and csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "camera=()" in page.headers["permissions-policy"]
    assert page.headers["strict-transport-security"].startswith("max-age=63072000")
    assert page.headers["cache-control"] == "no-cache"

    config = curl(live, live.url(ADMIN_HOST, "/config.json"))
    assert config.json()["apiBaseUrl"] == live.api_origin
    assert config.headers["cache-control"] == "no-cache"
    assert "content-security-policy" in config.headers

    asset = next((live.admin_root / "assets").glob("index-*.js")).name
    hashed = curl(live, live.url(ADMIN_HOST, f"/assets/{asset}"))
    assert hashed.status == 200
    assert hashed.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "content-security-policy" in hashed.headers

    route = curl(live, live.url(ADMIN_HOST, "/services/3/edit"))
    assert (route.status, route.body) == (200, page.body)
    assert route.headers["cache-control"] == "no-cache"
    revalidated = curl(
        live, live.url(ADMIN_HOST, f"/assets/{asset}"), "-H", f"If-None-Match: {hashed.headers['etag']}"
    )
    assert revalidated.status == 304
    assert revalidated.headers["cache-control"] == "public, max-age=31536000, immutable"
    # A file that does not exist (yet) is a 404 that no browser or CDN may keep for a year.
    for missing in ("/assets/missing-0000.js", "/assets/", "/assets/sub/missing.css"):
        answer = curl(live, live.url(ADMIN_HOST, missing))
        assert answer.status in (403, 404), missing
        assert answer.headers["cache-control"] == "no-cache", missing
        assert "content-security-policy" in answer.headers


def test_direct_plain_http_call_to_the_platform_is_refused(live):
    answer = requests.get(f"{live.server.url}/api/v2/system/environment", timeout=10)
    assert answer.status_code == 403
    error = answer.json()["error"]
    assert error["code"] == error["status_code"] == 403
    assert "HTTPS is required" in error["message"] and error["request_id"]
    login = {"email": live.server.admin_email, "password": live.server.admin_password}
    refused = requests.post(f"{live.server.url}/api/v2/system/admin/session", json=login, timeout=10)
    assert refused.status_code == 403 and "session_token" not in refused.text


def _direct_login(live: Stack, forwarded_for: str) -> requests.Response:
    """Admin login straight to gunicorn, as if relayed over HTTPS by a proxy for forwarded_for."""
    headers = {"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https"}
    login = {"email": live.server.admin_email, "password": live.server.admin_password}
    url = f"{live.server.url}/api/v2/system/admin/session"
    return requests.post(url, json=login, headers=headers, timeout=10)


def test_admin_networks_are_judged_on_the_address_the_trusted_proxy_forwards(live):
    outside = _direct_login(live, "203.0.113.7")
    assert outside.status_code == 403
    assert outside.json()["error"]["message"] == "The admin API is not reachable from this network"
    inside = _direct_login(live, "10.1.2.3")
    assert inside.status_code == 200 and inside.json()["session_token"]
    # Only the last hop counts: an address the client wrote in front of it is ignored.
    assert _direct_login(live, "10.1.2.3, 203.0.113.7").status_code == 403


def test_through_nginx_a_client_cannot_forge_its_address(live):
    body = json.dumps({"email": live.server.admin_email, "password": live.server.admin_password})
    url = live.url(API_HOST, "/api/v2/system/admin/session")
    forged = ["-H", "X-Forwarded-For: 10.1.2.3", "--json", body]
    outsider = curl(live, url, *forged, source=OUTSIDE)
    assert outsider.status == 403, outsider.body
    assert outsider.json()["error"]["message"] == "The admin API is not reachable from this network"
    # Only the admin API is closed to outsiders: the data API answers them (no API key, no services).
    services = curl(live, live.url(API_HOST, "/api/v2"), source=OUTSIDE)
    assert (services.status, services.json()["resource"], services.json()["services"]) == (200, [], [])
    assert curl(live, url, *forged).status == 200


@contextmanager
def api_nginx(nginx_bin: str, pki, folder: Path, upstream: str, edits: dict[str, str]) -> Iterator[Stack]:
    """A private nginx serving api.conf alone in front of upstream, with edits made to the rendered text."""
    ca, certs = pki
    ports = (free_port(), free_port())
    prefix = folder / "nginx"
    prefix.mkdir(parents=True)
    text = ds.render("api.conf", _api_replacements(prefix, certs, upstream, _common(prefix, ports)))
    for old, replacement in edits.items():
        assert old in text, old
        text = text.replace(old, replacement)
    site = prefix / "api.conf"
    site.write_text(text)
    config = ds.main_config(prefix, [site])
    checked = ds.nginx_test(nginx_bin, config, prefix)
    assert checked.returncode == 0, checked.stderr
    nginx = ds.start_nginx(nginx_bin, config, prefix, ports[1])
    try:
        yield Stack(None, nginx, ca, {}, ports[0], ports[1], folder, None)
    finally:
        nginx.stop()


def _assert_nginx_envelope(answer: Answer, status: int) -> None:
    assert answer.status == status, answer.body
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-content-type-options"] == "nosniff"
    error = answer.json()["error"]
    assert error["code"] == error["status_code"] == status and len(error["request_id"]) == 32


def _raw_https(stack: Stack, request: bytes) -> Answer:
    """One HTTP/1.1 request over TLS as raw bytes; the answer is read even if nginx stops reading first."""
    context = ssl.create_default_context(cafile=str(stack.ca))
    context.set_alpn_protocols(["http/1.1"])
    with (
        socket.create_connection(("127.0.0.1", stack.https_port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=API_HOST) as tls,
    ):
        with contextlib.suppress(OSError):
            tls.sendall(request)
        data = b""
        with contextlib.suppress(OSError):
            while chunk := tls.recv(65536):
                data += chunk
    head, _, body = data.decode("latin-1").partition("\r\n\r\n")
    status_line, *lines = head.split("\r\n")
    headers = {
        name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)
    }
    return Answer(int(status_line.split()[1]), headers, body)


@pytest.mark.parametrize("size", [9_000, 20_000, 100_000])
def test_an_over_long_url_through_nginx_gets_a_json_414(live, size):
    path = "/api/v2/system/admin?filter=" + "a" * size
    request = f"GET {path} HTTP/1.1\r\nHost: {API_HOST}\r\nConnection: close\r\n\r\n".encode()
    _assert_nginx_envelope(_raw_https(live, request), 414)


def test_nginx_logs_hold_no_query_string_credentials(nginx_bin, pki, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"  # nobody listens: every proxied request is a 502
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (9 * 1024 * 1024))
    with api_nginx(nginx_bin, pki, tmp_path, dead, {}) as site:
        unavailable = curl(site, site.url(API_HOST, "/api/v2/hr/_table/x?session_token=TOKEN-502&limit=1"))
        _assert_nginx_envelope(unavailable, 503)
        url = site.url(API_HOST, "/api/v2/system/admin/session?api_key=KEY-413")
        too_large = curl(site, url, "--data-binary", f"@{big}", "-H", "Content-Type: application/json")
        _assert_nginx_envelope(too_large, 413)
        site.nginx.stop()  # flushes every log
        logs = site.nginx.logs()
    assert "/api/v2/hr/_table/x" in logs and "/api/v2/system/admin/session" in logs  # the access log
    assert "TOKEN-502" not in logs and "KEY-413" not in logs
    assert "session_token" not in logs and "api_key" not in logs


ADMIN_BLOCK = {
    "    #location ~* ": "    location ~* ",
    "    #    allow 10.20.0.0/16;": "        allow 127.0.0.1;",
    "    #    deny all;": "        deny all;",
    "    #    proxy_pass ": "        proxy_pass ",
    "    #}": "    }",
}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/system/environment",
        "/api/system/environment",
        "/API/V2/System/environment",
        "//api//system/environment",
        "/api/v2//system/environment",
        "/api/./system/environment",
        "/api/%73ystem/environment",
        "/api/v2%2fsystem/environment",
        "/api/v2/system",
    ],
)
def test_the_shipped_admin_network_block_covers_every_spelling(nginx_bin, pki, stack, tmp_path, path):
    with api_nginx(nginx_bin, pki, tmp_path, stack.server.url, ADMIN_BLOCK) as site:
        outsider = curl(site, site.url(API_HOST, path), "--path-as-is", source=OUTSIDE)
        _assert_nginx_envelope(outsider, 403)
        # The data API stays open to everyone, and the admins' network still reaches the admin API.
        assert curl(site, site.url(API_HOST, "/api/v2"), source=OUTSIDE).status == 200
        assert curl(site, site.url(API_HOST, "/api/system/environment")).status == 200


@pytest.mark.e2e
def test_spa_on_the_admin_host_logs_in_against_the_api_host_and_lists_services(live, playwright, request):
    if live.spa_missing:
        pytest.skip(live.spa_missing)
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (scripts/system-deps.sh installs it)")
    pins = ",".join(cert.spki_sha256 for cert in live.certs.values())
    args = [
        *CHROMIUM_ARGS,
        f"--host-resolver-rules=MAP {API_HOST} 127.0.0.1, MAP {ADMIN_HOST} 127.0.0.1",
        # Trust exactly the two test certificates (their public keys), not every certificate error.
        f"--ignore-certificate-errors-spki-list={pins}",
    ]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    console: list[str] = []
    api_calls: set[str] = set()
    page.on("console", lambda message: console.append(message.text))
    page.on("request", lambda r: api_calls.add(r.url.partition("/api/")[0]) if "/api/" in r.url else None)
    try:
        _log_in_and_list_services(page, live)
    except Exception:
        (ARTIFACTS / request.node.name).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / request.node.name / "at-failure.png"), full_page=True)
        raise
    finally:
        browser.close()
    assert api_calls == {live.api_origin}
    assert not [line for line in console if "Content Security Policy" in line], console


def _log_in_and_list_services(page, live: Stack) -> None:
    from playwright.sync_api import expect

    page.goto(live.url(ADMIN_HOST, "/"))
    expect(page.get_by_role("heading", name="Bastion admin")).to_be_visible()
    page.get_by_label("Email").fill(live.server.admin_email)
    page.get_by_label("Password").fill(live.server.admin_password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("current-admin")).to_have_text(live.server.admin_email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Services").click()
    expect(page.get_by_role("link", name="demo", exact=True)).to_be_visible()
