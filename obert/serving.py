"""How `obert serve` speaks HTTP/1.1: uvicorn's httptools protocol with a limit on the request head.

llhttp (under httptools) puts no bound on a request line or header, and httptools grows a long header
value by concatenation, so one unauthenticated 100 MB header held a server for ~27 s of CPU. h11 has a
limit, but parses every request in Python (see bench/http_head.py for what each costs). This protocol
counts the bytes of the head as they arrive, before the parser sees them, and answers 431 and closes the
connection as soon as the head passes `max_head_bytes`; the application never runs for it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from obert.metrics import count_refused_head

log = logging.getLogger("obert.serving")

DEFAULT_MAX_HEAD_BYTES = 64 * 1024
PROTOCOL = "obert.serving:HeadLimitedHttpTools"  # how uvicorn's worker processes import it


class HeadLimitedHttpTools(HttpToolsProtocol):
    """httptools with a cap on the request line and headers of each request (a connection's pipelined
    requests are each counted afresh). The cap is uvicorn's `h11_max_incomplete_event_size`, the same
    setting that bounds the head under h11."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.max_head_bytes = config.h11_max_incomplete_event_size or DEFAULT_MAX_HEAD_BYTES
        self._in_head = True  # waiting for (the rest of) a request head
        self._head_bytes = 0
        self._tail = b""  # the last bytes of the head so far: its blank line may straddle two reads
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:  # the connection is closing: nothing more is read
            return
        if self._in_head:
            if self._head_bytes + len(data) > self.max_head_bytes and not self._head_ends_in_time(data):
                self._refuse()
                return
            self._head_bytes += len(data)
            self._tail = (self._tail + data[-3:])[-3:]
        super().data_received(data)

    def _head_ends_in_time(self, data: bytes) -> bool:
        # A read may carry the end of the head and then the body: only the head's part counts.
        seen = self._tail + data
        ends = [i for i in (seen.find(b"\r\n\r\n"), seen.find(b"\n\n")) if i >= 0]
        if not ends:
            return False
        head_part = min(ends) + 4 - len(self._tail)
        return self._head_bytes + head_part <= self.max_head_bytes + 4

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head, self._head_bytes, self._tail = True, 0, b""
        super().on_message_complete()

    def _refuse(self) -> None:
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        log.warning("%s sent a request head over %d bytes: refused with 431", client, self.max_head_bytes)
        message = f"the request line and headers are larger than the {self.max_head_bytes:,} bytes allowed"
        body = message.encode()
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: text/plain; charset=utf-8\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n" + body
        )
        self._refused = True
        self.transport.close()
        count_refused_head()
