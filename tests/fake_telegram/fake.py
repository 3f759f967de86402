"""``FakeTelegram``: the test-facing side of the fake Bot API.

A test plays the users (``send_text``, ``press``...), points python-telegram-bot at the fake
(in-process with :meth:`FakeTelegram.ptb_request`, or over loopback HTTP with
:meth:`FakeTelegram.serve`) and reads back what the bot did (``sent``, ``last``, ``calls``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from telegram import Bot
from telegram.ext import ApplicationBuilder
from telegram.request import HTTPXRequest

from .html_entities import command_entities
from .limits import Clock, Faults, FloodControl, FloodViolation
from .methods import Context, commands_key
from .server import BotApiServer, serve_asgi
from .state import (
    JSON,
    AnsweredCallback,
    ApiCall,
    CallbackQueryRecord,
    FakeUser,
    SentMessage,
    StoredFile,
    WebhookDelivery,
    World,
)
from .webhook import deliver_pending

UserRef = FakeUser | int


class FakeTelegram:
    """An in-memory Telegram with a Bot API front end and a chat-like control API."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        bot_username: str = "straatwijs_test_bot",
        bot_first_name: str = "Straatwijs",
        *,
        limits: bool = True,
        strict_html: bool = True,
        clock: Clock = time.monotonic,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
        auto_deliver: bool = True,
    ) -> None:
        """Create the fake.

        ``limits`` switches the flood limits (1 message/s per chat with a burst of 3, 30/s
        overall); ``strict_html`` also rejects a bare ``&`` in HTML; ``webhook_transport``
        lets webhook posts reach an ASGI app without a socket; ``auto_deliver`` posts each new
        update to the webhook (when one is set) as soon as a test creates it.
        """
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456
        self.token = token
        self.world = World(bot_id=bot_id, bot_username=bot_username, bot_first_name=bot_first_name)
        self.flood = FloodControl(enabled=limits, clock=clock)
        self.faults = Faults()
        self.webhook_transport = webhook_transport
        self.auto_deliver = auto_deliver
        self._server = BotApiServer(
            token, Context(self.world, strict_html), self.flood, self.faults
        )
        self.app = self._server.build_app()
        #: Base URL for in-process use with :meth:`ptb_request` (python-telegram-bot style).
        self.base_url = "http://fake/bot"
        #: File download base URL for in-process use (``Bot(base_file_url=...)``).
        self.base_file_url = "http://fake/file/bot"
        #: Base URL of the loopback server while :meth:`serve` runs, else None.
        self.api_url: str | None = None
        #: File download base URL of the loopback server while :meth:`serve` runs, else None.
        self.file_url: str | None = None
        self._user_ids = itertools.count(700_000_001)
        self._query_ids = itertools.count(4_800_000_000_000_001)
        self._deliver_lock = asyncio.Lock()

    # -- wiring python-telegram-bot -----------------------------------------------------------

    def ptb_request(self, **kwargs: Any) -> HTTPXRequest:
        """A fresh ``HTTPXRequest`` that reaches this fake in-process (no socket)."""
        httpx_kwargs = {"transport": httpx.ASGITransport(app=self.app), "trust_env": False}
        return HTTPXRequest(httpx_kwargs=httpx_kwargs, **kwargs)

    def bot(self) -> Bot:
        """A ``telegram.Bot`` wired to this fake in-process."""
        return Bot(
            self.token,
            base_url=self.base_url,
            base_file_url=self.base_file_url,
            request=self.ptb_request(),
            get_updates_request=self.ptb_request(),
        )

    def application_builder(self) -> ApplicationBuilder:
        """An ``ApplicationBuilder`` with token, base URL and in-process requests filled in."""
        return (
            ApplicationBuilder()
            .token(self.token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
            .request(self.ptb_request())
            .get_updates_request(self.ptb_request())
        )

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Serve the Bot API on a loopback port; yields ``api_url`` (``http://HOST:PORT/bot``)."""
        self.world.closing = False
        async with serve_asgi(self.app, host, port) as root:
            self.api_url, self.file_url = f"{root}/bot", f"{root}/file/bot"
            try:
                yield self.api_url
            finally:
                self.world.closing = True  # answer pending long polls so uvicorn can stop
                self.world.notify()
                self.api_url = self.file_url = None
        self.world.closing = False

    # -- users --------------------------------------------------------------------------------

    def user(
        self,
        first_name: str = "Sam",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "nl",
        user_id: int | None = None,
        started: bool = False,
    ) -> FakeUser:
        """A new user; the bot may write to them once they wrote first (or ``started``)."""
        user = FakeUser(
            id=user_id if user_id is not None else next(self._user_ids),
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self.world.users[user.id] = user
        if started:
            self.world.started.add(user.id)
        return user

    def _user(self, user: UserRef) -> FakeUser:
        user_id = user if isinstance(user, int) else user.id
        try:
            return self.world.users[user_id]
        except KeyError:
            raise LookupError(f"unknown user {user_id}; create it with fake.user()") from None

    def _member_update(self, user: FakeUser, old: str, new: str) -> None:
        self.world.add_update(
            {
                "my_chat_member": {
                    "chat": user.chat_dict(),
                    "from": user.to_dict(),
                    "date": int(time.time()),
                    "old_chat_member": {"status": old, "user": self.world.bot_dict()},
                    "new_chat_member": {
                        "status": new,
                        "user": self.world.bot_dict(),
                        **({"until_date": 0} if new == "kicked" else {}),
                    },
                }
            }
        )

    def block(self, user: UserRef) -> None:
        """The user blocks the bot: its messages get 403 (queues a ``my_chat_member`` update)."""
        handle = self._user(user)
        if handle.id not in self.world.blocked:
            self.world.blocked.add(handle.id)
            self._member_update(handle, "member", "kicked")

    def unblock(self, user: UserRef) -> None:
        """The user unblocks the bot (queues a ``my_chat_member`` update)."""
        handle = self._user(user)
        if handle.id in self.world.blocked:
            self.world.blocked.discard(handle.id)
            self._member_update(handle, "kicked", "member")

    # -- acting as a user ---------------------------------------------------------------------

    async def _after_update(self) -> None:
        if self.auto_deliver and self.world.webhook is not None:
            await self.deliver_pending()

    async def _user_message(
        self,
        user: UserRef,
        *,
        text: str | None = None,
        entities: list[JSON] | None = None,
        media: JSON | None = None,
        document: StoredFile | None = None,
        reply_to: int | None = None,
    ) -> JSON:
        handle = self._user(user)
        self.unblock(handle)  # writing to a blocked bot means pressing "Restart" first
        self.world.started.add(handle.id)
        message = SentMessage(
            message_id=self.world.next_message_id(handle.id),
            chat_id=handle.id,
            from_bot=False,
            date=int(time.time()),
            text=text,
            entities=list(entities or []),
            media=dict(media or {}),
            document=document,
            reply_to_message_id=reply_to,
        )
        self.world.add_message(message)
        update = self.world.add_update({"message": self.world.message_dict(message)})
        await self._after_update()
        return update

    def _file(self, data: bytes, file_name: str | None, mime_type: str | None) -> StoredFile:
        file_id, unique_id = self.world.new_file_ids()
        stored = StoredFile(file_id, unique_id, data, file_name, mime_type)
        self.world.files[file_id] = stored
        return stored

    async def send_text(
        self,
        user: UserRef,
        text: str,
        *,
        entities: list[JSON] | None = None,
        reply_to: int | None = None,
    ) -> JSON:
        """The user sends text; commands get ``bot_command`` entities. Returns the update."""
        if entities is None:
            entities = command_entities(text)
        return await self._user_message(user, text=text, entities=entities, reply_to=reply_to)

    async def send_sticker(self, user: UserRef, emoji: str = "👍") -> JSON:
        """The user sends a sticker."""
        stored = self._file(b"RIFF-fake-webp", None, "image/webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.file_size,
        }
        return await self._user_message(user, media={"sticker": sticker})

    async def send_photo(
        self, user: UserRef, data: bytes = b"\xff\xd8\xff fake jpeg", caption: str | None = None
    ) -> JSON:
        """The user sends a photo (two sizes, like Telegram)."""
        stored = self._file(data, None, "image/jpeg")
        sizes = [
            {
                "file_id": f"{stored.file_id}{suffix}",
                "file_unique_id": f"{stored.file_unique_id}{suffix}",
                "width": width,
                "height": width * 3 // 4,
                "file_size": stored.file_size,
            }
            for suffix, width in (("s", 90), ("", 800))
        ]
        self.world.files[sizes[0]["file_id"]] = stored
        return await self._user_message(user, text=caption, media={"photo": sizes})

    async def send_voice(
        self, user: UserRef, duration: int = 3, data: bytes = b"OggS fake voice"
    ) -> JSON:
        """The user sends a voice message."""
        stored = self._file(data, None, "audio/ogg")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": stored.file_size,
        }
        return await self._user_message(user, media={"voice": voice})

    async def send_document(
        self,
        user: UserRef,
        data: bytes = b"hello",
        file_name: str = "notes.txt",
        mime_type: str = "text/plain",
        caption: str | None = None,
    ) -> JSON:
        """The user sends a file."""
        stored = self._file(data, file_name, mime_type)
        return await self._user_message(user, text=caption, document=stored)

    async def send_location(
        self, user: UserRef, latitude: float = 52.3676, longitude: float = 4.9041
    ) -> JSON:
        """The user shares a location."""
        location = {"latitude": latitude, "longitude": longitude}
        return await self._user_message(user, media={"location": location})

    async def send_contact(
        self, user: UserRef, phone_number: str = "+31612345678", first_name: str | None = None
    ) -> JSON:
        """The user shares a contact (by default their own)."""
        handle = self._user(user)
        contact: JSON = {
            "phone_number": phone_number,
            "first_name": first_name or handle.first_name,
        }
        if first_name is None:
            contact["user_id"] = handle.id
        return await self._user_message(handle, media={"contact": contact})

    async def edit_text(self, user: UserRef, message_id: int, text: str) -> JSON:
        """The user edits one of their own text messages (an ``edited_message`` update)."""
        handle = self._user(user)
        message = self.world.find_message(handle.id, message_id)
        if message is None or message.from_bot:
            raise LookupError(f"user {handle.id} has no message {message_id} to edit")
        message.edits.append(message.version())
        message.text = text
        message.entities = command_entities(text)
        message.edit_date = int(time.time())
        update = self.world.add_update({"edited_message": self.world.message_dict(message)})
        await self._after_update()
        return update

    def _keyboard_message(self, handle: FakeUser, message_id: int | None) -> SentMessage:
        if message_id is not None:
            message = self.world.find_message(handle.id, message_id)
            if message is None or not message.from_bot:
                raise LookupError(f"no bot message {message_id} in chat {handle.id}")
            return message
        for message in reversed(self.world.chats.get(handle.id, [])):
            if message.from_bot and not message.deleted and message.buttons:
                return message
        raise LookupError(f"no bot message with an inline keyboard in chat {handle.id}")

    async def press(self, user: UserRef, label: str, *, message_id: int | None = None) -> str:
        """Press the inline button ``label`` (on ``message_id``, else the latest keyboard).

        Returns the callback query id; see :meth:`callback_answer`.
        """
        handle = self._user(user)
        message = self._keyboard_message(handle, message_id)
        button = message.find_button(label)
        if "callback_data" not in button:
            raise ValueError(f"button {label!r} is not a callback button: {button}")
        return await self._callback(handle, message.message_id, button["callback_data"])

    async def press_data(self, user: UserRef, message_id: int, data: str) -> str:
        """Send a callback query with arbitrary (e.g. stale) ``data`` for ``message_id``."""
        return await self._callback(self._user(user), message_id, data)

    async def _callback(self, handle: FakeUser, message_id: int, data: str) -> str:
        query_id = str(next(self._query_ids))
        message = self.world.find_message(handle.id, message_id)
        message_json = (
            self.world.message_dict(message)
            if message is not None
            else {"chat": handle.chat_dict(), "message_id": message_id, "date": 0}
        )
        self.world.callbacks[query_id] = CallbackQueryRecord(query_id, handle.id, message_id, data)
        self.world.add_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": handle.to_dict(),
                    "message": message_json,
                    "chat_instance": str(-(handle.id * 7919 % 10**18)),
                    "data": data,
                }
            }
        )
        await self._after_update()
        return query_id

    async def redeliver(self, update_id: int) -> JSON:
        """Queue an update once more with the same ``update_id`` (as after a lost answer)."""
        update = self.world.requeue(update_id)
        await self._after_update()
        return update

    async def deliver_pending(self) -> list[WebhookDelivery]:
        """Post pending updates to the webhook (in order, stopping at the first failure)."""
        async with self._deliver_lock:
            return await deliver_pending(self.world, self.webhook_transport)

    # -- reading back -------------------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        """Every Bot API request in order of completion (method, params, status, description)."""
        return self.world.calls

    def calls_of(self, method: str) -> list[JSON]:
        """The parameters of every successful call of ``method``."""
        return [c.params for c in self.world.calls if c.method == method and c.status == 200]

    @property
    def unknown_calls(self) -> list[str]:
        """Methods (and features) the bot used that the fake does not implement."""
        return self.world.unknown_calls

    @property
    def answered_callbacks(self) -> list[AnsweredCallback]:
        return self.world.answered_callbacks

    def callback_answer(self, query_id: str) -> AnsweredCallback | None:
        """The bot's answer to a press, or None if it has not answered (yet)."""
        record = self.world.callbacks.get(query_id)
        return record.answer if record else None

    @property
    def flood_violations(self) -> list[FloodViolation]:
        return self.flood.violations

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        return self.world.webhook_deliveries

    @property
    def pending_updates(self) -> list[JSON]:
        return self.world.pending()

    def history(self, user: UserRef) -> list[SentMessage]:
        """All messages of the chat, both directions, deleted ones included."""
        return list(self.world.chats.get(self._user(user).id, []))

    def sent(self, user: UserRef) -> list[SentMessage]:
        """The bot's messages in the chat, oldest first (deleted ones flagged, not dropped)."""
        return [m for m in self.history(user) if m.from_bot]

    def last(self, user: UserRef) -> SentMessage:
        """The bot's latest message in the chat that is not deleted."""
        for message in reversed(self.sent(user)):
            if not message.deleted:
                return message
        raise AssertionError(f"the bot sent nothing to {user!r}")

    def documents(self, user: UserRef) -> list[StoredFile]:
        """Files the bot sent to the chat, with their bytes."""
        return [m.document for m in self.sent(user) if m.document is not None]

    def photos(self, user: UserRef) -> list[StoredFile]:
        """Photos the bot sent to the chat, with their bytes and pixel size."""
        return [m.photo for m in self.sent(user) if m.photo is not None]

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The bot's command list for a scope (default scope if None) and language."""
        return list(self.world.commands.get(commands_key(scope, language_code), []))

    # -- faults -------------------------------------------------------------------------------

    def impose_flood(
        self, retry_after: int = 2, count: int = 1, method: str = "sendMessage"
    ) -> None:
        """Answer the next ``count`` calls of ``method`` (``"*"``: any) with a 429."""
        self.faults.force(method, 429, count, retry_after)

    def fail_next(self, method: str, status: int = 500, count: int = 1) -> None:
        """Answer the next ``count`` calls of ``method`` with a 5xx (502 as nginx HTML)."""
        self.faults.force(method, status, count)

    def delay_next(self, method: str, seconds: float, count: int = 1) -> None:
        """Hold the next ``count`` answers of ``method``; client timeouts apply over loopback."""
        self.faults.delay(method, seconds, count)

    # -- waiting ------------------------------------------------------------------------------

    async def wait_for(
        self,
        predicate: Callable[[], object],
        timeout: float = 5.0,  # noqa: ASYNC109 - a test-facing deadline, like pytest's
        what: str | None = None,
    ) -> None:
        """Wait until ``predicate()`` is true; raise ``TimeoutError`` after ``timeout`` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [(c.method, c.status, c.description) for c in self.world.calls[-5:]]
                raise TimeoutError(
                    f"{what or 'condition'} not met within {timeout}s; last calls: {recent}"
                )
            await self.world.wait_changed(min(remaining, 0.1))

    async def wait_sent(
        self,
        user: UserRef,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a test-facing deadline
    ) -> list[SentMessage]:
        """Wait until the bot has sent ``count`` messages to the chat in total; return them."""
        await self.wait_for(
            lambda: len(self.sent(user)) >= count,
            timeout,
            f"{count} bot message(s) to {user!r}",
        )
        return self.sent(user)
