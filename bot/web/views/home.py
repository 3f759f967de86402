"""The pages anyone may open: the landing or home page, and the health check."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.dialogues.model import Part
from bot.web.http import Refusal, page, viewer_of, web_of


async def healthz(request: Request) -> Response:
    """200 when the database answers, 503 when it does not (for load balancers)."""
    if not await web_of(request).app.healthy():
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


async def home(request: Request) -> Response:
    """The landing page for strangers; the viewer's groups for a logged-in one."""
    viewer = await viewer_of(request, required=False)
    if viewer is None:
        return page(request, "landing.html", None)
    if not viewer.has_dashboard:
        raise Refusal(403, "web.error.no_role")
    web = web_of(request)
    titles = {p.value: web.text(web.locale(viewer.locale), f"bot.part.{p.value}") for p in Part}
    return page(request, "home.html", viewer, parts=titles)
