"""A local fake of the Telegram Bot API for tests (see DESIGN.md, "The fake Bot API").

Typical use::

    fake = FakeTelegram()
    app = fake.application_builder().build()   # python-telegram-bot, no socket
    sam = fake.user("Sam")
    await fake.send_text(sam, "/start")
    await fake.wait_sent(sam)
    assert fake.last(sam).labels == ["Start"]
"""

from .fake import FakeTelegram
from .limits import FloodViolation
from .methods import ApiError, UploadedFile
from .server import serve_asgi
from .state import (
    AnsweredCallback,
    ApiCall,
    FakeUser,
    MessageVersion,
    SentMessage,
    StoredFile,
    WebhookDelivery,
)
from .webhook import SECRET_HEADER

__all__ = [
    "SECRET_HEADER",
    "AnsweredCallback",
    "ApiCall",
    "ApiError",
    "FakeTelegram",
    "FakeUser",
    "FloodViolation",
    "MessageVersion",
    "SentMessage",
    "StoredFile",
    "UploadedFile",
    "WebhookDelivery",
    "serve_asgi",
]
