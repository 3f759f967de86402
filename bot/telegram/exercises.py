"""Exercise turns: typed answers, stickers and other media, answer buttons, opening an
exercise, and edits (which do not change an answer)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes, MessageHandler, filters

from bot.engine import Media, Say
from bot.services.coaching import Who
from bot.telegram.channel import Pressed, PTBApplication, TelegramChannel, clean, quietly
from bot.telegram.outcomes import Outcomes
from bot.telegram.presses import OpenPress, RunPress

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


class ExerciseChat:
    """What a person sends or presses while doing an exercise, to the coach and back."""

    def __init__(self, channel: TelegramChannel, outcomes: Outcomes) -> None:
        self.channel = channel
        self.coach = channel.coach
        self.outcomes = outcomes
        channel.buttons.add(RunPress, self.on_run_press)
        channel.buttons.add(OpenPress, self.on_open_press)

    def register(self, application: PTBApplication) -> None:
        """Add the catch-alls for messages: after every command handler."""
        private = filters.ChatType.PRIVATE
        edited = filters.UpdateType.EDITED_MESSAGE & private
        application.add_handler(MessageHandler(edited, self.on_edited))
        fresh = filters.UpdateType.MESSAGE & private
        application.add_handler(MessageHandler(fresh & filters.TEXT, self.on_text))
        application.add_handler(MessageHandler(fresh, self.on_media))

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
        async with self.channel.locks.hold(user.id):
            visit = await self.channel.visit(update)
            if visit is None:
                await self.channel.say(update, self.channel.guess_locale(user), "bot.not_joined")
                return
            who = visit.who
            if isinstance(given, Say) and visit.drafting and await self._draft_took(update, who):
                return
            turn = await self.coach.handle(who, given, once=update.update_id)
            if turn.duplicate:
                return
            if turn.outcome is None:
                await self.channel.say(update, who.locale, "bot.nothing_open")
                return
            await self.outcomes.show(update, who, turn, visit.prompt)

    async def _draft_took(self, update: Update, who: Who) -> bool:
        """Whether a chat task in progress (a trainer composing a push) took this text."""
        hook = self.channel.on_draft_text
        return hook is not None and await hook(update, who)

    async def on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Edits are not re-applied: an answer counts as first sent (documented)."""
        who = await self.channel.identify(update)
        if who is not None:
            await self.channel.say(update, who.locale, "bot.edited")

    async def on_run_press(self, pressed: Pressed, press: RunPress) -> None:
        who, query = pressed.who, pressed.query
        turn = await self.coach.handle(
            who,
            press.given,
            run_id=press.run_id,
            step=press.step,
            once=pressed.update.update_id,
        )
        if turn.duplicate:
            await quietly(query.answer())
            return
        if turn.outcome is None:
            await self.channel.stale(query, who)
            return
        await self.outcomes.show(pressed.update, who, turn, pressed.visit.prompt, query)

    async def on_open_press(self, pressed: Pressed, press: OpenPress) -> None:
        who, query = pressed.who, pressed.query
        if press.dialogue_id not in self.coach.engine.dialogues:
            await self.channel.stale(query, who)
            return
        await quietly(query.answer())
        turn = await self.coach.start(who, press.dialogue_id, once=pressed.update.update_id)
        if not turn.duplicate:
            await self.outcomes.show(pressed.update, who, turn, pressed.visit.prompt)
