"""The dashboard's ASGI app: routes, access checks, pages.

Every route decides on the server who may see what, on every request:

- the session cookie is verified (signature, lifetime, its login row still
  there), and the viewer's memberships are read afresh;
- trainer routes go through Review and Pushes, whose queries carry the access
  rule (a trainer of that group), so a guessed id in a URL yields 403 or 404,
  never data;
- coordinator routes go through `Aggregates`, which only ever returns
  suppressed figures over the coordinator's own groups and never free text;
- every POST is wrapped by `_form`, which refuses a missing or wrong CSRF token
  before the handler runs, and `create_web` checks at start-up that no POST
  route escaped that wrapper.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.clock import AMSTERDAM
from bot.dialogues.content import fill
from bot.dialogues.diagram import graph, mermaid
from bot.dialogues.model import Part
from bot.engine.engine import UnknownDialogue
from bot.services.app import App
from bot.services.audit import EXPORT, REVEAL_NAMES, Audit
from bot.services.exports import Pseudonymiser, pseudonymiser, to_csv, to_xlsx
from bot.services.groups import MemberInfo
from bot.services.logins import LoginRefused
from bot.services.pushes import PushError, parse_when
from bot.services.reports import Aggregates, FreeTextRefused, UnknownQuestion
from bot.services.reports import Scope as AggScope
from bot.services.reports import export_rows as aggregate_rows
from bot.services.review import FEEDBACK_MAX, AccessDenied, AnswerView, Gone
from bot.web import charts, flowchart, preview
from bot.web.auth import LOGIN_COOKIE, SESSION_COOKIE, Signer, Viewer, load_viewer, session_payload

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
NOTE_MAX = 500
#: Input kinds named in the dialogue diagram ("end" for an end state).
FLOW_KINDS = ("choice", "multi", "scale", "text", "yesno", "continue", "end")
#: Forms are small; a larger body is refused before it is parsed.
MAX_FORM_BYTES = 64 * 1024
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


class Refusal(Exception):
    """Stop handling a request with an error page: HTTP status and a web.* text key."""

    def __init__(self, status: int, key: str, **values: object) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.values = values


@dataclass
class Web:
    """What every handler needs, built once in `create_web`."""

    app: App
    signer: Signer
    pseudonym: Pseudonymiser
    aggregates: Aggregates
    audit: Audit
    templates: Environment
    secure: bool

    @property
    def catalog(self) -> Any:
        return self.app.engine.catalog

    def locale(self, wanted: str | None) -> str:
        return wanted if wanted in self.catalog.locales else self.app.settings.locale

    def text(self, locale: str, key: str, **values: object) -> str:
        return fill(self.catalog.text(locale, key), {k: str(v) for k, v in values.items()})

    def title(self, dialogue_id: str, locale: str) -> str:
        compiled = self.app.engine.dialogues.get(dialogue_id)
        return self.text(locale, compiled.spec.title) if compiled else dialogue_id

    def question(self, dialogue_id: str, state: str, locale: str) -> str:
        """The question a state asked (its last text), for answer tables."""
        compiled = self.app.engine.dialogues.get(dialogue_id)
        spec = compiled.spec.states.get(state) if compiled else None
        if spec is None or not spec.says:
            return state
        return self.text(locale, spec.says[-1])

    def csrf(self, viewer: Viewer) -> str:
        return self.signer.mac("csrf", viewer.nonce)


# -- building the app ----------------------------------------------------------------------


async def create_web(app: App) -> Starlette:
    """The Starlette app over a built App (bootstrap.build already validated dialogues)."""
    web = Web(
        app,
        Signer(await app.logins.secret_key()),
        await pseudonymiser(app.db),
        app.reports,
        app.audit,
        _templates(),
        app.settings.web_base_url.startswith("https://"),
    )
    routes: list[BaseRoute] = [
        Route("/", home),
        Route("/healthz", healthz),
        Route("/login/{token}", login_page),
        Route("/login/{token}", _login_post, methods=["POST"]),
        Route("/logout", _form(logout), methods=["POST"]),
        Route("/logged-out", logged_out),
        Route("/groups/{group:int}", group_page),
        Route("/groups/{group:int}/reveal", _form(reveal), methods=["POST"]),
        Route("/groups/{group:int}/pushes", _form(create_push), methods=["POST"]),
        Route("/groups/{group:int}/pushes/{push:int}", push_page),
        Route("/groups/{group:int}/pushes/{push:int}/cancel", _form(cancel_push), methods=["POST"]),
        Route("/groups/{group:int}/members/{person:int}", member_page),
        Route("/groups/{group:int}/exercises/{dialogue}", exercise_answers_page),
        Route(
            "/groups/{group:int}/answers/{answer:int}/feedback",
            _form(feedback),
            methods=["POST"],
        ),
        Route("/groups/{group:int}/export.{fmt}", group_export),
        Route("/orgs/{org:int}", org_page),
        Route("/orgs/{org:int}/data.json", org_data),
        Route("/orgs/{org:int}/export.{fmt}", org_export),
        Route("/orgs/{org:int}/audit", audit_page),
        Route("/orgs/{org:int}/exercises/{dialogue}", org_exercise_page),
        Route("/orgs/{org:int}/exercises/{dialogue}/data.json", org_exercise_data),
        Route("/orgs/{org:int}/exercises/{dialogue}/questions/{key}", org_question_page),
        Route("/preview", preview_index),
        Route("/preview/{dialogue}", preview_page),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    _check_forms(routes)
    starlette = Starlette(
        routes=routes,
        exception_handlers={
            Refusal: _refusal,
            HTTPException: _http_error,
            AccessDenied: _known,
            Gone: _known,
            PushError: _known,
            Exception: _crash,
        },
    )
    starlette.state.web = web
    starlette.add_middleware(SecurityHeaders)
    return starlette


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = _local_time
    return env


def _local_time(moment: datetime | None) -> str:
    return moment.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M") if moment else ""


def _check_forms(routes: list[BaseRoute]) -> None:
    """Refuse to start if a POST route is not CSRF-protected (a guard for later edits)."""
    for route in routes:
        if not isinstance(route, Route) or "POST" not in (route.methods or set()):
            continue
        if not getattr(route.endpoint, "csrf_checked", False):
            raise RuntimeError(f"POST route {route.path} is not CSRF-protected")


class SecurityHeaders:
    """Adds the security headers to every response, and no-store to dynamic ones."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                if not static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, sending)


# -- helpers -------------------------------------------------------------------------------


def _web(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


async def _viewer(request: Request, required: bool = True) -> Viewer | None:
    web = _web(request)
    viewer = await load_viewer(
        web.app.logins, web.signer, request.cookies.get(SESSION_COOKIE), web.app.clock.now()
    )
    if viewer is None and required:
        raise Refusal(401, "web.error.login_needed")
    if viewer is not None and required and not viewer.has_dashboard:
        raise Refusal(403, "web.error.no_role")
    return viewer


async def _require(request: Request) -> Viewer:
    viewer = await _viewer(request)
    assert viewer is not None
    return viewer


def _page(
    request: Request,
    template: str,
    viewer: Viewer | None,
    status: int = 200,
    locale: str | None = None,
    **context: Any,
) -> HTMLResponse:
    web = _web(request)
    loc = web.locale(locale or (viewer.locale if viewer else None))

    def t(key: str, **values: object) -> str:
        return web.text(loc, key, **values)

    html = web.templates.get_template(template).render(
        t=t,
        viewer=viewer,
        csrf=web.csrf(viewer) if viewer else "",
        locale=loc,
        request=request,
        done=request.query_params.get("done", ""),
        **context,
    )
    return HTMLResponse(html, status_code=status)


Handler = Callable[[Request, Viewer, FormData], Awaitable[Response]]


def _form(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A POST handler that runs only for a logged-in viewer with a valid CSRF token."""

    async def endpoint(request: Request) -> Response:
        viewer = await _require(request)
        form = await _read_form(request, max_fields=20)
        given = form.get("csrf")
        if not isinstance(given, str) or not _web(request).signer.check(
            "csrf", viewer.nonce, given
        ):
            raise Refusal(403, "web.error.csrf")
        return await handler(request, viewer, form)

    endpoint.csrf_checked = True  # type: ignore[attr-defined]
    endpoint.__name__ = handler.__name__
    return endpoint


async def _read_form(request: Request, max_fields: int) -> FormData:
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


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise Refusal(400, "web.error.bad_request") from None


def _trainer_place(viewer: Viewer, group_id: int) -> Any:
    place = viewer.place(group_id)
    if place is None or not viewer.trains(group_id):
        raise Refusal(403, "web.error.forbidden")
    return place


def _name(web: Web, viewer: Viewer, group_id: int, person_id: int, first_name: str) -> str:
    """Pseudonyms unless the trainer revealed names for this group in this session."""
    if person_id == viewer.person_id:
        return first_name or web.pseudonym(person_id)
    if group_id in viewer.revealed and first_name:
        return first_name
    return web.pseudonym(person_id)


def _redirect(path: str, **query: str) -> RedirectResponse:
    suffix = ("?" + urlencode(query)) if query else ""
    return RedirectResponse(path + suffix, status_code=303)


def _set_session(web: Web, response: Response, payload: dict[str, Any]) -> None:
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


# -- public pages --------------------------------------------------------------------------


async def healthz(request: Request) -> Response:
    """200 when the database answers, 503 when it does not (for load balancers)."""
    if not await _web(request).app.healthy():
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


async def home(request: Request) -> Response:
    viewer = await _viewer(request, required=False)
    if viewer is None:
        return _page(request, "landing.html", None)
    if not viewer.has_dashboard:
        raise Refusal(403, "web.error.no_role")
    web = _web(request)
    titles = {p.value: web.text(web.locale(viewer.locale), f"bot.part.{p.value}") for p in Part}
    return _page(request, "home.html", viewer, parts=titles)


async def login_page(request: Request) -> Response:
    """Show a button instead of logging in on GET: link previews and mail scanners
    open URLs too, and must not burn a single-use link."""
    web = _web(request)
    token = request.path_params["token"]
    try:
        await web.app.logins.check(token)
    except LoginRefused as exc:
        raise Refusal(403, f"web.login.{exc.problem}") from None
    nonce = secrets.token_urlsafe(24)
    response = _page(
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


async def _login_post(request: Request) -> Response:
    web = _web(request)
    form = await _read_form(request, max_fields=5)
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    given = form.get("csrf")
    if not nonce or not isinstance(given, str) or not web.signer.check("login", nonce, given):
        raise Refusal(403, "web.error.csrf")
    try:
        person_id, login_id = await web.app.logins.consume(request.path_params["token"])
    except LoginRefused as exc:
        raise Refusal(403, f"web.login.{exc.problem}") from None
    expires = int(web.app.clock.now().timestamp() + web.app.settings.web_session_hours * 3600)
    response = _redirect("/")
    _set_session(web, response, session_payload(person_id, login_id, expires))
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    log.info("dashboard login for person %d", person_id)
    return response


_login_post.csrf_checked = True  # type: ignore[attr-defined]


async def logout(request: Request, viewer: Viewer, form: FormData) -> Response:
    await _web(request).app.logins.end(viewer.login_id)
    response = _redirect("/logged-out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def logged_out(request: Request) -> Response:
    return _page(request, "logged_out.html", None)


# -- trainer pages --------------------------------------------------------------------------


async def group_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    web = _web(request)
    viewer = await _require(request)
    group_id = request.path_params["group"]
    place = _trainer_place(viewer, group_id)
    loc = web.locale(viewer.locale)
    members = await web.app.groups.members(viewer.person_id, group_id)
    pushes = await web.app.pushes.list(viewer.person_id, group_id)
    names = {m.person_id: _name(web, viewer, group_id, m.person_id, m.first_name) for m in members}
    dialogues = sorted(
        (
            (list(Part).index(c.spec.part), web.text(loc, c.spec.title), did)
            for did, c in web.app.engine.dialogues.items()
        ),
    )
    return _page(
        request,
        "group.html",
        viewer,
        status=status,
        place=place,
        members=members,
        names=names,
        pushes=pushes,
        dialogues=[(did, title) for _, title, did in dialogues],
        titles={p.dialogue_id: web.title(p.dialogue_id, loc) for p in pushes},
        revealed=group_id in viewer.revealed,
        error=error,
        form=request.query_params,
    )


async def reveal(request: Request, viewer: Viewer, form: FormData) -> Response:
    """Show real first names for one group for the rest of the session (audited)."""
    web = _web(request)
    group_id = request.path_params["group"]
    place = _trainer_place(viewer, group_id)
    show = form.get("show") == "1"
    revealed = set(viewer.revealed)
    if show:
        revealed.add(group_id)
        await web.audit.record(viewer.person_id, REVEAL_NAMES, place.organisation_id, group_id)
    else:
        revealed.discard(group_id)
    response = _redirect(f"/groups/{group_id}")
    payload = session_payload(
        viewer.person_id, viewer.login_id, viewer.expires, frozenset(revealed), viewer.nonce
    )
    _set_session(web, response, payload)
    return response


async def create_push(request: Request, viewer: Viewer, form: FormData) -> Response:
    web = _web(request)
    group_id = request.path_params["group"]
    _trainer_place(viewer, group_id)
    dialogue_id = str(form.get("dialogue", ""))
    when_text = str(form.get("when", "")).strip()
    note = str(form.get("note", "")).strip()
    if dialogue_id not in web.app.engine.dialogues:
        return await group_page(request, "web.push.error.dialogue", 400)
    if len(note) > NOTE_MAX:
        return await group_page(request, "web.push.error.note", 400)
    now = web.app.clock.now()
    when: datetime | None = None
    if when_text.lower() not in ("", "nu", "now"):
        when = parse_when(when_text.replace("T", " "), now)
        if when is None:
            return await group_page(request, "web.push.error.unparseable", 400)
    try:
        await web.app.pushes.create(
            viewer.person_id,
            group_id,
            dialogue_id,
            when,
            note=note or None,
            override_quiet=form.get("override_quiet") == "1",
            show_group=form.get("show_group") == "1",
        )
    except PushError as exc:
        if exc.code == "not_trainer":
            raise Refusal(403, "web.error.forbidden") from None
        return await group_page(request, f"web.push.error.{exc.code}", 400)
    return _redirect(f"/groups/{group_id}", done="push_created")


async def cancel_push(request: Request, viewer: Viewer, form: FormData) -> Response:
    web = _web(request)
    group_id, push_id = request.path_params["group"], request.path_params["push"]
    _trainer_place(viewer, group_id)
    summary, _ = await _push(web, viewer, group_id, push_id)
    try:
        await web.app.pushes.cancel(viewer.person_id, summary.id)
    except PushError as exc:
        if exc.code == "not_cancellable":
            raise Refusal(400, "web.push.error.not_cancellable") from None
        raise Refusal(403, "web.error.forbidden") from None
    return _redirect(f"/groups/{group_id}", done="push_cancelled")


async def _push(web: Web, viewer: Viewer, group_id: int, push_id: int) -> Any:
    try:
        summary, members = await web.app.pushes.progress(viewer.person_id, push_id)
    except PushError as exc:
        if exc.code == "not_found":
            raise Refusal(404, "web.error.not_found") from None
        raise Refusal(403, "web.error.forbidden") from None
    if summary.group_id != group_id:
        raise Refusal(404, "web.error.not_found")
    return summary, members


async def push_page(request: Request) -> Response:
    web = _web(request)
    viewer = await _require(request)
    group_id, push_id = request.path_params["group"], request.path_params["push"]
    place = _trainer_place(viewer, group_id)
    loc = web.locale(viewer.locale)
    summary, progress = await _push(web, viewer, group_id, push_id)
    answers = await web.app.review.push_answers(viewer.person_id, push_id, loc)
    first_names = {m.person_id: m.first_name for m in progress}
    members = await web.app.groups.members(viewer.person_id, group_id)
    first_names.update({m.person_id: m.first_name for m in members})
    names = {
        pid: _name(web, viewer, group_id, pid, first_names.get(pid, ""))
        for pid in {*first_names, *answers}
    }
    choices = []
    if summary.dialogue_id in web.app.engine.dialogues:
        opened = [p.person_id for p in progress if p.status in ("started", "finished")]
        found = web.aggregates.group_choices(summary.dialogue_id, opened, answers, loc)
        choices = [
            (
                d,
                charts.bar_chart(
                    d.question or d.key, [(r.label, r.cells[0]) for r in d.options.rows]
                ),
            )
            for d in found
        ]
    return _page(
        request,
        "push.html",
        viewer,
        place=place,
        push=summary,
        title=web.title(summary.dialogue_id, loc),
        progress=progress,
        choices=choices,
        answers=answers,
        names=names,
        question=lambda a: web.question(a.dialogue_id, a.state, loc),
        back=request.url.path,
        feedback_max=FEEDBACK_MAX,
    )


async def member_page(request: Request) -> Response:
    web = _web(request)
    viewer = await _require(request)
    group_id, person_id = request.path_params["group"], request.path_params["person"]
    place = _trainer_place(viewer, group_id)
    loc = web.locale(viewer.locale)
    members = await web.app.groups.members(viewer.person_id, group_id)
    member = next((m for m in members if m.person_id == person_id), None)
    if member is None:
        raise Refusal(404, "web.error.not_found")
    runs = await web.app.review.runs_of(viewer.person_id, person_id, locale=loc)
    return _page(
        request,
        "member.html",
        viewer,
        place=place,
        member=member,
        name=_name(web, viewer, group_id, person_id, member.first_name),
        runs=runs,
        question=lambda a: web.question(a.dialogue_id, a.state, loc),
        back=request.url.path,
        feedback_max=FEEDBACK_MAX,
    )


async def _group_answers(
    web: Web, viewer: Viewer, group_id: int, dialogue_id: str | None, locale: str
) -> list[tuple[MemberInfo, Any, AnswerView]]:
    """(member, run, answer) for every answer of the group's members the trainer may read."""
    members = await web.app.groups.members(viewer.person_id, group_id)
    found = []
    for member in members:
        runs = await web.app.review.runs_of(viewer.person_id, member.person_id, dialogue_id, locale)
        for run in runs:
            for answer in run.answers:
                found.append((member, run, answer))
    return found


async def exercise_answers_page(request: Request) -> Response:
    web = _web(request)
    viewer = await _require(request)
    group_id, dialogue_id = request.path_params["group"], request.path_params["dialogue"]
    place = _trainer_place(viewer, group_id)
    if dialogue_id not in web.app.engine.dialogues:
        raise Refusal(404, "web.error.unknown_dialogue")
    loc = web.locale(viewer.locale)
    rows = await _group_answers(web, viewer, group_id, dialogue_id, loc)
    names = {
        m.person_id: _name(web, viewer, group_id, m.person_id, m.first_name) for m, _, _ in rows
    }
    return _page(
        request,
        "exercise_answers.html",
        viewer,
        place=place,
        dialogue_id=dialogue_id,
        title=web.title(dialogue_id, loc),
        rows=rows,
        names=names,
        question=lambda a: web.question(a.dialogue_id, a.state, loc),
        back=request.url.path,
        feedback_max=FEEDBACK_MAX,
    )


async def feedback(request: Request, viewer: Viewer, form: FormData) -> Response:
    """Store feedback; the bot delivers it (Feedback.delivered_at stays empty until then)."""
    web = _web(request)
    group_id, answer_id = request.path_params["group"], request.path_params["answer"]
    _trainer_place(viewer, group_id)
    text = str(form.get("text", ""))
    try:
        await web.app.review.add_feedback(viewer.person_id, answer_id, text)
    except ValueError:
        raise Refusal(400, "web.feedback.invalid", max=FEEDBACK_MAX) from None
    except Gone:
        raise Refusal(404, "web.error.not_found") from None
    back = str(form.get("next", ""))
    if not back.startswith(f"/groups/{group_id}/") or "//" in back or "\\" in back:
        back = f"/groups/{group_id}"
    return _redirect(back, done="feedback")


async def group_export(request: Request) -> Response:
    web = _web(request)
    viewer = await _require(request)
    group_id, fmt = request.path_params["group"], request.path_params["fmt"]
    place = _trainer_place(viewer, group_id)
    if fmt not in ("csv", "xlsx"):
        raise Refusal(404, "web.error.not_found")
    loc = web.locale(viewer.locale)
    found = await _group_answers(web, viewer, group_id, None, loc)
    rows: list[list[object]] = [
        [
            "person",
            "role",
            "dialogue_id",
            "title",
            "run_id",
            "run_status",
            "state",
            "key",
            "kind",
            "answer",
            "answered_at",
        ]
    ]
    for member, run, answer in found:
        rows.append(
            [
                _name(web, viewer, group_id, member.person_id, member.first_name),
                member.role,
                answer.dialogue_id,
                run.title,
                run.run_id,
                run.status,
                answer.state,
                answer.key,
                answer.kind,
                answer.shown,
                answer.answered_at,
            ]
        )
    revealed = group_id in viewer.revealed
    await web.audit.record(
        viewer.person_id,
        EXPORT,
        place.organisation_id,
        group_id,
        detail=f"answers {fmt}" + (" (names)" if revealed else ""),
    )
    return _download(rows, fmt, f"straatwijs-{place.group}-answers", "answers")


def _download(rows: list[list[object]], fmt: str, stem: str, sheet: str) -> Response:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)[:80]
    if fmt == "csv":
        body, media = to_csv(rows), "text/csv; charset=utf-8"
    else:
        body = to_xlsx(rows, sheet)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{safe}.{fmt}"'},
    )


# -- coordinator pages ----------------------------------------------------------------------


async def _scope(request: Request, viewer: Viewer) -> AggScope:
    web = _web(request)
    try:
        return await web.aggregates.scope(
            viewer.person_id, request.path_params["org"], _int_param(request, "group")
        )
    except AccessDenied:
        raise Refusal(403, "web.error.forbidden") from None


async def _overview(request: Request, viewer: Viewer) -> Any:
    web = _web(request)
    scope = await _scope(request, viewer)
    overview = await web.aggregates.overview(scope, web.locale(viewer.locale))
    return scope, overview


async def org_page(request: Request) -> Response:
    web = _web(request)
    viewer = await _require(request)
    loc = web.locale(viewer.locale)
    scope, overview = await _overview(request, viewer)
    t = lambda key: web.text(loc, key)  # noqa: E731
    exercises = [(r.label, r.cells[1]) for r in overview.exercises.rows]
    chart_exercises = charts.bar_chart(t("web.org.chart_finished"), exercises)
    chart_parts = charts.bar_chart(
        t("web.org.chart_parts"), [(r.label, r.cells[1]) for r in overview.parts.rows]
    )
    chart_confidence = _confidence_chart(t, "web.org.chart_confidence", overview.confidence.rows)
    return _page(
        request,
        "org.html",
        viewer,
        scope=scope,
        overview=overview,
        chart_exercises=chart_exercises,
        chart_parts=chart_parts,
        chart_confidence=chart_confidence,
        query=_scope_query(scope),
    )


def _confidence_chart(t: Callable[[str], str], title: str, rows: Sequence[Any]) -> str:
    """Confidence before vs after (1-5) from rows whose cells 1 and 2 hold the two."""
    return charts.paired_chart(
        t(title),
        [(r.label, r.cells[1], r.cells[2]) for r in rows],
        (t("web.agg.before"), t("web.agg.after")),
        5,
    )


def _scope_query(scope: AggScope) -> str:
    return f"?group={scope.group_id}" if scope.group_id is not None else ""


async def _audit_export(web: Web, viewer: Viewer, scope: AggScope, detail: str) -> None:
    """Aggregate exports leave the dashboard, so they are logged; page views are not
    (they show no answers, and would bury the answer views in the log)."""
    await web.audit.record(
        viewer.person_id, EXPORT, scope.organisation_id, scope.group_id, detail=detail
    )


async def org_data(request: Request) -> Response:
    viewer = await _require(request)
    _, overview = await _overview(request, viewer)
    return JSONResponse(overview.json())


async def _stats(request: Request, viewer: Viewer) -> Any:
    web = _web(request)
    scope = await _scope(request, viewer)
    dialogue_id = request.path_params["dialogue"]
    try:
        stats = await web.aggregates.exercise(scope, dialogue_id, web.locale(viewer.locale))
    except UnknownDialogue:
        raise Refusal(404, "web.error.unknown_dialogue") from None
    return scope, stats


async def org_exercise_page(request: Request) -> Response:
    web = _web(request)
    viewer = await _require(request)
    loc = web.locale(viewer.locale)
    scope, stats = await _stats(request, viewer)
    t = lambda key: web.text(loc, key)  # noqa: E731
    funnel = charts.bar_chart(
        t("web.exercise.funnel"), [(r.label, r.cells[0]) for r in stats.funnel.rows]
    )
    drops = charts.bar_chart(
        t("web.exercise.drops"),
        [
            (_drop_label(web, loc, r.label, r.since), r.cells[1])
            for r in stats.funnel.rows
            if r.cells[1].applicable
        ],
    )
    distribution_charts = [
        charts.bar_chart(d.question or d.key, [(r.label, r.cells[0]) for r in d.options.rows])
        for d in stats.distributions
    ]
    over_time = None
    if stats.over_time is not None and stats.over_time.rows:
        over_time = _confidence_chart(t, "web.exercise.over_time", stats.over_time.rows)
    return _page(
        request,
        "org_exercise.html",
        viewer,
        scope=scope,
        stats=stats,
        funnel=funnel,
        drops=drops,
        distributions=list(zip(stats.distributions, distribution_charts, strict=True)),
        over_time=over_time,
        query=_scope_query(scope),
    )


def _drop_label(web: Web, locale: str, label: str, since: str | None) -> str:
    """A funnel step, naming the step a drop-off is counted from when that is not the
    one just above (the steps in between are hidden)."""
    return f"{label} ({web.text(locale, 'web.agg.since', step=since)})" if since else label


async def _question(request: Request, viewer: Viewer, key: str) -> Any:
    web = _web(request)
    scope = await _scope(request, viewer)
    try:
        found = await web.aggregates.question(
            scope, request.path_params["dialogue"], key, web.locale(viewer.locale)
        )
    except UnknownDialogue:
        raise Refusal(404, "web.error.unknown_dialogue") from None
    except FreeTextRefused:
        raise Refusal(403, "web.error.free_text") from None
    except UnknownQuestion:
        raise Refusal(404, "web.error.not_found") from None
    return scope, found


async def org_question_page(request: Request) -> Response:
    web = _web(request)
    viewer = await _require(request)
    scope, found = await _question(request, viewer, request.path_params["key"])
    chart = charts.bar_chart(
        found.question or found.key, [(r.label, r.cells[0]) for r in found.options.rows]
    )
    return _page(
        request,
        "org_question.html",
        viewer,
        scope=scope,
        dialogue_id=request.path_params["dialogue"],
        title=web.title(request.path_params["dialogue"], web.locale(viewer.locale)),
        found=found,
        chart=chart,
        query=_scope_query(scope),
    )


async def org_exercise_data(request: Request) -> Response:
    viewer = await _require(request)
    key = request.query_params.get("key")
    if key:
        _, found = await _question(request, viewer, key)
        return JSONResponse(found.json())
    _, stats = await _stats(request, viewer)
    return JSONResponse(stats.json())


async def org_export(request: Request) -> Response:
    """The aggregates the page shows, as CSV or Excel; suppressed cells read "< 5"."""
    web = _web(request)
    viewer = await _require(request)
    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "xlsx"):
        raise Refusal(404, "web.error.not_found")
    dialogue_id = request.query_params.get("dialogue")
    key = request.query_params.get("key")
    if key and not dialogue_id:
        raise Refusal(400, "web.error.bad_request")
    if dialogue_id and key:
        request.path_params["dialogue"] = dialogue_id
        scope, found = await _question(request, viewer, key)
        tables = [found.options]
        what = f"question {dialogue_id}.{key}"
    elif dialogue_id:
        request.path_params["dialogue"] = dialogue_id
        scope, stats = await _stats(request, viewer)
        tables = list(stats.tables)
        what = f"exercise {dialogue_id}"
    else:
        scope, overview = await _overview(request, viewer)
        tables = list(overview.tables)
        what = "overview"
    await _audit_export(web, viewer, scope, f"aggregates {what} {fmt}")
    stem = f"straatwijs-{scope.label}-{dialogue_id or 'overview'}"
    return _download(aggregate_rows(scope, tables), fmt, stem, "aggregates")


async def audit_page(request: Request) -> Response:
    """The organisation's audit log, limited to the groups this coordinator is in.

    People an entry is about appear by pseudonym: the log must not itself turn
    into a list of who wrote something worth a look."""
    web = _web(request)
    viewer = await _require(request)
    scope = await _scope(request, viewer)
    entries = await web.audit.entries(viewer.person_id, scope.organisation_id, limit=500)
    mine = {gid for gid, _ in scope.groups}
    lines = [
        (entry, web.pseudonym(entry.subject_id) if entry.subject_id is not None else "")
        for entry in entries
        if entry.group_id is None or entry.group_id in mine
    ]
    return _page(request, "audit.html", viewer, scope=scope, lines=lines)


# -- dialogue preview -----------------------------------------------------------------------


def _preview_viewer(viewer: Viewer) -> None:
    """Authors and trainers choose exercises here; a coordinator may look too."""
    if not viewer.has_dashboard:
        raise Refusal(403, "web.error.no_role")


async def preview_index(request: Request) -> Response:
    web = _web(request)
    viewer = await _require(request)
    _preview_viewer(viewer)
    loc = web.locale(request.query_params.get("locale") or viewer.locale)
    parts: dict[str, list[tuple[str, str, int]]] = {}
    for did, compiled in sorted(web.app.engine.dialogues.items()):
        spec = compiled.spec
        parts.setdefault(spec.part.value, []).append((did, web.text(loc, spec.title), spec.minutes))
    ordered = [
        (web.text(loc, f"bot.part.{p.value}"), sorted(parts[p.value], key=lambda d: d[1]))
        for p in Part
        if p.value in parts
    ]
    return _page(request, "preview_index.html", viewer, locale=loc, parts=ordered)


async def preview_page(request: Request) -> Response:
    web = _web(request)
    viewer = await _require(request)
    _preview_viewer(viewer)
    dialogue_id = request.path_params["dialogue"]
    compiled = web.app.engine.dialogues.get(dialogue_id)
    if compiled is None:
        raise Refusal(404, "web.error.unknown_dialogue")
    wanted = request.query_params.get("locale") or viewer.locale
    if wanted not in web.catalog.locales:
        raise Refusal(400, "web.error.bad_request")
    try:
        tokens = preview.decode(request.query_params.get("p"))
    except preview.BadPath:
        raise Refusal(400, "web.error.bad_request") from None
    said = request.query_params.get("say")
    if said is not None:
        path = preview.encode([*tokens, preview.say_token(said)])
        return _redirect(f"/preview/{dialogue_id}", locale=wanted, p=path)
    screen = preview.play(web.app.engine, dialogue_id, wanted, tokens, viewer.first_name)

    def link(path: str, locale: str = wanted) -> str:
        query = {"locale": locale, **({"p": path} if path else {})}
        return f"/preview/{dialogue_id}?{urlencode(query)}"

    title = web.text(wanted, compiled.spec.title)
    flow = graph(compiled.spec)
    kinds = {kind: web.text(wanted, f"web.preview.kind.{kind}") for kind in FLOW_KINDS}
    svg = flowchart.render(
        flow,
        "flow",
        web.text(wanted, "web.preview.diagram_title", title=title),
        web.text(
            wanted,
            "web.preview.diagram_desc",
            states=len(flow.nodes),
            transitions=len(flowchart.arrows(flow)),
            start=compiled.spec.start,
        ),
        kinds,
        current=screen.state,
        described_by="flow-list",
    )
    return _page(
        request,
        "preview.html",
        viewer,
        locale=wanted,
        dialogue_id=dialogue_id,
        title=title,
        spec=compiled.spec,
        screen=screen,
        link=link,
        locales=sorted(web.catalog.locales),
        diagram=mermaid(compiled.spec),
        flow=flow,
        arrows=flowchart.arrows(flow),
        flow_svg=svg,
    )


# -- errors ---------------------------------------------------------------------------------


async def _refusal(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refusal)
    return await _error_page(request, exc.status, exc.key, exc.values)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    key = {404: "web.error.not_found", 405: "web.error.bad_request"}.get(
        exc.status_code, "web.error.bad_request"
    )
    return await _error_page(request, exc.status_code, key, {})


async def _known(request: Request, exc: Exception) -> Response:
    """Access and existence errors from the services, as 403 and 404 pages."""
    if isinstance(exc, Gone) or (isinstance(exc, PushError) and exc.code == "not_found"):
        return await _error_page(request, 404, "web.error.not_found", {})
    return await _error_page(request, 403, "web.error.forbidden", {})


async def _crash(request: Request, exc: Exception) -> Response:
    """Anything else: a plain 500 page (Starlette re-raises it afterwards for the logs)."""
    log.error("dashboard error on %s: %s", request.url.path, type(exc).__name__)
    return await _error_page(request, 500, "web.error.crash", {})


async def _error_page(
    request: Request, status: int, key: str, values: Mapping[str, object]
) -> Response:
    try:
        viewer = await _viewer(request, required=False)
    except Exception:  # the error page must render even when the database is gone
        viewer = None
    return _page(request, "error.html", viewer, status=status, message_key=key, values=dict(values))
