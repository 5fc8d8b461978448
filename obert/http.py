"""Outbound HTTP with an SSRF guard: every request obert makes to a URL someone gave it goes through here.

Loopback, private, link-local, multicast, reserved and cloud-metadata addresses are refused unless listed
in `OBERT_HTTP_ALLOWLIST`. The check runs after DNS resolution and on every redirect, and the connection
goes to the address that was checked (the host name is kept for the Host header and TLS), so a name that
resolves differently a moment later cannot slip through. httpx's exceptions are translated here.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urljoin, urlsplit

import httpx

from obert.errors import FieldError, Forbidden, Invalid, TooLarge, Unavailable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_REDIRECTS = 5
USER_AGENT = "obert/0.1 (+https://github.com/obert-portal) open data portal"


@dataclass(frozen=True, slots=True)
class Allowlist:
    hosts: frozenset[str]
    networks: tuple[Network, ...]

    @classmethod
    def parse(cls, text: str) -> Allowlist:
        hosts: set[str] = set()
        networks: list[Network] = []
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hosts.add(item.lower())
        return cls(frozenset(hosts), tuple(networks))

    def allows(self, host: str, address: IPAddress) -> bool:
        return host.lower() in self.hosts or any(address in net for net in self.networks)


@dataclass(frozen=True, slots=True)
class Response:
    url: str
    status: int
    headers: httpx.Headers
    content: bytes

    def json(self) -> object:
        return httpx.Response(self.status, headers=self.headers, content=self.content).json()


class HttpClient:
    """A guarded client. `get` reads a whole (capped) body; `stream_to` copies one to a file."""

    def __init__(
        self,
        *,
        allowlist: Allowlist,
        timeout: float = 30.0,
        max_bytes: int = 100 * 1024 * 1024,
        transport: httpx.BaseTransport | None = None,
        resolver: Callable[[str, int], list[IPAddress]] | None = None,
    ) -> None:
        self.allowlist = allowlist
        self.max_bytes = max_bytes
        self._resolve = resolver or _resolve
        self._client = httpx.Client(
            timeout=timeout, follow_redirects=False, transport=transport, headers={"User-Agent": USER_AGENT}
        )

    def close(self) -> None:
        self._client.close()

    def get(
        self, url: str, *, headers: dict[str, str] | None = None, max_bytes: int | None = None
    ) -> Response:
        limit = max_bytes or self.max_bytes
        with self._open(url, headers or {}) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > limit:
                    raise TooLarge(f"{url} sends more than {limit:,} bytes")
            return Response(str(response.url), response.status_code, response.headers, bytes(body))

    def stream_to(self, url: str, out: IO[bytes], *, max_bytes: int | None = None) -> Response:
        """Copy the body to `out` without holding it in memory; returns the response without content."""
        limit = max_bytes or self.max_bytes
        with self._open(url, {}) as response:
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"{url} sends more than {limit:,} bytes")
                out.write(chunk)
            return Response(str(response.url), response.status_code, response.headers, b"")

    def status(self, url: str) -> int:
        """The status `url` answers a GET with, after redirects, without reading its body (link checks)."""
        with self._open(url, {}) as response:
            return response.status_code

    def download(self, url: str, path: Path, *, max_bytes: int | None = None) -> Response:
        with path.open("wb") as out:
            return self.stream_to(url, out, max_bytes=max_bytes)

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        timeout: float | None = None,
        follow_redirects: bool = True,
        read_bytes: int = 0,
    ) -> Response:
        """Any request (HEAD for link checks, POST for webhooks), keeping at most `read_bytes` of the body:
        the rest is never read, so a huge or endless answer costs nothing."""
        with self._open(
            url,
            headers or {},
            method=method,
            content=content,
            timeout=timeout,
            follow_redirects=follow_redirects,
        ) as response:
            body = bytearray()
            if read_bytes > 0:
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) >= read_bytes:
                        break
            return Response(
                str(response.url), response.status_code, response.headers, bytes(body[:read_bytes])
            )

    @contextmanager
    def _open(
        self,
        url: str,
        headers: dict[str, str],
        *,
        method: str = "GET",
        content: bytes | None = None,
        timeout: float | None = None,
        follow_redirects: bool = True,
    ) -> Iterator[httpx.Response]:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            request = self._pinned_request(current, headers, method=method, content=content, timeout=timeout)
            try:
                response = self._client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise Unavailable(f"{current} did not answer in time") from exc
            except httpx.HTTPError as exc:
                raise Unavailable(f"could not fetch {current}: {exc}") from exc
            if follow_redirects and response.is_redirect and "location" in response.headers:
                response.close()
                current = urljoin(current, response.headers["location"])
                continue
            try:
                yield response
            except httpx.HTTPError as exc:
                raise Unavailable(f"could not read {current}: {exc}") from exc
            finally:
                response.close()
            return
        raise Invalid(f"{url} redirects more than {MAX_REDIRECTS} times")

    def _pinned_request(
        self,
        url: str,
        headers: dict[str, str],
        *,
        method: str = "GET",
        content: bytes | None = None,
        timeout: float | None = None,
    ) -> httpx.Request:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Invalid("only http and https URLs can be fetched", errors=[FieldError("url", url)])
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = self.check(host, port)
        pinned = httpx.URL(url).copy_with(host=str(address))
        return self._client.build_request(
            method,
            pinned,
            content=content,
            headers={**headers, "Host": parts.netloc.rsplit("@", 1)[-1]},
            extensions={"sni_hostname": host},
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )

    def check(self, host: str, port: int) -> IPAddress:
        """The address to connect to for `host`, refusing any that is not public unless allow-listed."""
        addresses = self._resolve(host, port)
        if not addresses:
            raise Unavailable(f"{host} does not resolve")
        for address in addresses:
            if not _is_public(address) and not self.allowlist.allows(host, address):
                raise Forbidden(
                    f"{host} resolves to {address}, a private or reserved address; "
                    "list it in OBERT_HTTP_ALLOWLIST to allow it"
                )
        return addresses[0]


def _is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Unavailable(f"{host} does not resolve: {exc.strerror}") from exc
    seen: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in seen:
            seen.append(address)
    return seen
