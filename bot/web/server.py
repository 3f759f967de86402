"""`straatwijs web`: build the app (validating dialogues, migrating), serve it with uvicorn."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import uvicorn

from bot.services.app import App
from bot.settings import Settings
from bot.web.app import create_web

log = logging.getLogger(__name__)


def serve(settings: Settings, host: str, port: int, build_app: Callable[[], Awaitable[App]]) -> int:
    """Run the dashboard until interrupted.

    `build_app` (`bootstrap.build`) raises InvalidDialogues on any problem in the dialogues,
    so the dashboard refuses to start on them, like the bot. Uvicorn's access
    log stays off: request lines would carry login tokens from `/login/<token>`.
    """

    async def main() -> None:
        app = await build_app()
        try:
            web = await create_web(app)
            config = uvicorn.Config(
                web,
                host=host,
                port=port,
                access_log=False,
                server_header=False,
                proxy_headers=False,
                lifespan="off",
                ws="none",
                log_level=settings.log_level.lower(),
            )
            log.info("dashboard on http://%s:%d (public URL %s)", host, port, settings.web_base_url)
            await uvicorn.Server(config).serve()
        finally:
            await app.close()

    asyncio.run(main())
    return 0
