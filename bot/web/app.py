"""The dashboard's ASGI app: the route table and what wraps it.

Who may see what is decided on the server, on every request, in the views
(`bot.web.views`) and the services they call. This module only wires them:
every POST route goes through `csrf_form` (or checks its own token, as the
login does), and `check_forms` refuses to start an app where one does not.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.services.app import App
from bot.web import errors
from bot.web.auth import Signer
from bot.web.context import HERE, Web, templates
from bot.web.forms import check_forms, csrf_checked, csrf_form
from bot.web.security import SecurityHeaders
from bot.web.views import audit, coordinator, exports, home, login, preview, pushes, trainer
from bot.web.views.contacts import contacts_page, save_contacts


async def create_web(app: App) -> Starlette:
    """The Starlette app over a built App (bootstrap.build already validated dialogues)."""
    web = Web(
        app,
        Signer(await app.logins.secret_key()),
        await app.pseudonymiser(),
        templates(),
        app.settings.web_base_url.startswith("https://"),
    )
    table = routes()
    check_forms(table)
    starlette = Starlette(routes=table, exception_handlers=errors.HANDLERS)
    starlette.state.web = web
    starlette.add_middleware(SecurityHeaders)
    return starlette


def routes() -> list[BaseRoute]:
    """Every URL of the dashboard, in one table."""
    return [
        Route("/", home.home),
        Route("/healthz", home.healthz),
        Route("/login/{token}", login.login_page),
        Route("/login/{token}", csrf_checked(login.login_post), methods=["POST"]),
        Route("/logout", csrf_form(login.logout), methods=["POST"]),
        Route("/logged-out", login.logged_out),
        # a trainer's groups
        Route("/groups/{group:int}", trainer.group_page),
        Route("/groups/{group:int}/reveal", csrf_form(trainer.reveal), methods=["POST"]),
        Route("/groups/{group:int}/pushes", csrf_form(pushes.create_push), methods=["POST"]),
        Route("/groups/{group:int}/pushes/{push:int}", pushes.push_page),
        Route(
            "/groups/{group:int}/pushes/{push:int}/cancel",
            csrf_form(pushes.cancel_push),
            methods=["POST"],
        ),
        Route("/groups/{group:int}/members/{person:int}", trainer.member_page),
        Route("/groups/{group:int}/exercises/{dialogue}", trainer.exercise_answers_page),
        Route(
            "/groups/{group:int}/answers/{answer:int}/feedback",
            csrf_form(trainer.feedback),
            methods=["POST"],
        ),
        Route("/groups/{group:int}/export.{fmt}", exports.group_export),
        Route("/groups/{group:int}/contacts", contacts_page),
        Route("/groups/{group:int}/contacts", csrf_form(save_contacts), methods=["POST"]),
        # a coordinator's organisations
        Route("/orgs/{org:int}", coordinator.org_page),
        Route("/orgs/{org:int}/data.json", coordinator.org_data),
        Route("/orgs/{org:int}/export.{fmt}", exports.org_export),
        Route("/orgs/{org:int}/audit", audit.audit_page),
        Route("/orgs/{org:int}/exercises/{dialogue}", coordinator.org_exercise_page),
        Route("/orgs/{org:int}/exercises/{dialogue}/data.json", coordinator.org_exercise_data),
        Route(
            "/orgs/{org:int}/exercises/{dialogue}/questions/{key}",
            coordinator.org_question_page,
        ),
        # anyone with a dashboard role
        Route("/preview", preview.preview_index),
        Route("/preview/{dialogue}", preview.preview_page),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
