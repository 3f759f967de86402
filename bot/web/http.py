"""Request helpers every view uses: who is asking, refusing, answering with a page.

Views raise `Refusal` instead of building error responses themselves, so every
refusal renders the same error page (see `errors.py`) with the right status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.services.reports import Cell
from bot.web.auth import SESSION_COOKIE, Viewer, load_viewer
from bot.web.context import Web


class Refusal(Exception):
    """Stop handling a request with an error page: HTTP status and a web.* text key."""

    def __init__(self, status: int, key: str, **values: object) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.values = values


def web_of(request: Request) -> Web:
    """The app's shared state; typed here once instead of in every handler."""
    web: Web = request.app.state.web
    return web


async def viewer_of(request: Request, required: bool = True) -> Viewer | None:
    """The logged-in viewer; with `required`, refuse anyone without a dashboard role."""
    web = web_of(request)
    viewer = await load_viewer(
        web.app.logins, web.signer, request.cookies.get(SESSION_COOKIE), web.app.clock.now()
    )
    if viewer is None and required:
        raise Refusal(401, "web.error.login_needed")
    if viewer is not None and required and not viewer.has_dashboard:
        raise Refusal(403, "web.error.no_role")
    return viewer


async def require(request: Request) -> Viewer:
    """The viewer of a page that needs a login and a dashboard role."""
    viewer = await viewer_of(request)
    assert viewer is not None
    return viewer


def page(
    request: Request,
    template: str,
    viewer: Viewer | None,
    status: int = 200,
    locale: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a template with what every page uses: texts, viewer, CSRF token, locale."""
    web = web_of(request)
    loc = web.locale(locale or (viewer.locale if viewer else None))

    def t(key: str, **values: object) -> str:
        return web.text(loc, key, **values)

    html = web.templates.get_template(template).render(
        t=t,
        n=cell_text(web, loc),
        viewer=viewer,
        csrf=web.csrf(viewer) if viewer else "",
        locale=loc,
        request=request,
        done=request.query_params.get("done", ""),
        **context,
    )
    return HTMLResponse(html, status_code=status)


def cell_text(web: Web, locale: str) -> Callable[[Cell], str]:
    """How a figure reads on a page and in its charts: "verborgen" (in the page's
    language) for a cell hidden to protect another, "< 5" for a small one, and the
    language's decimal separator ("4,4" in Dutch), as the CSV export writes it."""
    protected = web.text(locale, "web.cell.protected")
    decimal = web.text(locale, "web.number.decimal")

    def show(cell: Cell) -> str:
        return cell.text(protected, decimal)

    return show


def redirect(path: str, **query: str) -> RedirectResponse:
    """See-other after a POST, so reloading the page does not post again."""
    suffix = ("?" + urlencode(query)) if query else ""
    return RedirectResponse(path + suffix, status_code=303)


def int_param(request: Request, name: str) -> int | None:
    """An optional integer query parameter; anything else is a bad request, not a 500."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise Refusal(400, "web.error.bad_request") from None


def set_session(web: Web, response: Response, payload: dict[str, Any]) -> None:
    """Store a signed session that the browser forgets when the session expires."""
    max_age = int(payload["e"] - web.app.clock.now().timestamp())
    response.set_cookie(
        SESSION_COOKIE,
        web.signer.sign("session", payload),
        max_age=max(max_age, 0),
        path="/",
        httponly=True,
        samesite="lax",
        secure=web.secure,
    )
