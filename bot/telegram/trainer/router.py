"""The trainer package's way in: its commands, its buttons and typed text for a task
in progress, each handed to the screen it belongs to.

Buttons are routed by kind (see bot/telegram/presses.py): what a professional may
press goes to their screens; everything else only for someone who trains a group.
A refusal by a service (no access, gone, a push that cannot be) is said kindly
here, in one place, whichever screen it came from.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.services.access import AccessDenied, Gone
from bot.services.app import App
from bot.services.coaching import Who
from bot.services.pushes import PushError
from bot.telegram.callbacks import Button, Routes, parse
from bot.telegram.channel import (
    Pressed,
    PTBApplication,
    TelegramChannel,
    clean,
    edit_markup,
    quietly,
)
from bot.telegram.outcomes import Outcomes
from bot.telegram.presses import CancelTaskPress
from bot.telegram.trainer.answers import FEEDBACK_DRAFT, AnswerScreens
from bot.telegram.trainer.dashboard import DashboardLink
from bot.telegram.trainer.groups import GroupScreens
from bot.telegram.trainer.invites import InviteScreens
from bot.telegram.trainer.members import MemberScreens
from bot.telegram.trainer.professional import ProfessionalScreens
from bot.telegram.trainer.push_status import PushStatusScreens
from bot.telegram.trainer.scheduling import PUSH_DRAFT, SchedulingScreens
from bot.telegram.trainer.screen import Scene

# Typed text for a task in progress, by the draft's kind.
Typed = Callable[[Scene, dict[str, Any], str], Awaitable[None]]


class TrainerChannel:
    """Trainer and push handlers, next to the exercise handlers of the chat."""

    def __init__(self, channel: TelegramChannel, app: App, outcomes: Outcomes) -> None:
        self.channel = channel
        self.groups = app.groups
        self.drafts = app.drafts
        self.group_screens = GroupScreens(channel, app)
        self.scheduling = SchedulingScreens(channel, app)
        self.answers = AnswerScreens(channel, app)
        self.professional = ProfessionalScreens(channel, app, outcomes)
        self.dashboard = DashboardLink(channel, app.logins)
        self.for_trainers: Routes[Scene] = Routes()
        for screens in (
            self.group_screens,
            MemberScreens(channel, app),
            InviteScreens(channel, app),
            self.scheduling,
            PushStatusScreens(channel, app),
            self.answers,
        ):
            screens.routes(self.for_trainers)
        self.for_trainers.add(CancelTaskPress, self.on_cancel_task)
        self.for_members: Routes[Pressed] = Routes()
        self.professional.routes(self.for_members)
        self.typed: dict[str, Typed] = {
            PUSH_DRAFT: self.scheduling.on_typed,
            FEEDBACK_DRAFT: self.answers.on_typed,
        }
        channel.on_finished = self.professional.show_group_choices
        channel.on_draft_text = self.on_draft_text

    def register(self, application: PTBApplication) -> None:
        """Add handlers; before the chat's own, whose catch-alls would match first."""
        private = filters.ChatType.PRIVATE
        application.add_handler(CommandHandler("groep", self.on_groups, filters=private))
        application.add_handler(
            CommandHandler("mijnantwoorden", self.on_my_answers, filters=private)
        )
        application.add_handler(
            CommandHandler("dashboard", self.dashboard.on_dashboard, filters=private)
        )
        application.add_handler(CallbackQueryHandler(self.on_callback, pattern=self.owns))

    def owns(self, data: object) -> bool:
        """Whether a button is ours (by its kind, even when malformed: ours to refuse)."""
        return self.for_trainers.owns(data) or self.for_members.owns(data)

    # -- commands -----------------------------------------------------------------------------

    async def on_groups(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.trainer(update)
        if who is not None:
            await self.group_screens.group_list(Scene(update, who))

    async def on_my_answers(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.channel.joined(update)
        if who is not None:
            await self.professional.my_answers(update, who)

    async def trainer(self, update: Update) -> Who | None:
        """The person if they train some group; otherwise say what this is for."""
        who = await self.channel.joined(update)
        if who is None:
            return None
        if not await self.groups.is_trainer(who.id):
            await self.channel.say(update, who.locale, "trainer.only_trainers")
            return None
        return who

    # -- buttons ------------------------------------------------------------------------------

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        user = update.effective_user
        if query is None or user is None or query.data is None:
            return
        async with self.channel.locks.hold(user.id):
            if not await self.drafts.first_time(update.update_id):
                await quietly(query.answer())
                return
            visit = await self.channel.visit(update)
            if visit is None:
                locale = self.channel.guess_locale(user)
                await quietly(query.answer(self.channel.text(locale, "bot.not_joined")))
                return
            scene = Scene(update, visit.who, query)
            try:
                await self.press(Pressed(update, query, visit), scene, parse(query.data))
            except (AccessDenied, ValueError):
                await self.say(scene, "trainer.not_allowed")
            except Gone:
                await self.say(scene, "trainer.gone")
            except PushError as exc:
                await self.scheduling.refused(scene, exc)

    async def press(self, pressed: Pressed, scene: Scene, press: Button | None) -> None:
        """Route a press: a professional's to their screens, any other only for trainers."""
        query, who = pressed.query, pressed.who
        if press is None:  # malformed or forged data with one of our prefixes
            await quietly(query.answer())
            raise ValueError("callback data we never made")
        if self.for_members.handles(press):
            await self.for_members.route(pressed, press)
            return
        if not await self.groups.is_trainer(who.id):
            await quietly(query.answer(self.channel.text(who.locale, "trainer.only_trainers")))
            return
        await quietly(query.answer())
        await self.for_trainers.route(scene, press)

    async def on_cancel_task(self, scene: Scene, press: CancelTaskPress) -> None:
        await self.drafts.clear(scene.who.id)
        await edit_markup(scene.query, None)
        await self.say(scene, "trainer.cancelled")

    # -- typed text ---------------------------------------------------------------------------

    async def on_draft_text(self, update: Update, who: Who) -> bool:
        """Typed text for a task in progress (a push time or note, feedback) goes there.

        The channel calls this, under the person's lock, when its visit saw a draft;
        False: no task any more, so the text is an ordinary answer after all.
        """
        message = update.effective_message
        if message is None or message.text is None:
            return False
        task = await self.drafts.get(who.id)
        if task is None:
            return False
        if not await self.drafts.first_time(update.update_id):
            return True
        typed = self.typed.get(task.kind)
        if typed is None:
            return True
        scene = Scene(update, who)
        try:
            await typed(scene, task.data, clean(message.text).strip())
        except AccessDenied:
            await self.drafts.clear(who.id)
            await self.say(scene, "trainer.not_allowed")
        except PushError as exc:
            await self.scheduling.refused(scene, exc)
        return True

    async def say(self, scene: Scene, key: str) -> None:
        await self.channel.say(scene.update, scene.who.locale, key)
