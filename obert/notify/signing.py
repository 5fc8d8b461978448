"""Webhook signatures: HMAC-SHA256 over ``<timestamp>.<body>``, in ``X-Obert-Signature: t=<unix>,v1=<hex>``.

To verify a delivery, a receiver takes the raw request body and the header, recomputes
``hex(HMAC_SHA256(secret, f"{t}.{body}"))``, compares it with ``v1`` in constant time, and refuses a ``t``
more than a few minutes old (which stops a captured delivery from being replayed later). `verify` below
does exactly that and can be copied into a receiver.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Obert-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The value of the signature header for `body`."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return f"t={stamp},v1={signature(secret, stamp, body)}"


def verify(
    secret: str, header: str, body: bytes, *, now: float | None = None, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """True when `header` signs `body` with `secret` and is recent enough."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        stamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - stamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret, stamp, body))
