"""Posted forms: bounded reading and the CSRF guard every POST route must pass.

`csrf_form` refuses a missing or wrong token before the handler runs, and marks
the endpoint; `check_forms` refuses to start an app where a POST route lacks
that mark, so a route added later cannot forget the check.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.web.auth import Viewer
from bot.web.http import Refusal, require, web_of

#: Forms are small; a larger body is refused before it is parsed.
MAX_FORM_BYTES = 64 * 1024

Handler = Callable[[Request, Viewer, FormData], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def csrf_form(handler: Handler) -> Endpoint:
    """A POST handler that runs only for a logged-in viewer with a valid CSRF token."""

    async def endpoint(request: Request) -> Response:
        viewer = await require(request)
        form = await read_form(request, max_fields=20)
        given = form.get("csrf")
        if not isinstance(given, str) or not web_of(request).signer.check(
            "csrf", viewer.nonce, given
        ):
            raise Refusal(403, "web.error.csrf")
        return await handler(request, viewer, form)

    return csrf_checked(endpoint, handler.__name__)


def csrf_checked(endpoint: Endpoint, name: str | None = None) -> Endpoint:
    """Mark an endpoint as checking its own CSRF token (for `check_forms`)."""
    endpoint.csrf_checked = True  # type: ignore[attr-defined]
    if name is not None:
        endpoint.__name__ = name
    return endpoint


def check_forms(routes: Iterable[BaseRoute]) -> None:
    """Refuse to start if a POST route is not CSRF-protected (a guard for later edits)."""
    for route in routes:
        if not isinstance(route, Route) or "POST" not in (route.methods or set()):
            continue
        if not getattr(route.endpoint, "csrf_checked", False):
            raise RuntimeError(f"POST route {route.path} is not CSRF-protected")


async def read_form(request: Request, max_fields: int) -> FormData:
    """The posted form, refusing oversized bodies and file uploads up front."""
    try:
        size = int(request.headers.get("content-length") or 0)
    except ValueError:
        raise Refusal(400, "web.error.bad_request") from None
    if size > MAX_FORM_BYTES:
        raise Refusal(413, "web.error.bad_request")
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():  # a body without a length is counted as it comes
        received += len(chunk)
        if received > MAX_FORM_BYTES:
            raise Refusal(413, "web.error.bad_request")
        chunks.append(chunk)
    request._body = b"".join(chunks)  # Starlette parses the form from this cached body
    return await request.form(max_files=0, max_fields=max_fields, max_part_size=MAX_FORM_BYTES)
