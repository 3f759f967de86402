"""The Telegram adapter: updates in, service calls, Bot API calls out.

What the rest of the project may use; everything else in here is the adapter's own.
`bootstrap` runs the bot with `run_bot`; tests and benchmarks build an application
(`make_application`), put our handlers on it (`attach`), send pushes (`dispatcher`)
and serve the webhook (`webhook_app`, `process_durably`).
"""

from bot.telegram.dispatch import Dispatcher
from bot.telegram.errors import process_durably
from bot.telegram.limiter import CallOptions, ChatRateLimiter
from bot.telegram.runner import attach, dispatcher, make_application, run_bot, webhook_app

__all__ = [
    "CallOptions",
    "ChatRateLimiter",
    "Dispatcher",
    "attach",
    "dispatcher",
    "make_application",
    "process_durably",
    "run_bot",
    "webhook_app",
]
