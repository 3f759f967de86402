"""Logging in with a single-use link from the bot, and logging out.

The link is only spent by a POST from the page it opens (with a CSRF token tied
to a short-lived cookie), so a link preview or a mail scanner that opens the URL
cannot use it up.
"""

from __future__ import annotations

import logging
import secrets

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from bot.services.logins import LoginRefused
from bot.web.auth import LOGIN_COOKIE, SESSION_COOKIE, Viewer, session_payload
from bot.web.forms import read_form
from bot.web.http import Refusal, page, redirect, set_session, web_of

log = logging.getLogger(__name__)


async def login_page(request: Request) -> Response:
    """Show a button instead of logging in on GET: link previews and mail scanners
    open URLs too, and must not burn a single-use link."""
    web = web_of(request)
    token = request.path_params["token"]
    try:
        await web.app.logins.check(token)
    except LoginRefused as exc:
        raise Refusal(403, f"web.login.{exc.problem}") from None
    nonce = secrets.token_urlsafe(24)
    response = page(
        request, "login.html", None, csrf_login=web.signer.mac("login", nonce), token=token
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=web.app.settings.login_link_minutes * 60,
        path="/login",
        httponly=True,
        samesite="lax",
        secure=web.secure,
    )
    return response


async def login_post(request: Request) -> Response:
    """Spend the link and start a session. There is no session yet to key a CSRF
    token to, so the token is keyed to the login cookie the GET set."""
    web = web_of(request)
    form = await read_form(request, max_fields=5)
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    given = form.get("csrf")
    if not nonce or not isinstance(given, str) or not web.signer.check("login", nonce, given):
        raise Refusal(403, "web.error.csrf")
    try:
        person_id, login_id = await web.app.logins.consume(request.path_params["token"])
    except LoginRefused as exc:
        raise Refusal(403, f"web.login.{exc.problem}") from None
    expires = int(web.app.clock.now().timestamp() + web.app.settings.web_session_hours * 3600)
    response = redirect("/")
    set_session(web, response, session_payload(person_id, login_id, expires))
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    log.info("dashboard login for person %d", person_id)
    return response


async def logout(request: Request, viewer: Viewer, form: FormData) -> Response:
    """End the session in the database too, so a copied cookie stops working."""
    await web_of(request).app.logins.end(viewer.login_id)
    response = redirect("/logged-out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def logged_out(request: Request) -> Response:
    return page(request, "logged_out.html", None)
