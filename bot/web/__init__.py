"""The dashboard: trainers review their groups, coordinators see aggregates.

A small server-rendered Starlette app over the same services as the bot (built
by `bot.bootstrap.build`). Nothing here is built at import time: `create_web(app)`
wires the ASGI app, `serve()` runs it with uvicorn.

Inside: `app` (the route table), `views/` (the pages, one module per group),
`http` and `forms` (request helpers, CSRF), `errors` (error pages), `security`
(headers), `auth` (sessions), `context` (what handlers share), and the drawing
helpers `charts`, `flowchart` and `replay` (the dialogue preview).
"""

from bot.web.app import create_web
from bot.web.server import serve

__all__ = ["create_web", "serve"]
