"""What every Telegram handler shares: the person's lock, who wrote, texts in their
language, sending and editing messages, and the buttons of the chat itself.

Who a person is, what they may do and what an answer does are decided by
Members, Coach and the engine; the handlers only translate.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.dialogues.catalog import Catalog
from bot.dialogues.content import fill
from bot.services.coaching import Coach, Who
from bot.services.membership import Members, Visit
from bot.telegram.callbacks import Button, Routes, parse
from bot.telegram.locks import KeyedLocks
from bot.telegram.outgoing import esc

log = logging.getLogger(__name__)

CHANNEL = "telegram"
COMMANDS = (
    "oefeningen",
    "voortgang",
    "mijnantwoorden",
    "groep",
    "dashboard",
    "mijngegevens",
    "verlaten",
    "vergeet",
    "privacy",
    "hulp",
    "taal",
    "start",
)

PTBApplication: TypeAlias = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class Pressed:
    """A button press by someone who joined: what its handler needs to answer it."""

    update: Update
    query: CallbackQuery
    visit: Visit

    @property
    def who(self) -> Who:
        return self.visit.who


@dataclass(frozen=True)
class StrangerPressed:
    """A button press that may come before joining (the consent buttons)."""

    update: Update
    query: CallbackQuery
    user: User


class TelegramChannel:
    """The plumbing the handlers share, bound to the services they all use."""

    def __init__(
        self, coach: Coach, members: Members, catalog: Catalog, default_locale: str
    ) -> None:
        self.coach = coach
        self.members = members
        self.catalog = catalog
        self.default_locale = default_locale
        self.locks = KeyedLocks()
        # Buttons of the chat itself (exercises, menus, language): the handlers add theirs.
        self.buttons: Routes[Pressed] = Routes()
        # Buttons anyone may press, before joining too.
        self.stranger_buttons: Routes[StrangerPressed] = Routes()
        # Called after an exercise ends (e.g. to show how the group chose).
        self.on_finished: Callable[[Update, Who, int], Awaitable[None]] | None = None
        # Typed text while a chat task is in progress (a trainer composing a push);
        # returns False when there was no task after all.
        self.on_draft_text: Callable[[Update, Who], Awaitable[bool]] | None = None

    def register(self, application: PTBApplication) -> None:
        """The catch-all for buttons: add it after every family with a pattern of its own."""
        application.add_handler(CallbackQueryHandler(self.on_callback))

    async def publish_commands(self, application: PTBApplication) -> None:
        """The command list in every locale (Telegram picks by the user's language)."""
        for locale in self.catalog.locales:
            commands = [BotCommand(c, self.text(locale, f"bot.commands.{c}")) for c in COMMANDS]
            await application.bot.set_my_commands(commands, language_code=locale)
        default = [
            BotCommand(c, self.text(self.default_locale, f"bot.commands.{c}")) for c in COMMANDS
        ]
        await application.bot.set_my_commands(default)

    # -- texts and messages -------------------------------------------------------------------

    def text(self, locale: str, key: str, **values: object) -> str:
        return fill(self.catalog.text(locale, key), {k: str(v) for k, v in values.items()})

    def guess_locale(self, user: User | None) -> str:
        code = (user.language_code or "") if user else ""
        for locale in self.catalog.locales:
            if code.lower().startswith(locale):
                return locale
        return self.default_locale

    def locale_of(self, who: Who | None, update: Update) -> str:
        """The person's language, or a guess from Telegram's for someone not joined."""
        return who.locale if who else self.guess_locale(update.effective_user)

    async def say(self, update: Update, locale: str, key: str, **values: object) -> Message | None:
        """Send one text from content to the chat of this update."""
        return await self.send_html(update, esc(self.text(locale, key, **values)))

    async def send_html(
        self, update: Update, html_text: str, keyboard: InlineKeyboardMarkup | None = None
    ) -> Message | None:
        chat = update.effective_chat
        if chat is None:
            return None
        return await chat.get_bot().send_message(
            chat.id, html_text, parse_mode=ParseMode.HTML, reply_markup=keyboard
        )

    # -- who wrote ----------------------------------------------------------------------------

    async def identify(self, update: Update) -> Who | None:
        visit = await self.visit(update)
        return visit.who if visit else None

    async def visit(self, update: Update) -> Visit | None:
        """Who sent this update (None: not joined), with their prompt; someone who
        had blocked the bot and writes again is reachable again."""
        user = update.effective_user
        if user is None:
            return None
        visit = await self.members.visit(CHANNEL, str(user.id))
        if visit is not None and not visit.who.active:
            await self.members.set_active(visit.who, True)
        return visit

    async def joined(self, update: Update) -> Who | None:
        """The person, or None after telling them they have not joined."""
        who = await self.identify(update)
        if who is None:
            await self.say(update, self.guess_locale(update.effective_user), "bot.not_joined")
        return who

    # -- buttons of the chat ------------------------------------------------------------------

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        user = update.effective_user
        if query is None or user is None:
            return
        press = parse(query.data)
        async with self.locks.hold(user.id):
            if press is not None and self.stranger_buttons.handles(press):
                await self.stranger_buttons.route(StrangerPressed(update, query, user), press)
                return
            visit = await self.visit(update)
            if visit is None:
                await quietly(query.answer(self.text(self.guess_locale(user), "bot.not_joined")))
                return
            if press is None or not await self.buttons.route(Pressed(update, query, visit), press):
                await self.stale(query, visit.who)

    async def stale(self, query: CallbackQuery, who: Who) -> None:
        """A button that no longer applies (or never did): say so in its answer."""
        await quietly(query.answer(self.text(who.locale, "common.notice.stale")))


def clean(text: str) -> str:
    """Typed text as we store it: without NUL characters, which PostgreSQL cannot hold."""
    return text.replace("\x00", "")


def button(label: str, press: Button) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=press.data)


def message_id(query: CallbackQuery | None) -> int | None:
    if query is None or not isinstance(query.message, Message):
        return None
    return query.message.message_id


async def edit_text(
    query: CallbackQuery, html_text: str, keyboard: InlineKeyboardMarkup | None
) -> None:
    """Replace the pressed message's text; unchanged or gone is nothing to fail for."""
    try:
        await query.edit_message_text(html_text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    except BadRequest as exc:  # "message is not modified" or gone: nothing to change
        log.debug("edit skipped: %s", exc.message)


async def edit_markup(query: CallbackQuery | None, keyboard: InlineKeyboardMarkup | None) -> None:
    """Replace (or, with None, drop) the buttons of the pressed message; a message
    that is gone or unchanged is nothing to fail the update for."""
    if query is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=keyboard)
    except BadRequest as exc:
        log.debug("edit skipped: %s", exc.message)


async def quietly(pending: Awaitable[object]) -> None:
    """Answer a callback query; an expired query is not worth failing the update for."""
    try:
        await pending
    except BadRequest as exc:
        log.debug("callback answer skipped: %s", exc.message)
