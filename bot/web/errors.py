"""Error pages: every refusal, HTTP error and service error renders the same page.

The services raise their own errors (no access, gone, a push that cannot be
found); here they become 403 and 404 pages, so a guessed id in a URL never
shows data and never shows a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.services.access import AccessDenied, Gone
from bot.services.pushes import PushError
from bot.web.http import Refusal, page, viewer_of

log = logging.getLogger(__name__)

ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


async def refusal(request: Request, exc: Exception) -> Response:
    """A view's own refusal, with the status and message it chose."""
    assert isinstance(exc, Refusal)
    return await error_page(request, exc.status, exc.key, exc.values)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405, in the dashboard's words."""
    assert isinstance(exc, HTTPException)
    key = {404: "web.error.not_found", 405: "web.error.bad_request"}.get(
        exc.status_code, "web.error.bad_request"
    )
    return await error_page(request, exc.status_code, key, {})


async def known(request: Request, exc: Exception) -> Response:
    """Access and existence errors from the services, as 403 and 404 pages."""
    if isinstance(exc, Gone) or (isinstance(exc, PushError) and exc.code == "not_found"):
        return await error_page(request, 404, "web.error.not_found", {})
    return await error_page(request, 403, "web.error.forbidden", {})


async def crash(request: Request, exc: Exception) -> Response:
    """Anything else: a plain 500 page (Starlette re-raises it afterwards for the logs)."""
    log.error("dashboard error on %s: %s", request.url.path, type(exc).__name__)
    return await error_page(request, 500, "web.error.crash", {})


async def error_page(
    request: Request, status: int, key: str, values: Mapping[str, object]
) -> Response:
    """The page in the viewer's language when there is a viewer, else the default."""
    try:
        viewer = await viewer_of(request, required=False)
    except Exception:  # the error page must render even when the database is gone
        viewer = None
    return page(request, "error.html", viewer, status=status, message_key=key, values=dict(values))


#: For `Starlette(exception_handlers=...)`.
HANDLERS: dict[type[Exception] | int, ErrorHandler] = {
    Refusal: refusal,
    HTTPException: http_error,
    AccessDenied: known,
    Gone: known,
    PushError: known,
    Exception: crash,
}
