"""Security headers on every response, and no caching of pages that show answers."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """Adds the security headers to every response, and no-store to dynamic ones.

    Plain ASGI rather than Starlette's BaseHTTPMiddleware: it only touches the
    response start, and error pages and static files pass through it alike."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_headers(list(message.get("headers", [])), static)
            await send(message)

        await self.app(scope, receive, sending)


def _with_headers(headers: list[tuple[bytes, bytes]], static: bool) -> list[tuple[bytes, bytes]]:
    """Add the headers a response did not set itself (a view may choose its own)."""
    present = {name.lower() for name, _ in headers}
    for name, value in SECURITY_HEADERS.items():
        if name.encode() not in present:
            headers.append((name.encode(), value.encode()))
    if not static and b"cache-control" not in present:
        headers.append((b"cache-control", b"no-store"))
    return headers
