"""Showing what the engine decided: the answered question closed, the replies sent,
and the person's one live keyboard moved to the newest question."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest, Forbidden

from bot.engine import Outcome, Reply
from bot.services.coaching import Turn, Who
from bot.telegram.channel import TelegramChannel, edit_markup, edit_text, message_id, quietly
from bot.telegram.outgoing import esc, messages

log = logging.getLogger(__name__)

# Statuses after which the previous question's keyboard no longer applies.
MOVED = ("started", "resumed", "relocated", "advanced", "finished", "back", "paused", "stopped")


class Outcomes:
    """The one place a turn's outcome becomes Bot API calls, whichever handler ran
    the turn (a typed answer, a button, a push being started)."""

    def __init__(self, channel: TelegramChannel) -> None:
        self.channel = channel
        self.members = channel.members

    async def show(
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
        if query is not None and not await self._answer_press(query, outcome, turn.run_id):
            return
        current = prompt
        try:
            if outcome.status in MOVED or outcome.status in ("rejected", "flagged"):
                if current is not None and current != message_id(query):
                    await self._clear_keyboard(update, current)
                current = None
            current = await self._send_replies(update, outcome.replies, turn.run_id) or current
            if outcome.status == "finished" and turn.run_id is not None:
                await self._finished(update, who, turn.run_id)
        except Forbidden:
            await self.members.set_active(who, False)
        finally:
            if current != prompt:
                await self.members.set_prompt(who, current)

    async def _answer_press(
        self, query: CallbackQuery, outcome: Outcome, run_id: int | None
    ) -> bool:
        """Answer the pressed button; False when that was all there was to show."""
        if outcome.status in ("stale", "rejected"):
            await quietly(query.answer(outcome.replies[0].text if outcome.replies else None))
            return False
        await quietly(query.answer())
        if outcome.status == "toggled":
            question = messages(outcome.replies[-1], run_id)[-1]
            await edit_markup(query, question.keyboard)
            return False
        await self._close_question(query, outcome.echo)
        return True

    async def _finished(self, update: Update, who: Who, run_id: int) -> None:
        if self.channel.on_finished is not None:
            await self.channel.on_finished(update, who, run_id)

    async def _send_replies(
        self, update: Update, replies: Sequence[Reply], run_id: int | None
    ) -> int | None:
        """Send the replies; the id of the last message with a keyboard, if any."""
        prompt: int | None = None
        for reply in replies:
            for out in messages(reply, run_id):
                sent = await self.channel.send_html(update, out.html, out.keyboard)
                if sent is not None and out.has_keyboard:
                    prompt = sent.message_id
        return prompt

    async def _close_question(self, query: CallbackQuery, echo: str | None) -> None:
        """The answered question keeps its text, shows the answer and loses its buttons."""
        message = query.message
        if not isinstance(message, Message):
            return
        if echo:
            await edit_text(query, f"{message.text_html}\n\n✓ <i>{esc(echo)}</i>", None)
        else:
            await edit_markup(query, None)

    async def _clear_keyboard(self, update: Update, prompt: int) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        try:
            await chat.get_bot().edit_message_reply_markup(chat.id, prompt, reply_markup=None)
        except BadRequest as exc:  # already cleared, or deleted: nothing to do
            log.debug("prompt not cleared: %s", exc.message)
