"""Telegram handlers: updates in, engine calls, Bot API calls out. Nothing more.

Who a person is, what they may do and what an answer does are decided by
Members, Coach and the engine; this module only translates.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from typing import Any

from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.dialogues.catalog import Catalog
from bot.dialogues.content import fill
from bot.engine import Media, Say
from bot.services.coaching import Coach, Turn, Who
from bot.services.membership import Members, Visit
from bot.telegram import callbacks
from bot.telegram.locks import KeyedLocks
from bot.telegram.outgoing import OutMessage, esc, messages

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
KINDS = ("zelfkennis", "bewustwording", "straatscenario")
PARTS = ("kennis", "bewustwording", "handelingsintelligentie", "zelfkennis", "verbinding")
# Statuses after which the previous question's keyboard no longer applies.
MOVED = ("started", "resumed", "relocated", "advanced", "finished", "back", "paused", "stopped")
MEDIA_KINDS = (
    "sticker",
    "photo",
    "voice",
    "video",
    "video_note",
    "audio",
    "animation",
    "document",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
)


class TelegramChannel:
    """The bot's handlers, bound to the application services."""

    def __init__(
        self, coach: Coach, members: Members, catalog: Catalog, default_locale: str
    ) -> None:
        self.coach = coach
        self.members = members
        self.catalog = catalog
        self.default_locale = default_locale
        self.locks = KeyedLocks()
        # Called after an exercise ends (e.g. to show how the group chose).
        self.on_finished: Callable[[Update, Who, int], Awaitable[None]] | None = None
        # Typed text while a chat task is in progress (a trainer composing a push).
        # Typed text while a chat task is in progress (a trainer composing a push);
        # returns False when there was no task after all.
        self.on_draft_text: Callable[[Update, Who], Awaitable[bool]] | None = None

    # -- wiring ---------------------------------------------------------------------------

    def register(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        private = filters.ChatType.PRIVATE
        application.add_handler(CommandHandler("start", self.on_start, filters=private))
        application.add_handler(CommandHandler("oefeningen", self.on_exercises, filters=private))
        application.add_handler(CommandHandler("hulp", self.on_help, filters=private))
        application.add_handler(CommandHandler("help", self.on_help, filters=private))
        application.add_handler(CommandHandler("taal", self.on_language, filters=private))
        edited = filters.UpdateType.EDITED_MESSAGE & private
        application.add_handler(MessageHandler(edited, self.on_edited))
        fresh = filters.UpdateType.MESSAGE & private
        application.add_handler(MessageHandler(fresh & filters.COMMAND, self.on_unknown_command))
        application.add_handler(MessageHandler(fresh & filters.TEXT, self.on_text))
        application.add_handler(MessageHandler(fresh, self.on_media))
        application.add_handler(CallbackQueryHandler(self.on_callback))
        application.add_handler(
            ChatMemberHandler(self.on_member_status, ChatMemberHandler.MY_CHAT_MEMBER)
        )
        application.add_error_handler(self.on_error)

    async def publish_commands(
        self, application: Application[Any, Any, Any, Any, Any, Any]
    ) -> None:
        """The command list in every locale (Telegram picks by the user's language)."""
        for locale in self.catalog.locales:
            commands = [BotCommand(c, self.text(locale, f"bot.commands.{c}")) for c in COMMANDS]
            await application.bot.set_my_commands(commands, language_code=locale)
        default = [
            BotCommand(c, self.text(self.default_locale, f"bot.commands.{c}")) for c in COMMANDS
        ]
        await application.bot.set_my_commands(default)

    # -- helpers ----------------------------------------------------------------------------

    def text(self, locale: str, key: str, **values: object) -> str:
        return fill(self.catalog.text(locale, key), {k: str(v) for k, v in values.items()})

    def guess_locale(self, user: User | None) -> str:
        code = (user.language_code or "") if user else ""
        for locale in self.catalog.locales:
            if code.lower().startswith(locale):
                return locale
        return self.default_locale

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

    # -- commands -------------------------------------------------------------------------

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if user is None:
            return
        code = clean(context.args[0]) if context.args else None
        async with self.locks.hold(user.id):
            who = await self.identify(update)
            locale = who.locale if who else self.guess_locale(user)
            if code is None:
                await self.say(update, locale, "bot.start_hint" if who else "bot.no_invite")
                return
            if who is not None:  # consent given before: join directly
                joined = await self.members.join(
                    CHANNEL,
                    str(user.id),
                    clean(user.first_name),
                    locale,
                    code,
                    once=update.update_id,
                )
                if not joined.duplicate:
                    await self._joined_message(update, locale, joined.status, joined.group)
                    if joined.status in ("joined_also", "already_member"):
                        await self.say(update, locale, "bot.start_hint")
                return
            check = await self.members.check_invite(code)
            if check.status != "ok":
                await self.say(update, locale, f"bot.invite_{check.status}")
                return
            welcome = self.text(
                locale, "bot.welcome", first_name=user.first_name, group=check.group
            )
            consent = self.text(locale, "bot.consent")
            keyboard = InlineKeyboardMarkup(
                [
                    [_button(self.text(locale, "bot.consent_yes"), callbacks.consent_button(code))],
                    [_button(self.text(locale, "bot.consent_no"), callbacks.consent_button(None))],
                ]
            )
            await self.send_html(update, esc(welcome))
            await self.send_html(update, esc(consent), keyboard)

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.identify(update)
        locale = who.locale if who else self.guess_locale(update.effective_user)
        await self.say(update, locale, "bot.help" if who else "bot.no_invite")

    async def on_language(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.identify(update)
        if who is None:
            await self.say(update, self.guess_locale(update.effective_user), "bot.not_joined")
            return
        await self.send_html(
            update,
            esc(self.text(who.locale, "bot.language_prompt")),
            self._locale_keyboard(who.locale),
        )

    async def on_exercises(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.identify(update)
        if who is None:
            await self.say(update, self.guess_locale(update.effective_user), "bot.not_joined")
            return
        html_text, keyboard = await self._menu(who, "top")
        await self.send_html(update, html_text, keyboard)

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.identify(update)
        locale = who.locale if who else self.guess_locale(update.effective_user)
        await self.say(update, locale, "bot.unknown_command" if who else "bot.not_joined")

    # -- answers ----------------------------------------------------------------------------

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        await self._answer(update, Say(clean(message.text)))

    async def on_media(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        kind = next((k for k in MEDIA_KINDS if getattr(message, k, None)), "other")
        await self._answer(update, Media(kind))

    async def _answer(self, update: Update, given: Say | Media) -> None:
        user = update.effective_user
        if user is None:
            return
        async with self.locks.hold(user.id):
            visit = await self.visit(update)
            if visit is None:
                await self.say(update, self.guess_locale(user), "bot.not_joined")
                return
            who = visit.who
            if isinstance(given, Say) and visit.drafting and await self._draft_took(update, who):
                return
            turn = await self.coach.handle(who, given, once=update.update_id)
            if turn.duplicate:
                return
            if turn.outcome is None:
                await self.say(update, who.locale, "bot.nothing_open")
                return
            await self.deliver(update, who, turn, visit.prompt)

    async def _draft_took(self, update: Update, who: Who) -> bool:
        """Whether a chat task in progress took this typed text."""
        return self.on_draft_text is not None and await self.on_draft_text(update, who)

    async def on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Edits are not re-applied: an answer counts as first sent (documented)."""
        who = await self.identify(update)
        if who is not None:
            await self.say(update, who.locale, "bot.edited")

    # -- buttons -------------------------------------------------------------------------------

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        user = update.effective_user
        if query is None or user is None:
            return
        press = callbacks.parse(query.data)
        async with self.locks.hold(user.id):
            if isinstance(press, callbacks.ConsentPress):
                await self._consent(update, query, user, press)
                return
            visit = await self.visit(update)
            if visit is None:
                await quietly(query.answer(self.text(self.guess_locale(user), "bot.not_joined")))
                return
            who = visit.who
            if isinstance(press, callbacks.RunPress):
                turn = await self.coach.handle(
                    who, press.given, run_id=press.run_id, step=press.step, once=update.update_id
                )
                if turn.duplicate:
                    await quietly(query.answer())
                    return
                if turn.outcome is None:
                    await quietly(query.answer(self.text(who.locale, "common.notice.stale")))
                    return
                await self.deliver(update, who, turn, visit.prompt, query)
            elif isinstance(press, callbacks.MenuPress):
                await quietly(query.answer())
                html_text, keyboard = await self._menu(who, press.view)
                await _edit(query, html_text, keyboard)
            elif isinstance(press, callbacks.OpenPress):
                await self._open(update, query, visit, press.dialogue_id)
            elif isinstance(press, callbacks.LocalePress) and press.locale in self.catalog.locales:
                await quietly(query.answer())
                changed = await self.members.set_locale(who, press.locale, once=update.update_id)
                if changed is None:  # delivered twice: said already
                    return
                who = changed
                await _edit(query, esc(self.text(who.locale, "bot.language_prompt")), None)
                await self.say(update, who.locale, "bot.language_set")
                await self.say(update, who.locale, "bot.start_hint")
            else:
                await quietly(query.answer(self.text(who.locale, "common.notice.stale")))

    async def _open(
        self, update: Update, query: CallbackQuery, visit: Visit, dialogue_id: str
    ) -> None:
        who = visit.who
        if dialogue_id not in self.coach.engine.dialogues:
            await quietly(query.answer(self.text(who.locale, "common.notice.stale")))
            return
        await quietly(query.answer())
        turn = await self.coach.start(who, dialogue_id, once=update.update_id)
        if not turn.duplicate:
            await self.deliver(update, who, turn, visit.prompt)

    async def _consent(
        self, update: Update, query: CallbackQuery, user: User, press: callbacks.ConsentPress
    ) -> None:
        locale = self.guess_locale(user)
        if press.code is None:
            await quietly(query.answer())
            await edit_markup(query, None)
            await self.say(update, locale, "bot.consent_declined")
            return
        joined = await self.members.join(
            CHANNEL,
            str(user.id),
            clean(user.first_name),
            locale,
            clean(press.code),
            once=update.update_id,
        )
        await quietly(query.answer())
        if joined.duplicate:
            return
        if query.message is not None and isinstance(query.message, Message) and joined.who:
            given = esc(self.text(locale, "bot.consent_given"))
            await _edit(query, f"{query.message.text_html}\n\n<b>{given}</b>", None)
        await self._joined_message(update, locale, joined.status, joined.group)
        if joined.status in ("joined", "joined_also"):
            await self.send_html(
                update, esc(self.text(locale, "bot.language_prompt")), self._locale_keyboard(locale)
            )

    async def _joined_message(
        self, update: Update, locale: str, status: str, group: str | None
    ) -> None:
        key = {
            "joined": "bot.joined",
            "joined_also": "bot.joined_also",
            "already_member": "bot.already_member",
        }.get(status, f"bot.invite_{status}")
        await self.say(update, locale, key, group=group or "")

    # -- delivering an outcome -----------------------------------------------------------------

    async def deliver(
        self,
        update: Update,
        who: Who,
        turn: Turn,
        prompt: int | None,
        query: CallbackQuery | None = None,
    ) -> None:
        """Show what the engine decided: edit the question, send what comes next.

        `prompt` is the message that carried the person's keyboard before this
        update (from `visit`); its buttons go once the conversation moves on, and
        the message with the new keyboard is stored in its place, in one write.
        """
        outcome = turn.outcome
        if outcome is None:
            return
        if query is not None:
            if outcome.status in ("stale", "rejected"):
                await quietly(query.answer(outcome.replies[0].text if outcome.replies else None))
                return
            await quietly(query.answer())
            if outcome.status == "toggled":
                question = messages(outcome.replies[-1], turn.run_id)[-1]
                await edit_markup(query, question.keyboard)
                return
            await self._close_question(query, outcome.echo)
        current = prompt
        try:
            if outcome.status in MOVED or outcome.status in ("rejected", "flagged"):
                if current is not None and current != _message_id(query):
                    await self._clear_keyboard(update, current)
                current = None
            current = await self._send_replies(update, outcome.replies, turn.run_id) or current
            if outcome.status == "finished" and self.on_finished and turn.run_id is not None:
                await self.on_finished(update, who, turn.run_id)
        except Forbidden:
            await self.members.set_active(who, False)
        finally:
            if current != prompt:
                await self.members.set_prompt(who, current)

    async def _send_replies(
        self, update: Update, replies: Sequence[Any], run_id: int | None
    ) -> int | None:
        """Send the replies; the id of the last message with a keyboard, if any."""
        prompt: int | None = None
        for reply in replies:
            for out in messages(reply, run_id):
                sent = await self._send(update, out)
                if sent is not None and out.has_keyboard:
                    prompt = sent.message_id
        return prompt

    async def _send(self, update: Update, out: OutMessage) -> Message | None:
        return await self.send_html(update, out.html, out.keyboard)

    async def _close_question(self, query: CallbackQuery, echo: str | None) -> None:
        """The answered question keeps its text, shows the answer and loses its buttons."""
        message = query.message
        if not isinstance(message, Message):
            return
        if echo:
            await _edit(query, f"{message.text_html}\n\n✓ <i>{esc(echo)}</i>", None)
        else:
            await edit_markup(query, None)

    async def _clear_keyboard(self, update: Update, message_id: int) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        try:
            await chat.get_bot().edit_message_reply_markup(chat.id, message_id, reply_markup=None)
        except BadRequest as exc:  # already cleared, or deleted: nothing to do
            log.debug("prompt not cleared: %s", exc.message)

    # -- menus -------------------------------------------------------------------------------

    async def _menu(self, who: Who, view: str) -> tuple[str, InlineKeyboardMarkup]:
        locale = who.locale
        back = [_button(self.text(locale, "bot.menu.back"), callbacks.menu_button("top"))]
        if view == "parts":
            rows = [
                [_button(self.text(locale, f"bot.part.{p}"), callbacks.menu_button(f"p:{p}"))]
                for p in PARTS
            ]
            return esc(self.text(locale, "bot.menu.parts_title")), InlineKeyboardMarkup(
                [*rows, back]
            )
        if view.startswith(("k:", "p:")):
            field, wanted = view.split(":", 1)
            title_key = f"bot.kind.{wanted}" if field == "k" else f"bot.part.{wanted}"
            exercises = [
                e
                for e in await self.coach.exercises(who)
                if (e.kind if field == "k" else e.part) == wanted
            ]
            rows = [
                [
                    _button(
                        f"{self.text(locale, f'bot.menu.status_{e.status}')} {e.title} · "
                        f"{self.text(locale, 'bot.menu.minutes', minutes=e.minutes)}",
                        callbacks.open_button(e.dialogue_id),
                    )
                ]
                for e in exercises
            ]
            heading = self.text(locale, title_key)
            body = self.text(locale, "bot.menu.legend" if rows else "bot.menu.empty")
            return f"<b>{esc(heading)}</b>\n{esc(body)}", InlineKeyboardMarkup([*rows, back])
        if view == "kb":
            rows = [
                [
                    _button(
                        self.text(locale, f"kennis.{card}.title"),
                        callbacks.menu_button(f"kc:{card}"),
                    )
                ]
                for card in self.catalog.cards()
            ]
            return esc(self.text(locale, "bot.menu.knowledge_title")), InlineKeyboardMarkup(
                [*rows, back]
            )
        if view.startswith("kc:") and view[3:] in self.catalog.cards():
            card = view[3:]
            title, body, source = (
                self.text(locale, f"kennis.{card}.{f}") for f in ("title", "body", "source")
            )
            html_text = f"<b>📘 {esc(title)}</b>\n{esc(body)}\n\n<i>{esc(source)}</i>"
            kb_back = [
                _button(self.text(locale, "bot.menu.knowledge"), callbacks.menu_button("kb"))
            ]
            return html_text, InlineKeyboardMarkup([kb_back, back])
        rows = [
            [_button(self.text(locale, f"bot.kind.{k}"), callbacks.menu_button(f"k:{k}"))]
            for k in KINDS
        ]
        rows.append(
            [_button(self.text(locale, "bot.menu.by_part"), callbacks.menu_button("parts"))]
        )
        rows.append([_button(self.text(locale, "bot.menu.knowledge"), callbacks.menu_button("kb"))])
        return esc(self.text(locale, "bot.menu.title")), InlineKeyboardMarkup(rows)

    def _locale_keyboard(self, current: str) -> InlineKeyboardMarkup:
        buttons = [
            _button(
                ("• " if locale == current else "")
                + self.text(locale, f"bot.language_button_{locale}"),
                callbacks.locale_button(locale),
            )
            for locale in self.catalog.locales
        ]
        return InlineKeyboardMarkup([buttons])

    # -- chat membership and errors -------------------------------------------------------------

    async def on_member_status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Blocking the bot makes a person inactive; restarting it makes them active."""
        change = update.my_chat_member
        if change is None or change.chat.type != ChatType.PRIVATE:
            return  # removing the bot from a group chat is not blocking it
        who = await self.members.find(CHANNEL, str(change.from_user.id))
        if who is None:
            return
        blocked = change.new_chat_member.status == ChatMemberStatus.BANNED
        await self.members.set_active(who, not blocked)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log without message text, tell the person kindly, and let the webhook know."""
        error = context.error
        if isinstance(error, Forbidden):
            # Blocked while we answered: no retry would help and nobody can be told.
            await self._unreachable(update)
            return
        log.error(
            "update handling failed: %s",
            type(error).__name__,
            exc_info=(type(error), error, error.__traceback__) if error else None,
        )
        _FAILED.set(True)
        if isinstance(update, Update) and update.effective_chat is not None:
            locale = self.guess_locale(update.effective_user)
            try:
                await self.say(update, locale, "bot.error")
            except Exception:
                log.warning("could not send the error message")

    async def _unreachable(self, update: object) -> None:
        log.info("update not answered: the person blocked the bot")
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            return
        try:
            who = await self.members.find(CHANNEL, str(user.id))
            if who is not None and who.active:
                await self.members.set_active(who, False)
        except Exception:
            log.warning("could not mark an unreachable person")


# Set by the error handler while an update is processed; read by `process_durably`.
_FAILED: ContextVar[bool] = ContextVar("straatwijs_update_failed", default=False)


async def process_durably(
    application: Application[Any, Any, Any, Any, Any, Any], update: Update
) -> bool:
    """Process one update in this task; False when a handler failed.

    The webhook answers Telegram only after this returns, and with an error when
    it failed, so Telegram delivers the update again instead of it being lost.
    """
    token = _FAILED.set(False)
    try:
        await application.process_update(update)
        return not _FAILED.get()
    finally:
        _FAILED.reset(token)


def clean(text: str) -> str:
    """Typed text as we store it: without NUL characters, which PostgreSQL cannot hold."""
    return text.replace("\x00", "")


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


def _message_id(query: CallbackQuery | None) -> int | None:
    if query is None or not isinstance(query.message, Message):
        return None
    return query.message.message_id


async def _edit(
    query: CallbackQuery, html_text: str, keyboard: InlineKeyboardMarkup | None
) -> None:
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


async def quietly(pending: Any) -> None:
    """Answer a callback query; an expired query is not worth failing the update for."""
    try:
        await pending
    except BadRequest as exc:
        log.debug("callback answer skipped: %s", exc.message)
