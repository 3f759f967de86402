"""The professional's side of pushes and review: starting a pushed exercise, turning
reminders off, reading back their own answers with feedback, and how their group
chose after an exercise."""

from __future__ import annotations

from telegram import Update

from bot.clock import AMSTERDAM
from bot.services.app import App
from bot.services.coaching import Who
from bot.services.review import RunView
from bot.telegram.callbacks import Routes
from bot.telegram.channel import Pressed, TelegramChannel, edit_markup, quietly
from bot.telegram.outcomes import Outcomes
from bot.telegram.outgoing import esc, split
from bot.telegram.presses import RemindersOffPress, StartPushPress


class ProfessionalScreens:
    """What anyone in a group may do with what their trainer sent them."""

    def __init__(self, channel: TelegramChannel, app: App, outcomes: Outcomes) -> None:
        self.channel = channel
        self.coach = channel.coach
        self.pushes = app.pushes
        self.review = app.review
        self.outcomes = outcomes

    def routes(self, table: Routes[Pressed]) -> None:
        table.add(StartPushPress, self.on_start_push)
        table.add(RemindersOffPress, self.on_reminders_off)

    def text(self, who: Who, key: str, **values: object) -> str:
        return self.channel.text(who.locale, key, **values)

    async def on_start_push(self, pressed: Pressed, press: StartPushPress) -> None:
        who, query = pressed.who, pressed.query
        known = press.dialogue_id in self.coach.engine.dialogues
        if not known or not await self.pushes.received(who.id, press.push_id):  # old or forged
            await quietly(query.answer(self.text(who, "pro.push_gone")))
            return
        await quietly(query.answer())
        await edit_markup(query, None)
        turn = await self.coach.start(who, press.dialogue_id, push_id=press.push_id)
        await self.outcomes.show(pressed.update, who, turn, pressed.visit.prompt)

    async def on_reminders_off(self, pressed: Pressed, press: RemindersOffPress) -> None:
        who = pressed.who
        await self.pushes.set_reminders(who.id, False)
        await quietly(pressed.query.answer())
        await edit_markup(pressed.query, None)
        await self.channel.say(pressed.update, who.locale, "pro.reminders_off")

    async def my_answers(self, update: Update, who: Who) -> None:
        """/mijnantwoorden: every run of theirs, its answers and the feedback on them."""
        runs = await self.review.runs_of(who.id, who.id, locale=who.locale)
        if not runs:
            await self.channel.say(update, who.locale, "pro.my_answers_none")
            return
        for run in runs:
            for chunk in split("\n".join(self._run_lines(who, run))):
                await self.channel.send_html(update, chunk)

    def _run_lines(self, who: Who, run: RunView) -> list[str]:
        heading = self.text(
            who,
            "pro.my_answers_run",
            title=run.title,
            status=self.text(who, f"pro.run_status.{run.status}"),
            date=run.started_at.astimezone(AMSTERDAM).strftime("%d-%m-%Y"),
        )
        lines = [f"<b>{esc(heading)}</b>"]
        for answer in run.answers:
            lines.append(esc(self.text(who, "pro.my_answer_line", answer=answer.shown)))
            lines.extend(
                esc(
                    self.text(
                        who,
                        "pro.my_feedback_line",
                        trainer=feedback.trainer_name,
                        text=feedback.text,
                    )
                )
                for feedback in answer.feedback
            )
        return lines

    async def show_group_choices(self, update: Update, who: Who, run_id: int) -> None:
        """After a finished exercise from a push: how the group chose (never names, >= 5)."""
        choices = await self.review.group_choices(who.id, run_id, locale=who.locale)
        if not choices:
            return
        lines = [f"<b>{esc(self.text(who, 'pro.group_choices_title'))}</b>"]
        hidden = self.text(who, "pro.group_choice_hidden")
        for counts in choices.values():
            lines.append("")
            lines.extend(
                esc(
                    self.text(
                        who,
                        "pro.group_choice_line",
                        label=label,
                        count=hidden if cell.hidden and cell.protects else str(cell),
                    )
                )
                for label, cell in counts.items()
            )
        await self.channel.send_html(update, "\n".join(lines))
