"""`/voortgang`: a person's own trend over their check-ins, as a chart in the chat.

Reading the check-ins, drawing the chart and writing its summary belong to
`bot/services/progress.py`; this module only answers the command: the chart as a photo
with the summary as its caption (the caption doubles as the text alternative),
or, before the first check-in, a short invitation with a button that opens it.
"""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardMarkup, Update
from telegram.error import Forbidden
from telegram.ext import CommandHandler, ContextTypes, filters

from bot.services.coaching import Who
from bot.services.progress import CHECKIN, Progress, ProgressTexts, render_chart, summary
from bot.telegram.channel import PTBApplication, TelegramChannel, button
from bot.telegram.outgoing import esc
from bot.telegram.presses import OpenPress

COMMAND = "voortgang"
FILENAME = "voortgang.png"


class ProgressChannel:
    """The /voortgang command, next to the exercise handlers of TelegramChannel."""

    def __init__(self, channel: TelegramChannel, progress: Progress) -> None:
        self.channel = channel
        self.progress = progress

    def register(self, application: PTBApplication) -> None:
        """Add the handler; call before TelegramChannel.register, whose catch-all for
        unknown commands would otherwise answer /voortgang first."""
        private = filters.ChatType.PRIVATE
        application.add_handler(CommandHandler(COMMAND, self.on_progress, filters=private))

    async def on_progress(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if user is None:
            return
        # The person's lock: a check-in finishing at the same moment is either in the
        # chart or not, never half.
        async with self.channel.locks.hold(user.id):
            who = await self.channel.identify(update)
            if who is None:
                await self.channel.say(update, self.channel.guess_locale(user), "bot.not_joined")
                return
            try:
                await self.show(update, who)
            except Forbidden:
                await self.channel.members.set_active(who, False)

    async def show(self, update: Update, who: Who) -> None:
        """The chart with its summary, or the invitation to a first check-in."""
        chat = update.effective_chat
        if chat is None:
            return
        texts = ProgressTexts(self.channel.catalog, who.locale)
        checkins = await self.progress.checkins_of(who.id)
        if not checkins:
            await self.channel.send_html(
                update, esc(texts.get("empty")), self.open_checkin(texts, "button_first")
            )
            return
        # Drawing takes a few hundred milliseconds of CPU: keep the event loop free.
        png = await asyncio.to_thread(render_chart, checkins, texts)
        await chat.get_bot().send_photo(
            chat.id,
            png,
            filename=FILENAME,
            caption=summary(checkins, texts),
            reply_markup=self.open_checkin(texts, "button_again"),
        )

    def open_checkin(self, texts: ProgressTexts, label: str) -> InlineKeyboardMarkup | None:
        """A button that starts (or resumes) the check-in; none if it is not installed."""
        if CHECKIN not in self.channel.coach.engine.dialogues:
            return None
        return InlineKeyboardMarkup([[button(texts.get(label), OpenPress(CHECKIN))]])
