"""Running the bot: long polling, or a webhook served from an ASGI server.

Same handlers either way; only how updates arrive differs. A webhook update is
answered 200 only after it was handled (its effects committed), otherwise 500,
so Telegram retries it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import urlparse

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application, BaseRateLimiter

from bot.services.app import App
from bot.settings import Settings
from bot.telegram.channel import PTBApplication, TelegramChannel
from bot.telegram.dispatch import Dispatcher
from bot.telegram.errors import Failures, process_durably
from bot.telegram.exercises import ExerciseChat
from bot.telegram.joining import JoiningChat
from bot.telegram.limiter import ChatRateLimiter
from bot.telegram.menus import MenuChat
from bot.telegram.outcomes import Outcomes
from bot.telegram.progress_chat import ProgressChannel
from bot.telegram.rights_chat import RightsChannel
from bot.telegram.trainer import TrainerChannel

log = logging.getLogger(__name__)
#: Builds the services once the bot's event loop runs (`bootstrap.build`, bound to settings).
BuildApp = Callable[[], Awaitable[App]]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Handlers(Protocol):
    def register(self, application: PTBApplication) -> None: ...


def _ptb_setup() -> None:
    # PTB 22 reports time periods (retry_after) as timedelta when asked; we handle both.
    os.environ.setdefault("PTB_TIMEDELTA", "true")


def make_application(
    settings: Settings,
    request: Any = None,
    get_updates_request: Any = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
) -> PTBApplication:
    """A PTB Application for our settings (requests and limiter injectable for tests)."""
    _ptb_setup()
    assert settings.telegram_token is not None
    builder = Application.builder().token(settings.telegram_token.get_secret_value())
    if settings.telegram_api_url:
        base = settings.telegram_api_url.rstrip("/")
        builder = builder.base_url(base).base_file_url(base.removesuffix("/bot") + "/file/bot")
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    # Telegram's overall limit is per bot, not per process: workers share it (settings).
    rate = settings.telegram_rate
    limiter = rate_limiter or ChatRateLimiter(overall_rate=rate, overall_burst=max(1.0, rate))
    return builder.rate_limiter(limiter).concurrent_updates(True).build()


def attach(application: PTBApplication, app: App) -> TelegramChannel:
    """Register our handlers on a PTB application; returns the channel.

    Order matters: PTB hands an update to the first handler that matches. Every
    command and every family of buttons with a pattern comes first, then the
    catch-alls: unknown commands, typed text, any other message, any other button.
    """
    channel = TelegramChannel(app.coach, app.members, app.catalog, app.settings.locale)
    outcomes = Outcomes(channel)
    parts: tuple[Handlers, ...] = (
        TrainerChannel(channel, app, outcomes),
        ProgressChannel(channel, app.progress),
        RightsChannel(channel, app.rights, app.settings.retention_months),
        JoiningChat(channel),
        MenuChat(channel),
        ExerciseChat(channel, outcomes),
        channel,
        Failures(channel),
    )
    for part in parts:
        part.register(application)
    return channel


def dispatcher(application: PTBApplication, app: App) -> Dispatcher:
    """The push sender for this application's bot."""
    return Dispatcher(
        application.bot,
        app.pushes,
        app.catalog,
        review=app.review,
        upkeep=app.retention.purge,
        clock=app.clock,
    )


def run_bot(settings: Settings, build_app: BuildApp) -> int:
    """`straatwijs run` after the dialogues were checked and the database migrated:
    poll, or serve the webhook when STRAATWIJS_WEBHOOK_URL is set."""
    if settings.webhook_url:
        asyncio.run(serve_webhook(settings, build_app))
    else:
        run_polling(settings, build_app)
    return 0


def run_polling(settings: Settings, build_app: BuildApp) -> None:
    """Long polling until SIGINT/SIGTERM; pending updates sent while down are handled."""
    application = make_application(settings)
    holder: dict[str, Any] = {}

    async def post_init(application: PTBApplication) -> None:
        app = await build_app()
        holder["app"] = app
        channel = attach(application, app)
        await channel.publish_commands(application)
        holder["dispatcher"] = pusher = dispatcher(application, app)
        holder["sender"] = asyncio.create_task(pusher.run())
        log.info("polling as @%s", application.bot.username)

    async def post_shutdown(application: PTBApplication) -> None:
        sender = holder.get("sender")
        if sender is not None:
            await holder["dispatcher"].stop(sender)
        if "app" in holder:
            await holder["app"].close()

    application.post_init = post_init
    application.post_shutdown = post_shutdown
    application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)


def webhook_secret(settings: Settings) -> str:
    """The configured secret, or one derived from the token so requests are always checked."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    assert settings.telegram_token is not None
    return hashlib.sha256(
        b"straatwijs-webhook:" + settings.telegram_token.get_secret_value().encode()
    ).hexdigest()[:48]


def webhook_app(
    application: PTBApplication,
    secret: str,
    path: str,
    healthy: Callable[[], Awaitable[bool]] | None = None,
) -> Starlette:
    """The ASGI app Telegram posts to: checks the secret, handles, then answers.

    `/healthz` answers 503 when `healthy` (the database check) says no, so a load
    balancer stops sending updates to a worker that could not store them.
    """

    async def receive(request: Request) -> PlainTextResponse:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            data = await request.json()
            update = Update.de_json(data, application.bot)
        except Exception:
            return PlainTextResponse("bad update", status_code=400)
        if update is None:
            return PlainTextResponse("bad update", status_code=400)
        handled = await process_durably(application, update)
        return PlainTextResponse("ok" if handled else "retry", status_code=200 if handled else 500)

    async def health(request: Request) -> JSONResponse:
        if healthy is not None and not await healthy():
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[Route(path, receive, methods=["POST"]), Route("/healthz", health, methods=["GET"])]
    )


async def _serve_until_signal(server: Any) -> None:
    """Serve until SIGINT/SIGTERM, then return so we can close cleanly.

    uvicorn re-raises a captured signal after its own shutdown, which would kill
    the process before the bot and database are closed; we handle the signals.
    """
    server.capture_signals = contextlib.nullcontext
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    try:
        await server.serve()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def serve_webhook(settings: Settings, build_app: BuildApp) -> None:
    """Register the webhook and serve it with uvicorn until SIGINT/SIGTERM."""
    import uvicorn  # start-up cost: only webhook mode needs an HTTP server

    assert settings.webhook_url is not None
    application = make_application(settings)
    app = await build_app()
    try:
        channel = attach(application, app)
        secret = webhook_secret(settings)
        path = urlparse(settings.webhook_url).path or "/"
        async with application:
            await channel.publish_commands(application)
            await application.bot.set_webhook(
                settings.webhook_url,
                secret_token=secret,
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
            )
            await application.start()
            pusher = dispatcher(application, app)
            sender = asyncio.create_task(pusher.run())
            config = uvicorn.Config(
                webhook_app(application, secret, path, app.healthy),
                host=settings.webhook_listen,
                port=settings.webhook_port,
                log_level="warning",
                lifespan="off",
            )
            log.info(
                "serving the webhook on %s:%d%s",
                settings.webhook_listen,
                settings.webhook_port,
                path,
            )
            await _serve_until_signal(uvicorn.Server(config))
            await pusher.stop(sender)
            await application.stop()
    finally:
        await app.close()
