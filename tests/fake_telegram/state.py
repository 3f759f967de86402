"""In-memory world of the fake Bot API: users, chats, messages, files and pending updates.

Everything here is plain data that tests can read back.  Objects are turned into the Bot
API's JSON shapes by the ``*_dict`` helpers so that python-telegram-bot's ``de_json`` accepts
them unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]
Button = tuple[str, str | None]

#: Update types delivered when ``allowed_updates`` is empty (Telegram's default).
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
    }
)


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user taking part in a test; in a private chat ``chat_id == id``."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    @property
    def chat_id(self) -> int:
        return self.id

    def to_dict(self) -> JSON:
        """The Bot API ``User`` object."""
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    def chat_dict(self) -> JSON:
        """The Bot API ``Chat`` object of the private chat with this user."""
        data: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        for key in ("last_name", "username"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


#: Longest side of the smaller copies Telegram makes of a photo (``s``, ``m``, ``x``).
PHOTO_THUMBNAIL_SIDES = (90, 320, 800)


@dataclass
class StoredFile:
    """A file known to the fake: uploaded by the bot or sent by a user.

    A photo the bot sent keeps its pixel size, so it can be described as Telegram's
    list of ``PhotoSize`` objects (the fake keeps only the original bytes).
    """

    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def is_photo(self) -> bool:
        return self.width is not None and self.height is not None

    @property
    def file_size(self) -> int:
        return len(self.data)

    @property
    def file_path(self) -> str:
        return f"{'photos' if self.is_photo else 'documents'}/{self.file_unique_id}"

    def photo_ids(self) -> list[str]:
        """File ids of the smaller copies, then of the original (all point at these bytes)."""
        return [f"{self.file_id}{side}" for side in self._thumbnails()] + [self.file_id]

    def _thumbnails(self) -> list[int]:
        longest = max(self.width or 0, self.height or 0)
        return [side for side in PHOTO_THUMBNAIL_SIDES if side < longest]

    def photo_dicts(self) -> list[JSON]:
        """The Bot API ``PhotoSize`` array: smaller copies first, the original last."""
        width, height = self.width or 0, self.height or 0
        longest = max(width, height, 1)
        sizes = []
        for side in self._thumbnails():
            sizes.append(
                {
                    "file_id": f"{self.file_id}{side}",
                    "file_unique_id": f"{self.file_unique_id}{side}",
                    "width": max(1, width * side // longest),
                    "height": max(1, height * side // longest),
                    "file_size": self.file_size,
                }
            )
        sizes.append(
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": width,
                "height": height,
                "file_size": self.file_size,
            }
        )
        return sizes

    def document_dict(self) -> JSON:
        """The Bot API ``Document`` object."""
        data: JSON = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }
        if self.file_name is not None:
            data["file_name"] = self.file_name
        if self.mime_type is not None:
            data["mime_type"] = self.mime_type
        return data


@dataclass(frozen=True)
class MessageVersion:
    """The content of a message before an edit replaced it."""

    text: str | None
    html: str | None
    parse_mode: str | None
    entities: tuple[JSON, ...]
    reply_markup: JSON | None
    edit_date: int | None


@dataclass
class SentMessage:
    """A message in a chat, from the bot (``from_bot``) or from the user.

    ``text`` is the plain text Telegram shows (tags removed, entities unescaped); for a
    document or photo it is the caption.  ``html`` is the raw text as the bot sent it.
    """

    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    text: str | None = None
    html: str | None = None
    parse_mode: str | None = None
    entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None
    document: StoredFile | None = None
    photo: StoredFile | None = None  # a photo the bot sent (users' photos are in ``media``)
    media: JSON = field(default_factory=dict)  # extra Message fields: sticker, photo, ...
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    edits: list[MessageVersion] = field(default_factory=list)
    deleted: bool = False

    @property
    def edited(self) -> bool:
        return bool(self.edits)

    @property
    def has_caption(self) -> bool:
        """Whether the bot's message is a file whose text is a caption (not a text message)."""
        return self.document is not None or self.photo is not None

    @property
    def kind(self) -> str:
        """``"text"``, ``"document"``, ``"photo"`` or the media field of a user message."""
        if self.document is not None:
            return "document"
        if self.photo is not None:
            return "photo"
        if self.media:
            return next(iter(self.media))
        return "text"

    @property
    def buttons(self) -> list[list[Button]]:
        """Inline keyboard rows as ``(label, callback_data or url)`` pairs."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [
            [(b.get("text", ""), b.get("callback_data", b.get("url"))) for b in row] for row in rows
        ]

    @property
    def labels(self) -> list[str]:
        """All inline button labels, row by row."""
        return [label for row in self.buttons for label, _ in row]

    @property
    def keyboard(self) -> list[list[str]]:
        """Reply keyboard rows (labels), if the message set one."""
        rows = (self.reply_markup or {}).get("keyboard", [])
        return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in rows]

    def find_button(self, label: str) -> JSON:
        for row in (self.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if button.get("text") == label:
                    return button
        raise LookupError(
            f"no inline button {label!r} on message {self.message_id}; labels: {self.labels}"
        )

    def version(self) -> MessageVersion:
        return MessageVersion(
            self.text,
            self.html,
            self.parse_mode,
            tuple(self.entities),
            self.reply_markup,
            self.edit_date,
        )

    def to_dict(self, sender: JSON, chat: JSON) -> JSON:
        """The Bot API ``Message`` object."""
        data: JSON = {
            "message_id": self.message_id,
            "from": sender,
            "chat": chat,
            "date": self.date,
        }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        caption = self.has_caption or bool(self.media)
        if self.text is not None:
            data["caption" if caption else "text"] = self.text
        if self.entities:
            data["caption_entities" if caption else "entities"] = list(self.entities)
        if self.document is not None:
            data["document"] = self.document.document_dict()
        if self.photo is not None:
            data["photo"] = self.photo.photo_dicts()
        data.update(self.media)
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup  # Telegram echoes inline keyboards only
        return data


@dataclass(frozen=True)
class AnsweredCallback:
    """An ``answerCallbackQuery`` the bot made."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass
class CallbackQueryRecord:
    """A button press the fake created, and whether the bot answered it."""

    query_id: str
    user_id: int
    message_id: int
    data: str
    answer: AnsweredCallback | None = None


@dataclass
class WebhookConfig:
    """What ``setWebhook`` asked for, plus Telegram's delivery bookkeeping."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(frozen=True)
class WebhookDelivery:
    """One POST of an update to the webhook (``status`` is None if no HTTP answer came)."""

    update_id: int
    url: str
    status: int | None
    error: str | None
    secret_token: str | None


@dataclass(frozen=True)
class ApiCall:
    """One request the bot made: method, decoded parameters, HTTP status and error text."""

    method: str
    params: JSON
    status: int
    description: str | None = None


@dataclass
class _Pending:
    update: JSON
    redelivered: bool = False
    returned: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        return next(key for key in self.update if key != "update_id")


class GetUpdatesConflictError(Exception):
    """A newer getUpdates request took over from a waiting one."""


class World:
    """All state of one fake Telegram: shared by the HTTP side and the test-facing side."""

    def __init__(self, *, bot_id: int, bot_username: str, bot_first_name: str) -> None:
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.users: dict[int, FakeUser] = {}
        self.started: set[int] = set()
        self.blocked: set[int] = set()
        self.chats: dict[int, list[SentMessage]] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self.files: dict[str, StoredFile] = {}
        self._file_counter = itertools.count(1)
        self.callbacks: dict[str, CallbackQueryRecord] = {}
        self.answered_callbacks: list[AnsweredCallback] = []
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.webhook: WebhookConfig | None = None
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.calls: list[ApiCall] = []
        self.unknown_calls: list[str] = []
        self.closing = False
        self._updates: list[_Pending] = []
        self._all_updates: dict[int, JSON] = {}
        self._update_ids = itertools.count(100_000_001)
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._changed = asyncio.Event()
        self._changed_loop: asyncio.AbstractEventLoop | None = None
        self._poller = 0

    # -- identities ---------------------------------------------------------------------------

    def bot_dict(self) -> JSON:
        """The bot's ``User`` object."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def new_file_ids(self) -> tuple[str, str]:
        n = next(self._file_counter)
        return f"BQACAgQAAxkDAAI{n:06d}fake", f"AgAD{n:06d}"

    # -- change notification -------------------------------------------------------------------

    def notify(self) -> None:
        """Wake everything that waits for a change (long polls, ``wait_for``)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_changed(self, seconds: float) -> None:
        """Wait until ``notify`` is called or ``seconds`` pass."""
        loop = asyncio.get_running_loop()
        if self._changed_loop is not loop:  # a fake may outlive one test's event loop
            self._changed, self._changed_loop = asyncio.Event(), loop
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    # -- messages -----------------------------------------------------------------------------

    def next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def add_message(self, message: SentMessage) -> SentMessage:
        self.chats.setdefault(message.chat_id, []).append(message)
        self.notify()
        return message

    def find_message(self, chat_id: int, message_id: int) -> SentMessage | None:
        for message in self.chats.get(chat_id, []):
            if message.message_id == message_id and not message.deleted:
                return message
        return None

    def message_dict(self, message: SentMessage) -> JSON:
        user = self.users[message.chat_id]
        sender = self.bot_dict() if message.from_bot else user.to_dict()
        data = message.to_dict(sender, user.chat_dict())
        if message.reply_to_message_id is not None:
            replied = self.find_message(message.chat_id, message.reply_to_message_id)
            if replied is not None:
                data["reply_to_message"] = self.message_dict(replied)
        return data

    # -- updates ------------------------------------------------------------------------------

    def add_update(self, payload: JSON) -> JSON:
        """Queue a new update (``payload`` without ``update_id``); return the full update."""
        update = {"update_id": next(self._update_ids), **payload}
        self._all_updates[update["update_id"]] = update
        self._updates.append(_Pending(update))
        self.notify()
        return update

    def requeue(self, update_id: int) -> JSON:
        """Queue an already delivered update once more, with the same ``update_id``."""
        update = self._all_updates[update_id]
        self._updates.append(_Pending(update, redelivered=True))
        self.notify()
        return update

    @property
    def pending_update_count(self) -> int:
        return len(self._updates)

    def pending(self) -> list[JSON]:
        """The updates not yet confirmed, in delivery order."""
        return [p.update for p in self._updates]

    def drop_pending(self) -> None:
        self._updates.clear()

    def confirm(self, update_id: int) -> None:
        """Forget one delivered update (webhook mode: the bot answered 2xx)."""
        for index, pending in enumerate(self._updates):
            if pending.update_id == update_id:
                del self._updates[index]
                return

    def set_allowed_updates(self, allowed: list[str] | None) -> None:
        if allowed is None:
            return  # None keeps the previous setting, like Telegram
        self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES

    def is_allowed(self, update: JSON) -> bool:
        """Whether ``allowed_updates`` lets this update's type through."""
        return any(key in self._allowed_updates for key in update if key != "update_id")

    def _apply_offset(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self._updates = self._updates[offset:]
            return
        kept = []
        for pending in self._updates:
            confirmed = pending.update_id < offset
            if pending.redelivered and not pending.returned:
                confirmed = False
            if not confirmed:
                kept.append(pending)
        self._updates = kept

    def _take(self, limit: int) -> list[JSON]:
        self._updates = [p for p in self._updates if p.kind in self._allowed_updates]
        batch = self._updates[:limit]
        for pending in batch:
            pending.returned = True
        return [p.update for p in batch]

    async def get_updates(self, offset: int | None, limit: int, poll: float) -> list[JSON]:
        """Telegram's getUpdates: confirm by offset, then long-poll up to ``poll`` seconds."""
        self._poller += 1
        me = self._poller
        self.notify()  # wakes an older poll, which then ends with a conflict
        self._apply_offset(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, poll)
        while True:
            if self._poller != me:
                raise GetUpdatesConflictError
            batch = self._take(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self.closing:
                return batch
            await self.wait_changed(remaining)
