"""When an update cannot be answered: the person blocked the bot, or a handler failed.

A webhook must learn that a handler failed, so Telegram delivers the update again
instead of it being lost: `process_durably` reports it.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden
from telegram.ext import ChatMemberHandler, ContextTypes

from bot.telegram.channel import CHANNEL, PTBApplication, TelegramChannel

log = logging.getLogger(__name__)

# Set by the error handler while an update is processed; read by `process_durably`.
_FAILED: ContextVar[bool] = ContextVar("straatwijs_update_failed", default=False)


class Failures:
    """Blocking, unblocking and errors: who can be reached, and a kind word when we fail."""

    def __init__(self, channel: TelegramChannel) -> None:
        self.channel = channel
        self.members = channel.members

    def register(self, application: PTBApplication) -> None:
        application.add_handler(
            ChatMemberHandler(self.on_member_status, ChatMemberHandler.MY_CHAT_MEMBER)
        )
        application.add_error_handler(self.on_error)

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
            locale = self.channel.guess_locale(update.effective_user)
            try:
                await self.channel.say(update, locale, "bot.error")
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


async def process_durably(application: PTBApplication, update: Update) -> bool:
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
