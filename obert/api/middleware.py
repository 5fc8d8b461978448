"""The security headers every response carries. Pure ASGI (no BaseHTTPMiddleware) so streamed downloads
and exports pass through untouched. (Budgets, body limits and CORS are each face's, in obert.faces.)
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from obert.faces import content_security_policy
from obert.settings import Settings

PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"


class SecurityHeadersMiddleware:
    """The headers every response carries: a strict CSP (no inline script or style), no sniffing, no
    framing, a tight referrer policy, and HSTS when the portal is served over HTTPS."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.headers = security_headers(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                # A response that sets its own policy says who may frame it (an embeddable chart):
                # X-Frame-Options, which can only deny, would contradict it.
                own_policy = "content-security-policy" in out
                for key, value in self.headers.items():
                    if key not in out and not (own_policy and key == "X-Frame-Options"):
                        out[key] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def security_headers(settings: Settings) -> dict[str, str]:
    csp = content_security_policy(settings, frame_ancestors="'none'")
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": PERMISSIONS,
        "Cross-Origin-Opener-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    if settings.base_url.startswith("https://"):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers
