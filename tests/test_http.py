from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from obert.errors import Forbidden, TooLarge, Unavailable
from obert.http import Allowlist, HttpClient
from tests.receiver import serving


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        port = self.server.server_address[1]
        routes = {
            "/hello": (200, {}, b"hola"),
            "/to-hello": (302, {"Location": "/hello"}, b""),
            "/to-private": (302, {"Location": f"http://127.0.0.1:{port}/hello"}, b""),
            "/big": (200, {}, b"x" * 2_000_000),
            "/loop": (302, {"Location": "/loop"}, b""),
        }
        if self.path == "/slow":
            time.sleep(2)
        status, headers, body = routes.get(self.path, (404, {}, b"missing"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("X-Seen-Host", self.headers["Host"])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serving(_Handler, host="localhost") as url:
        yield url


def _client(allow: str = "localhost", **kwargs: object) -> HttpClient:
    return HttpClient(allowlist=Allowlist.parse(allow), **kwargs)  # type: ignore[arg-type]


def test_allow_listed_hosts_are_fetched_with_their_host_header(server: str) -> None:
    response = _client().get(f"{server}/hello")
    assert response.status == 200 and response.content == b"hola"
    assert response.headers["X-Seen-Host"] == server.removeprefix("http://")


def test_redirects_are_followed_and_checked_at_every_hop(server: str) -> None:
    assert _client().get(f"{server}/to-hello").content == b"hola"
    with pytest.raises(Forbidden, match=r"127\.0\.0\.1"):
        _client().get(f"{server}/to-private")
    with pytest.raises(Exception, match="redirects more than"):
        _client().get(f"{server}/loop")


def test_loopback_is_refused_unless_allow_listed(server: str) -> None:
    with pytest.raises(Forbidden, match="OBERT_HTTP_ALLOWLIST"):
        _client(allow="").get(f"{server}/hello")
    assert _client(allow="127.0.0.0/8").get(f"{server}/hello").content == b"hola"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "::ffff:127.0.0.1",
        "fd00::1",
        "fe80::1",
        "224.0.0.1",
    ],
)
def test_private_reserved_and_metadata_addresses_are_refused(address: str) -> None:
    client = _client(allow="", resolver=lambda host, port: [ipaddress.ip_address(address)])
    with pytest.raises(Forbidden):
        client.get("http://innocent.example/data.csv")


def test_a_name_with_any_private_address_is_refused() -> None:
    mixed = [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.5")]
    with pytest.raises(Forbidden, match=r"10\.0\.0\.5"):
        _client(allow="", resolver=lambda host, port: mixed).get("http://rebinding.example/")


def test_only_http_urls(server: str) -> None:
    for url in ("file:///etc/passwd", "ftp://example.org/x", "gopher://x", "http:///nohost"):
        with pytest.raises(Exception, match="http"):
            _client().get(url)


def test_bodies_over_the_cap_are_refused(server: str) -> None:
    with pytest.raises(TooLarge):
        _client().get(f"{server}/big", max_bytes=1_000_000)
    assert len(_client().get(f"{server}/big").content) == 2_000_000


def test_timeouts_and_unresolvable_hosts_are_unavailable(server: str) -> None:
    with pytest.raises(Unavailable, match="in time"):
        _client(timeout=0.3).get(f"{server}/slow")
    with pytest.raises(Unavailable, match="does not resolve"):
        _client().get("http://no-such-host.invalid/")
