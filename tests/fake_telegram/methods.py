"""The Bot API methods the fake implements, with the checks the real server makes.

Each handler takes the :class:`~tests.fake_telegram.state.World` and the decoded parameters
and returns the ``result`` of the answer, or raises :class:`ApiError` with Telegram's own
status code and description.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .html_entities import EntityParseError, ParsedText, parse_html, strip_text
from .state import (
    JSON,
    AnsweredCallback,
    FakeUser,
    GetUpdatesConflictError,
    SentMessage,
    StoredFile,
    WebhookConfig,
    World,
)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
PHOTO_MAX_BYTES = 10 * 1024 * 1024  # Telegram's limit for photos sent by upload
PHOTO_MAX_SIDES = 10_000  # width + height
PHOTO_MAX_RATIO = 20
CALLBACK_DATA_LIMIT = 64
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_INLINE_BUTTON_KINDS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ApiError(Exception):
    """An error answer: HTTP status, Telegram's description and optional ``retry_after``."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class Described:
    """A result that Telegram accompanies with a ``description`` (setWebhook and friends)."""

    result: Any
    description: str


@dataclass
class Context:
    """What handlers need besides the parameters."""

    world: World
    strict_html: bool = True


Handler = Callable[[Context, JSON], Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}


def _method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[name] = handler
        return handler

    return register


def _now() -> int:
    return int(time.time())


# -- shared checks ----------------------------------------------------------------------------


def resolve_chat(world: World, params: JSON) -> FakeUser:
    """The private chat a method addresses, with Telegram's 400/403 answers."""
    chat_id = params.get("chat_id")
    if chat_id is None or chat_id == "":
        raise ApiError(400, "Bad Request: chat_id is empty")
    user = world.users.get(chat_id) if isinstance(chat_id, int) else None
    if user is None:
        raise ApiError(400, "Bad Request: chat not found")
    if user.id in world.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    if user.id not in world.started:
        raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
    return user


def format_text(
    ctx: Context,
    method: str,
    text: str,
    params: JSON,
    *,
    caption: bool = False,
) -> ParsedText:
    """Apply ``parse_mode`` (or explicit entities), trim, and check the length limits."""
    parse_mode = params.get("parse_mode") or None
    entities_key = "caption_entities" if caption else "entities"
    if parse_mode is None:
        parsed = ParsedText(text, list(params.get(entities_key) or []))
    elif str(parse_mode).lower() == "html":
        try:
            parsed = parse_html(text, strict_ampersand=ctx.strict_html)
        except EntityParseError as error:
            raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
    elif str(parse_mode).lower() in ("markdown", "markdownv2"):
        ctx.world.unknown_calls.append(f"{method}(parse_mode={parse_mode})")
        raise ApiError(400, f"Bad Request: parse_mode {parse_mode} not implemented in fake")
    else:
        raise ApiError(400, "Bad Request: unsupported parse_mode")
    parsed = strip_text(parsed)
    if caption:
        if len(parsed.text) > CAPTION_LIMIT:
            raise ApiError(400, "Bad Request: message caption is too long")
    elif not parsed.text:
        raise ApiError(400, "Bad Request: message text is empty")
    elif len(parsed.text) > TEXT_LIMIT:
        raise ApiError(400, "Bad Request: message is too long")
    return parsed


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise ApiError(
            400,
            'Bad Request: can\'t parse inline keyboard button: Field "text" must be of type String',
        )
    kinds = [kind for kind in _INLINE_BUTTON_KINDS if kind in button]
    if not kinds:
        raise ApiError(
            400,
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
            raise ApiError(400, f"Bad Request: inline keyboard button URL '{url}' is invalid")


def check_markup(markup: Any, *, inline_only: bool = False) -> JSON | None:
    """Validate a ``reply_markup``; an empty inline keyboard means no keyboard."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in rows:
            for button in row:
                _check_inline_button(button)
        return markup if any(rows) else None
    if inline_only:
        raise ApiError(400, "Bad Request: inline keyboard expected")
    if not any(key in markup for key in ("keyboard", "remove_keyboard", "force_reply")):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    return markup


def _reply_to(world: World, user: FakeUser, params: JSON) -> int | None:
    reply = params.get("reply_parameters") or {}
    message_id = reply.get("message_id") if isinstance(reply, dict) else None
    if message_id is None:
        message_id = params.get("reply_to_message_id")
    if message_id is None:
        return None
    if world.find_message(user.id, int(message_id)) is not None:
        return int(message_id)
    allow = params.get("allow_sending_without_reply") or (
        isinstance(reply, dict) and reply.get("allow_sending_without_reply")
    )
    if allow:
        return None
    raise ApiError(400, "Bad Request: message to be replied not found")


def _editable(world: World, user: FakeUser, params: JSON) -> SentMessage:
    if params.get("inline_message_id"):
        world.unknown_calls.append("edit of an inline message")
        raise ApiError(400, "Bad Request: inline messages are not implemented in fake")
    message_id = params.get("message_id")
    if message_id is None:
        raise ApiError(400, "Bad Request: message identifier is not specified")
    message = world.find_message(user.id, message_id) if isinstance(message_id, int) else None
    if message is None:
        raise ApiError(400, "Bad Request: message to edit not found")
    if not message.from_bot:
        raise ApiError(400, "Bad Request: message can't be edited")
    return message


def _apply_edit(world: World, message: SentMessage, **changes: Any) -> JSON:
    current = {key: getattr(message, key) for key in ("text", "entities", "reply_markup")}
    proposed = {**current, **{k: v for k, v in changes.items() if k in current}}
    if proposed == current:
        raise ApiError(400, NOT_MODIFIED)
    message.edits.append(message.version())
    for key, value in changes.items():
        setattr(message, key, value)
    message.edit_date = _now()
    world.notify()
    return world.message_dict(message)


# -- identity and updates ---------------------------------------------------------------------


@_method("getMe")
async def get_me(ctx: Context, params: JSON) -> JSON:
    return {
        **ctx.world.bot_dict(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@_method("getUpdates")
async def get_updates(ctx: Context, params: JSON) -> list[JSON]:
    world = ctx.world
    if world.webhook is not None:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    limit = params.get("limit") or 100
    limit = min(max(int(limit), 1), 100)
    timeout = float(params.get("timeout") or 0)
    world.set_allowed_updates(params.get("allowed_updates"))
    try:
        return await world.get_updates(params.get("offset"), limit, timeout)
    except GetUpdatesConflictError:
        raise ApiError(
            409,
            "Conflict: terminated by other getUpdates request; "
            "make sure that only one bot instance is running",
        ) from None


@_method("setWebhook")
async def set_webhook(ctx: Context, params: JSON) -> Described:
    world = ctx.world
    url = params.get("url") or ""
    if not url:
        return await delete_webhook(ctx, params)
    if not re.match(r"^https?://[^/\s]+", url):
        raise ApiError(400, "Bad Request: bad webhook: invalid webhook URL specified")
    secret = params.get("secret_token")
    if secret is not None and not _SECRET_TOKEN.match(str(secret)):
        raise ApiError(400, "Bad Request: secret token contains unallowed characters")
    config = WebhookConfig(
        url=url,
        secret_token=secret,
        max_connections=int(params.get("max_connections") or 40),
        allowed_updates=params.get("allowed_updates"),
        ip_address=params.get("ip_address"),
    )
    if params.get("drop_pending_updates"):
        world.drop_pending()
    world.set_allowed_updates(params.get("allowed_updates"))
    same = world.webhook is not None and (world.webhook.url, world.webhook.secret_token) == (
        url,
        secret,
    )
    world.webhook = config
    world.notify()
    return Described(True, "Webhook is already set" if same else "Webhook was set")


@_method("deleteWebhook")
async def delete_webhook(ctx: Context, params: JSON) -> Described:
    world = ctx.world
    if params.get("drop_pending_updates"):
        world.drop_pending()
    was_set = world.webhook is not None
    world.webhook = None
    world.notify()
    return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")


@_method("getWebhookInfo")
async def get_webhook_info(ctx: Context, params: JSON) -> JSON:
    world = ctx.world
    hook = world.webhook
    info: JSON = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": world.pending_update_count,
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.ip_address:
            info["ip_address"] = hook.ip_address
        if hook.allowed_updates:
            info["allowed_updates"] = hook.allowed_updates
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info


@_method("close")
async def close(ctx: Context, params: JSON) -> bool:
    return True


@_method("logOut")
async def log_out(ctx: Context, params: JSON) -> bool:
    return True


# -- messages ---------------------------------------------------------------------------------


@_method("sendMessage")
async def send_message(ctx: Context, params: JSON) -> JSON:
    world = ctx.world
    user = resolve_chat(world, params)
    text = params.get("text")
    if not isinstance(text, str) or not text:
        raise ApiError(400, "Bad Request: message text is empty")
    parsed = format_text(ctx, "sendMessage", text, params)
    markup = check_markup(params.get("reply_markup"))
    reply_to = _reply_to(world, user, params)
    message = SentMessage(
        message_id=world.next_message_id(user.id),
        chat_id=user.id,
        from_bot=True,
        date=_now(),
        text=parsed.text,
        html=text,
        parse_mode=params.get("parse_mode"),
        entities=parsed.entities,
        reply_markup=markup,
        reply_to_message_id=reply_to,
    )
    world.add_message(message)
    return world.message_dict(message)


@_method("editMessageText")
async def edit_message_text(ctx: Context, params: JSON) -> JSON:
    world = ctx.world
    user = resolve_chat(world, params)
    message = _editable(world, user, params)
    if message.has_caption:
        raise ApiError(400, "Bad Request: there is no text in the message to edit")
    text = params.get("text")
    if not isinstance(text, str) or not text:
        raise ApiError(400, "Bad Request: message text is empty")
    parsed = format_text(ctx, "editMessageText", text, params)
    markup = check_markup(params.get("reply_markup"), inline_only=True)
    return _apply_edit(
        world,
        message,
        text=parsed.text,
        entities=parsed.entities,
        reply_markup=markup,
        html=text,
        parse_mode=params.get("parse_mode"),
    )


@_method("editMessageCaption")
async def edit_message_caption(ctx: Context, params: JSON) -> JSON:
    world = ctx.world
    user = resolve_chat(world, params)
    message = _editable(world, user, params)
    if not message.has_caption:
        raise ApiError(400, "Bad Request: there is no caption in the message to edit")
    caption = params.get("caption") or ""
    parsed = format_text(ctx, "editMessageCaption", caption, params, caption=True)
    markup = check_markup(params.get("reply_markup"), inline_only=True)
    return _apply_edit(
        world,
        message,
        text=parsed.text or None,
        entities=parsed.entities,
        reply_markup=markup,
        html=caption,
        parse_mode=params.get("parse_mode"),
    )


@_method("editMessageReplyMarkup")
async def edit_message_reply_markup(ctx: Context, params: JSON) -> JSON:
    world = ctx.world
    user = resolve_chat(world, params)
    message = _editable(world, user, params)
    markup = check_markup(params.get("reply_markup"), inline_only=True)
    return _apply_edit(world, message, reply_markup=markup)


@_method("deleteMessage")
async def delete_message(ctx: Context, params: JSON) -> bool:
    world = ctx.world
    user = resolve_chat(world, params)
    message_id = params.get("message_id")
    message = world.find_message(user.id, message_id) if isinstance(message_id, int) else None
    if message is None:
        raise ApiError(400, "Bad Request: message to delete not found")
    message.deleted = True
    world.notify()
    return True


@_method("sendChatAction")
async def send_chat_action(ctx: Context, params: JSON) -> bool:
    resolve_chat(ctx.world, params)
    if params.get("action") not in CHAT_ACTIONS:
        raise ApiError(400, "Bad Request: wrong parameter action in request")
    return True


@_method("answerCallbackQuery")
async def answer_callback_query(ctx: Context, params: JSON) -> bool:
    world = ctx.world
    query_id = str(params.get("callback_query_id") or "")
    record = world.callbacks.get(query_id)
    if record is None or record.answer is not None:
        raise ApiError(400, QUERY_TOO_OLD)
    text = params.get("text")
    if text is not None and len(str(text)) > 200:
        raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
    answer = AnsweredCallback(
        query_id=query_id,
        text=text,
        show_alert=bool(params.get("show_alert")),
        url=params.get("url"),
        cache_time=params.get("cache_time"),
    )
    record.answer = answer
    world.answered_callbacks.append(answer)
    world.notify()
    return True


def _captioned(
    ctx: Context, user: FakeUser, params: JSON, method: str, **attachment: StoredFile
) -> SentMessage:
    """A bot message carrying a file and an optional caption (sendDocument, sendPhoto)."""
    world = ctx.world
    caption = params.get("caption") or ""
    parsed = format_text(ctx, method, caption, params, caption=True)
    markup = check_markup(params.get("reply_markup"))  # refused before an id is taken
    reply_to = _reply_to(world, user, params)
    return SentMessage(
        message_id=world.next_message_id(user.id),
        chat_id=user.id,
        from_bot=True,
        date=_now(),
        text=parsed.text or None,
        html=caption or None,
        parse_mode=params.get("parse_mode"),
        entities=parsed.entities,
        reply_markup=markup,
        reply_to_message_id=reply_to,
        **attachment,
    )


@_method("sendDocument")
async def send_document(ctx: Context, params: JSON) -> JSON:
    world = ctx.world
    user = resolve_chat(world, params)
    document = params.get("document")
    if isinstance(document, UploadedFile):
        if not document.data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        file_id, unique_id = world.new_file_ids()
        stored = StoredFile(
            file_id, unique_id, document.data, document.filename, document.content_type
        )
    elif isinstance(document, str) and document in world.files:
        stored = world.files[document]
    elif isinstance(document, str) and document.startswith(("http://", "https://")):
        raise ApiError(400, "Bad Request: failed to get HTTP URL content")
    elif document:
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
    else:
        raise ApiError(400, "Bad Request: there is no document in the request")
    message = _captioned(ctx, user, params, "sendDocument", document=stored)
    world.files[stored.file_id] = stored
    world.add_message(message)
    return world.message_dict(message)


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or JPEG from its header, or None if it is neither.

    Telegram decodes an uploaded photo and refuses what it cannot read; reading the
    header is enough for the fake to tell an image from other bytes and to report
    the pixel size in the ``PhotoSize`` objects.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 <= len(data):
            if data[index] != 0xFF:
                return None
            marker = data[index + 1]
            length = int.from_bytes(data[index + 2 : index + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
                height = int.from_bytes(data[index + 5 : index + 7], "big")
                width = int.from_bytes(data[index + 7 : index + 9], "big")
                return width, height
            index += 2 + length
    return None


@_method("sendPhoto")
async def send_photo(ctx: Context, params: JSON) -> JSON:
    world = ctx.world
    user = resolve_chat(world, params)
    photo = params.get("photo")
    if isinstance(photo, UploadedFile):
        if not photo.data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(photo.data) > PHOTO_MAX_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        size = image_size(photo.data)
        if size is None:
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        width, height = size
        if (
            min(width, height) < 1
            or width + height > PHOTO_MAX_SIDES
            or max(width, height) > PHOTO_MAX_RATIO * min(width, height)
        ):
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        file_id, unique_id = world.new_file_ids()
        stored = StoredFile(
            file_id, unique_id, photo.data, photo.filename, photo.content_type, width, height
        )
    elif isinstance(photo, str) and photo in world.files:
        stored = world.files[photo]
        if not stored.is_photo:
            raise ApiError(400, "Bad Request: type of file mismatch")
    elif isinstance(photo, str) and photo.startswith(("http://", "https://")):
        raise ApiError(400, "Bad Request: failed to get HTTP URL content")
    elif photo:
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
    else:
        raise ApiError(400, "Bad Request: there is no photo in the request")
    message = _captioned(ctx, user, params, "sendPhoto", photo=stored)
    for file_id in stored.photo_ids():
        world.files[file_id] = stored
    world.add_message(message)
    return world.message_dict(message)


@_method("getFile")
async def get_file(ctx: Context, params: JSON) -> JSON:
    stored = ctx.world.files.get(str(params.get("file_id") or ""))
    if stored is None:
        raise ApiError(400, "Bad Request: invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
        "file_path": stored.file_path,
    }


# -- commands ---------------------------------------------------------------------------------


def _commands_key(params: JSON) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
    language = params.get("language_code") or ""
    if language and not re.match(r"^[a-z]{2}$", str(language)):
        raise ApiError(400, "Bad Request: invalid language code specified")
    return json.dumps(scope, sort_keys=True), str(language)


def commands_key(scope: JSON | None, language_code: str) -> tuple[str, str]:
    """The key under which commands for a scope and language are stored."""
    return _commands_key({"scope": scope, "language_code": language_code})


@_method("setMyCommands")
async def set_my_commands(ctx: Context, params: JSON) -> bool:
    commands = params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise ApiError(400, "Bad Request: can't parse commands JSON object")
    cleaned = []
    for command in commands:
        if not isinstance(command, dict):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        name = str(command.get("command", "")).removeprefix("/")
        if not _COMMAND_NAME.match(name):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        description = str(command.get("description", "")).strip()
        if not 1 <= len(description) <= 256:
            raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        cleaned.append({"command": name, "description": description})
    key = _commands_key(params)
    if cleaned:
        ctx.world.commands[key] = cleaned
    else:
        ctx.world.commands.pop(key, None)
    return True


@_method("getMyCommands")
async def get_my_commands(ctx: Context, params: JSON) -> list[JSON]:
    return list(ctx.world.commands.get(_commands_key(params), []))


@_method("deleteMyCommands")
async def delete_my_commands(ctx: Context, params: JSON) -> bool:
    ctx.world.commands.pop(_commands_key(params), None)
    return True


#: Canonical method names by their lower-case form (the Bot API ignores case).
CANONICAL = {name.lower(): name for name in HANDLERS}
