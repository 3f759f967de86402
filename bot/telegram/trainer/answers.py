"""A member's answers to a push, and the trainer's feedback on one of them.

Feedback is sent to the professional at once, and claimed first so that the
dispatcher, which sends what the dashboard wrote, never sends it a second time.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError

from bot.services.access import AccessDenied, Gone
from bot.services.coaching import Who
from bot.services.review import FEEDBACK_MAX
from bot.telegram.callbacks import Routes
from bot.telegram.outgoing import esc, split
from bot.telegram.presses import AnswersPress, CancelTaskPress, FeedbackPress, PushPress
from bot.telegram.trainer.screen import Scene, Screen

FEEDBACK_DRAFT = "feedback"

log = logging.getLogger(__name__)


class AnswerScreens(Screen):
    def routes(self, table: Routes[Scene]) -> None:
        table.add(AnswersPress, self.on_answers)
        table.add(FeedbackPress, self.on_feedback)

    async def on_answers(self, scene: Scene, press: AnswersPress) -> None:
        who, push_id, person_id = scene.who, press.push_id, press.person_id
        summary, members = await self.pushes.progress(who.id, push_id)
        member = next((m for m in members if m.person_id == person_id), None)
        if member is None:
            raise Gone
        answers = (await self.review.push_answers(who.id, push_id, locale=who.locale)).get(
            person_id, []
        )
        title = self.title(who, summary.dialogue_id)
        key = "trainer.answers_title" if answers else "trainer.answers_none"
        lines = [self.text(who, key, name=member.first_name, title=title)]
        rows = []
        for number, answer in enumerate(answers, start=1):
            lines.append(self.text(who, "trainer.answer_line", number=number, answer=answer.shown))
            lines.extend(
                self.text(who, "trainer.feedback_line", text=f.text) for f in answer.feedback
            )
            feedback = FeedbackPress(answer.answer_id, person_id, number)
            rows.append([self.button(who, "trainer.btn_feedback", feedback, number=number)])
        rows.append([self.button(who, "trainer.btn_back", PushPress(push_id))])
        chunks = split("\n".join(lines))
        for chunk in chunks[:-1]:
            await self.channel.send_html(scene.update, esc(chunk))
        await self.show(scene if len(chunks) == 1 else scene.below(), esc(chunks[-1]), rows)

    async def on_feedback(self, scene: Scene, press: FeedbackPress) -> None:
        """Ask for the feedback; the text the trainer types next is it."""
        who = scene.who
        # AccessDenied if the person's runs are not the trainer's to see.
        runs = await self.review.runs_of(who.id, press.person_id, locale=who.locale)
        if not any(a.answer_id == press.answer_id for r in runs for a in r.answers):
            raise Gone
        name = await self._member_name(who, press.person_id)
        data = {"answer_id": press.answer_id, "name": name, "number": press.number}
        await self.drafts.put(who.id, FEEDBACK_DRAFT, data)
        rows = [[self.button(who, "trainer.btn_cancel", CancelTaskPress())]]
        await self.channel.send_html(
            scene.update,
            esc(self.text(who, "trainer.feedback_prompt", number=press.number, name=name)),
            InlineKeyboardMarkup(rows),
        )

    async def _member_name(self, who: Who, person_id: int) -> str:
        for group in await self.groups.groups(who.id):
            if group.role != "trainer":
                continue
            for member in await self.groups.members(who.id, group.id):
                if member.person_id == person_id:
                    return member.first_name
        raise AccessDenied

    async def on_typed(self, scene: Scene, data: dict[str, Any], text: str) -> None:
        """The typed feedback: stored, sent to the professional, confirmed to the trainer."""
        who = scene.who
        if len(text) > FEEDBACK_MAX:
            await self.say(scene, "trainer.feedback_too_long")
            return
        await self.drafts.clear(who.id)
        try:
            notice = await self.review.add_feedback(who.id, int(data["answer_id"]), text)
        except Gone:
            await self.say(scene, "trainer.feedback_gone")
            return
        message = self.channel.text(
            notice.locale,
            "pro.feedback",
            title=notice.title,
            answer=notice.answer_shown,
            text=notice.text,
        )
        if await self.review.claim_feedback(notice.feedback_id):  # sent once, by one sender
            try:
                await scene.update.get_bot().send_message(
                    int(notice.external_id), esc(message), parse_mode=ParseMode.HTML
                )
            except Forbidden:
                log.info("feedback stored; the professional cannot be reached")
            except TelegramError:
                await self.review.release_feedback(notice.feedback_id)  # the dispatcher retries
                raise
        await self.say(scene, "trainer.feedback_sent", name=data.get("name", ""))
