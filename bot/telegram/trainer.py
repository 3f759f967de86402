"""Telegram handlers for trainers (groups, invites, pushes, review, feedback) and
for what professionals do with pushes, feedback and their own answers.

Access is decided by Review and Pushes in their queries; this module only shows
what they allow and says so kindly when they refuse.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot.clock import AMSTERDAM
from bot.services.access import AccessDenied, Gone
from bot.services.app import App
from bot.services.coaching import Who
from bot.services.logins import NoDashboardRole
from bot.services.membership import Visit
from bot.services.pushes import PushError, PushSummary, parse_when
from bot.telegram.callbacks import in_range
from bot.telegram.channel import TelegramChannel, clean, edit_markup, quietly
from bot.telegram.outgoing import esc, split

log = logging.getLogger(__name__)

PATTERN = r"^(G|g|gm|gx|gX|gi|ir|id|iu|pn|pd|pw|pk|pq|pg|gp|pv|pc|pa|fb|x|s|rq)(:|$)"
MAX_FEEDBACK = 2000


class TrainerChannel:
    """Trainer and push handlers, next to the exercise handlers of TelegramChannel."""

    def __init__(self, channel: TelegramChannel, app: App) -> None:
        self.channel = channel
        self.review = app.review
        self.groups = app.groups
        self.pushes = app.pushes
        self.drafts = app.drafts
        self.logins = app.logins
        self.clock = app.clock
        channel.on_finished = self.show_group_choices
        channel.on_draft_text = self.on_draft_text

    def register(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Add handlers; call before TelegramChannel.register so these match first."""
        private = filters.ChatType.PRIVATE
        application.add_handler(CommandHandler("groep", self.on_groups, filters=private))
        application.add_handler(
            CommandHandler("mijnantwoorden", self.on_my_answers, filters=private)
        )
        application.add_handler(CommandHandler("dashboard", self.on_dashboard, filters=private))
        application.add_handler(CallbackQueryHandler(self.on_callback, pattern=PATTERN))

    # -- helpers -----------------------------------------------------------------------------

    def text(self, who: Who, key: str, **values: object) -> str:
        return self.channel.text(who.locale, key, **values)

    def title(self, who: Who, dialogue_id: str) -> str:
        loaded = self.channel.catalog.dialogues.get(dialogue_id)
        return self.channel.catalog.text(who.locale, loaded.spec.title) if loaded else dialogue_id

    def when(self, moment: datetime) -> str:
        return moment.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")

    def button(self, who: Who, key: str, data: str, **values: object) -> InlineKeyboardButton:
        return InlineKeyboardButton(self.text(who, key, **values), callback_data=data)

    async def show(
        self,
        update: Update,
        html_text: str,
        rows: list[list[InlineKeyboardButton]] | None = None,
        query: CallbackQuery | None = None,
    ) -> None:
        """Edit the message the button was on, or send a new one."""
        keyboard = InlineKeyboardMarkup(rows) if rows else None
        if query is not None:
            try:
                await query.edit_message_text(
                    html_text, parse_mode=ParseMode.HTML, reply_markup=keyboard
                )
                return
            except BadRequest as exc:
                if "not modified" in exc.message:
                    return
        await self.channel.send_html(update, html_text, keyboard)

    async def trainer(self, update: Update) -> Who | None:
        """The person if they train some group; otherwise say what this is for."""
        who = await self.channel.identify(update)
        if who is None:
            await self.channel.say(
                update, self.channel.guess_locale(update.effective_user), "bot.not_joined"
            )
            return None
        if not await self.groups.is_trainer(who.id):
            await self.channel.say(update, who.locale, "trainer.only_trainers")
            return None
        return who

    # -- commands --------------------------------------------------------------------------------

    async def on_groups(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.trainer(update)
        if who is not None:
            await self.groups_view(update, who)

    async def groups_view(
        self, update: Update, who: Who, query: CallbackQuery | None = None
    ) -> None:
        groups = [g for g in await self.groups.groups(who.id) if g.role == "trainer"]
        rows = [
            [InlineKeyboardButton(f"{g.name} · {g.organisation}", callback_data=f"g:{g.id}")]
            for g in groups
        ]
        await self.show(update, esc(self.text(who, "trainer.groups_title")), rows, query)

    async def on_dashboard(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A single-use dashboard login link, for trainers and coordinators only."""

        who = await self.channel.identify(update)
        if who is None:
            await self.channel.say(
                update, self.channel.guess_locale(update.effective_user), "bot.not_joined"
            )
            return
        try:
            url, expires = await self.logins.link_for(who.id)
        except NoDashboardRole:
            await self.channel.say(update, who.locale, "trainer.dashboard_only")
            return
        until = expires.astimezone(AMSTERDAM).strftime("%H:%M")
        await self.channel.send_html(
            update, f"{esc(self.text(who, 'trainer.dashboard_link', until=until))}\n{esc(url)}"
        )

    async def on_my_answers(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.channel.identify(update)
        if who is None:
            await self.channel.say(
                update, self.channel.guess_locale(update.effective_user), "bot.not_joined"
            )
            return
        runs = await self.review.runs_of(who.id, who.id, locale=who.locale)
        if not runs:
            await self.channel.say(update, who.locale, "pro.my_answers_none")
            return
        for run in runs:
            lines = [
                "<b>"
                + esc(
                    self.text(
                        who,
                        "pro.my_answers_run",
                        title=run.title,
                        status=self.text(who, f"pro.run_status.{run.status}"),
                        date=run.started_at.astimezone(AMSTERDAM).strftime("%d-%m-%Y"),
                    )
                )
                + "</b>"
            ]
            for answer in run.answers:
                lines.append(esc(self.text(who, "pro.my_answer_line", answer=answer.shown)))
                for feedback in answer.feedback:
                    lines.append(
                        esc(
                            self.text(
                                who,
                                "pro.my_feedback_line",
                                trainer=feedback.trainer_name,
                                text=feedback.text,
                            )
                        )
                    )
            for chunk in split("\n".join(lines)):
                await self.channel.send_html(update, chunk)

    # -- buttons -----------------------------------------------------------------------------

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
            who = visit.who
            head, *args = query.data.split(":")
            try:
                if not all(map(in_range, args)):
                    raise ValueError("an id out of range")
                if head in ("s", "rq"):
                    await self.professional_press(update, query, visit, head, args)
                    return
                if not await self.groups.is_trainer(who.id):
                    await quietly(query.answer(self.text(who, "trainer.only_trainers")))
                    return
                await quietly(query.answer())
                await self.trainer_press(update, query, who, head, args)
            except (AccessDenied, ValueError, IndexError):
                await self.channel.say(update, who.locale, "trainer.not_allowed")
            except Gone:
                await self.channel.say(update, who.locale, "trainer.gone")
            except PushError as exc:
                await self.push_error(update, who, exc)

    async def professional_press(
        self, update: Update, query: CallbackQuery, visit: Visit, head: str, args: list[str]
    ) -> None:
        who = visit.who
        if head == "rq":
            await self.pushes.set_reminders(who.id, False)
            await quietly(query.answer())
            await edit_markup(query, None)
            await self.channel.say(update, who.locale, "pro.reminders_off")
            return
        push_id, dialogue_id = int(args[0]), args[1]
        known = dialogue_id in self.channel.coach.engine.dialogues
        if not known or not await self.pushes.received(who.id, push_id):  # old or forged
            await quietly(query.answer(self.text(who, "pro.push_gone")))
            return
        await quietly(query.answer())
        await edit_markup(query, None)
        turn = await self.channel.coach.start(who, dialogue_id, push_id=push_id)
        await self.channel.deliver(update, who, turn, visit.prompt)

    async def trainer_press(
        self, update: Update, query: CallbackQuery, who: Who, head: str, args: list[str]
    ) -> None:
        if head == "G":
            await self.groups_view(update, who, query)
        elif head == "g":
            await self.group_view(update, who, int(args[0]), query)
        elif head == "gm":
            await self.members_view(update, who, int(args[0]), query)
        elif head == "gx":
            await self.remove_ask(update, who, int(args[0]), int(args[1]), query)
        elif head == "gX":
            await self.remove(update, who, int(args[0]), int(args[1]), query)
        elif head in ("gi", "ir", "id", "iu"):
            await self.invite_step(update, who, head, args, query)
        elif head == "pn":
            await self.push_exercises(update, who, int(args[0]), query)
        elif head == "pd":
            await self.drafts.put(
                who.id, "push", {"group_id": int(args[0]), "dialogue_id": args[1]}
            )
            await self.push_when(update, who, query)
        elif head == "pw":
            await self.push_when_chosen(update, who, args[0], query)
        elif head == "pk":
            await self.push_note_chosen(update, who, None)
        elif head == "pq":
            await self.push_toggle_quiet(update, who, query)
        elif head == "pg":
            await self.push_confirm(update, who, query)
        elif head == "gp":
            await self.pushes_view(update, who, int(args[0]), query)
        elif head == "pv":
            await self.push_view(update, who, int(args[0]), query)
        elif head == "pc":
            summary = await self.pushes.cancel(who.id, int(args[0]))
            await self.channel.say(update, who.locale, "trainer.push_cancelled")
            await self.push_view(update, who, summary.id, None)
        elif head == "pa":
            await self.answers_view(update, who, int(args[0]), int(args[1]), query)
        elif head == "fb":
            await self.feedback_start(update, who, int(args[0]), args[1], int(args[2]))
        elif head == "x":
            await self.drafts.clear(who.id)
            await edit_markup(query, None)
            await self.channel.say(update, who.locale, "trainer.cancelled")

    # -- groups, members, invites -------------------------------------------------------------

    async def group_view(
        self, update: Update, who: Who, group_id: int, query: CallbackQuery | None
    ) -> None:
        group = next((g for g in await self.groups.groups(who.id) if g.id == group_id), None)
        if group is None or group.role != "trainer":
            raise AccessDenied
        rows = [
            [self.button(who, "trainer.btn_members", f"gm:{group_id}")],
            [self.button(who, "trainer.btn_new_push", f"pn:{group_id}")],
            [self.button(who, "trainer.btn_pushes", f"gp:{group_id}")],
            [self.button(who, "trainer.btn_invite", f"gi:{group_id}")],
            [self.button(who, "trainer.btn_back", "G")],
        ]
        text = self.text(
            who,
            "trainer.group_title",
            group=group.name,
            organisation=group.organisation,
            members=group.members,
        )
        await self.show(update, esc(text), rows, query)

    async def members_view(
        self, update: Update, who: Who, group_id: int, query: CallbackQuery | None
    ) -> None:
        members = await self.groups.members(who.id, group_id)
        name = await self.group_name(who, group_id)
        lines = [self.text(who, "trainer.members_title", group=name)]
        rows = []
        for member in members:
            inactive = "" if member.active else self.text(who, "trainer.inactive_mark")
            role = self.text(who, f"trainer.role.{member.role}")
            lines.append(
                self.text(
                    who, "trainer.member_line", name=member.first_name, role=role, inactive=inactive
                )
            )
            if member.person_id != who.id:
                rows.append(
                    [
                        InlineKeyboardButton(
                            f"✖️ {member.first_name}",
                            callback_data=f"gx:{group_id}:{member.person_id}",
                        )
                    ]
                )
        rows.append([self.button(who, "trainer.btn_back", f"g:{group_id}")])
        await self.show(update, esc("\n".join(lines)), rows, query)

    async def remove_ask(
        self, update: Update, who: Who, group_id: int, person_id: int, query: CallbackQuery | None
    ) -> None:
        members = {m.person_id: m for m in await self.groups.members(who.id, group_id)}
        if person_id not in members:
            raise Gone
        text = self.text(
            who,
            "trainer.remove_confirm",
            name=members[person_id].first_name,
            group=await self.group_name(who, group_id),
        )
        rows = [
            [self.button(who, "trainer.btn_remove_yes", f"gX:{group_id}:{person_id}")],
            [self.button(who, "trainer.btn_cancel", f"gm:{group_id}")],
        ]
        await self.show(update, esc(text), rows, query)

    async def remove(
        self, update: Update, who: Who, group_id: int, person_id: int, query: CallbackQuery | None
    ) -> None:
        if person_id == who.id:
            await self.channel.say(update, who.locale, "trainer.cannot_remove_self")
            return
        members = {m.person_id: m for m in await self.groups.members(who.id, group_id)}
        name = members[person_id].first_name if person_id in members else "?"
        group = await self.group_name(who, group_id)
        await self.groups.remove_member(who.id, group_id, person_id)
        await self.channel.say(update, who.locale, "trainer.removed", name=name, group=group)
        await self.members_view(update, who, group_id, None)

    async def invite_step(
        self, update: Update, who: Who, head: str, args: list[str], query: CallbackQuery | None
    ) -> None:
        group_id = int(args[0])
        await self.groups.members(who.id, group_id)  # AccessDenied for a group that is not theirs
        back = [self.button(who, "trainer.btn_back", f"g:{group_id}")]
        if head == "gi":
            rows = [
                [self.button(who, f"trainer.role.{role}", f"ir:{group_id}:{role[0]}")]
                for role in ("professional", "trainer")
            ]
            await self.show(
                update, esc(self.text(who, "trainer.invite_role")), [*rows, back], query
            )
        elif head == "ir":
            rows = [
                [
                    self.button(who, "trainer.btn_days", f"id:{group_id}:{args[1]}:{d}", days=d)
                    for d in (7, 14, 30)
                ]
            ]
            await self.show(
                update, esc(self.text(who, "trainer.invite_days")), [*rows, back], query
            )
        elif head == "id":
            base = f"iu:{group_id}:{args[1]}:{int(args[2])}"
            rows = [
                [self.button(who, "trainer.btn_uses_unlimited", f"{base}:0")],
                [InlineKeyboardButton(str(n), callback_data=f"{base}:{n}") for n in (1, 5, 10, 25)],
            ]
            await self.show(
                update, esc(self.text(who, "trainer.invite_uses")), [*rows, back], query
            )
        else:
            role = {"p": "professional", "t": "trainer"}[args[1]]
            days, uses = int(args[2]), int(args[3])
            if not (1 <= days <= 90 and 0 <= uses <= 1000):
                raise ValueError("out of range")
            expires = self.clock.now() + timedelta(days=days)
            code = await self.groups.invite(who.id, group_id, role, expires, uses or None)
            usage = (
                self.text(who, "trainer.uses_limited", uses=uses)
                if uses
                else self.text(who, "trainer.uses_unlimited")
            )
            text = self.text(
                who,
                "trainer.invite_ready",
                group=await self.group_name(who, group_id),
                role=self.text(who, f"trainer.role.{role}"),
                until=self.when(expires),
                uses=usage,
            )
            link = f"https://t.me/{update.get_bot().username}?start={code}"
            await self.show(update, f"{esc(text)}\n{esc(link)}", None, query)

    async def group_name(self, who: Who, group_id: int) -> str:
        group = next((g for g in await self.groups.groups(who.id) if g.id == group_id), None)
        if group is None:
            raise AccessDenied
        return group.name

    # -- pushes ---------------------------------------------------------------------------------

    async def push_exercises(
        self, update: Update, who: Who, group_id: int, query: CallbackQuery | None
    ) -> None:
        group = await self.group_name(who, group_id)
        rows = [
            [
                InlineKeyboardButton(
                    f"{self.title(who, did)} · {loaded.spec.minutes} min",
                    callback_data=f"pd:{group_id}:{did}",
                )
            ]
            for did, loaded in sorted(self.channel.catalog.dialogues.items())
        ]
        rows.append([self.button(who, "trainer.btn_back", f"g:{group_id}")])
        await self.show(
            update, esc(self.text(who, "trainer.push_choose_exercise", group=group)), rows, query
        )

    async def push_when(self, update: Update, who: Who, query: CallbackQuery | None) -> None:
        task = await self.drafts.get(who.id)
        if task is None or task.kind != "push":
            return
        data = task.data
        text = self.text(
            who,
            "trainer.push_choose_when",
            title=self.title(who, data["dialogue_id"]),
            group=await self.group_name(who, data["group_id"]),
        )
        rows = [
            [self.button(who, "trainer.btn_now", "pw:now")],
            [
                self.button(who, "trainer.btn_tomorrow_9", "pw:t9"),
                self.button(who, "trainer.btn_monday_9", "pw:m9"),
            ],
            [self.button(who, "trainer.btn_type_time", "pw:type")],
            [self.button(who, "trainer.btn_cancel", "x")],
        ]
        await self.show(update, esc(text), rows, query)

    async def push_when_chosen(
        self, update: Update, who: Who, choice: str, query: CallbackQuery | None
    ) -> None:
        task = await self.drafts.get(who.id)
        if task is None or task.kind != "push":
            return
        if choice == "type":
            await self.drafts.put(who.id, "push", task.data | {"step": "time"})
            await self.channel.say(update, who.locale, "trainer.push_type_time")
            return
        now = self.clock.now()
        moment = {
            "now": now,
            "t9": parse_when("morgen 9:00", now),
            "m9": parse_when("maandag 9:00", now),
        }.get(choice)
        if moment is None:
            return
        await edit_markup(query, None)
        await self.push_time_set(update, who, task.data, moment, now=choice == "now")

    async def push_time_set(
        self, update: Update, who: Who, data: dict[str, Any], moment: datetime, now: bool
    ) -> None:
        data = data | {"when": None if now else moment.isoformat(), "step": "note"}
        await self.drafts.put(who.id, "push", data)
        rows = [
            [self.button(who, "trainer.btn_no_note", "pk")],
            [self.button(who, "trainer.btn_cancel", "x")],
        ]
        await self.channel.send_html(
            update, esc(self.text(who, "trainer.push_note")), InlineKeyboardMarkup(rows)
        )

    async def push_note_chosen(self, update: Update, who: Who, note: str | None) -> None:
        task = await self.drafts.get(who.id)
        if task is None or task.kind != "push":
            return
        data = task.data | {"note": note, "step": "confirm"}
        await self.drafts.put(who.id, "push", data)
        await self.push_summary(update, who, data, None)

    async def push_summary(
        self, update: Update, who: Who, data: dict[str, Any], query: CallbackQuery | None
    ) -> None:
        when = datetime.fromisoformat(data["when"]) if data.get("when") else None
        moment = when or self.clock.now()
        quiet = self.pushes.quiet
        lines = [
            self.text(
                who,
                "trainer.push_summary",
                title=self.title(who, data["dialogue_id"]),
                group=await self.group_name(who, data["group_id"]),
                when=self.text(who, "trainer.btn_now") if when is None else self.when(moment),
                note=data.get("note") or self.text(who, "trainer.no_note"),
            )
        ]
        override = bool(data.get("override"))
        if quiet.contains(moment):
            if override:
                lines.append(self.text(who, "trainer.quiet_ignored"))
            else:
                lines.append(
                    self.text(
                        who,
                        "trainer.quiet_moved",
                        start=quiet.start.strftime("%H:%M"),
                        end=quiet.end.strftime("%H:%M"),
                        due=self.when(quiet.next_allowed(moment)),
                    )
                )
        toggle = "trainer.btn_respect_quiet" if override else "trainer.btn_override_quiet"
        rows = [
            [self.button(who, "trainer.btn_confirm", "pg")],
            [self.button(who, toggle, "pq")],
            [self.button(who, "trainer.btn_cancel", "x")],
        ]
        await self.show(update, esc("\n".join(lines)), rows, query)

    async def push_toggle_quiet(
        self, update: Update, who: Who, query: CallbackQuery | None
    ) -> None:
        task = await self.drafts.get(who.id)
        if task is None or task.kind != "push" or task.data.get("step") != "confirm":
            return
        data = task.data | {"override": not task.data.get("override")}
        await self.drafts.put(who.id, "push", data)
        await self.push_summary(update, who, data, query)

    async def push_confirm(self, update: Update, who: Who, query: CallbackQuery | None) -> None:
        task = await self.drafts.get(who.id)
        if task is None or task.kind != "push" or task.data.get("step") != "confirm":
            return
        data = task.data
        await self.drafts.clear(who.id)
        await edit_markup(query, None)
        when = datetime.fromisoformat(data["when"]) if data.get("when") else None
        summary = await self.pushes.create(
            who.id,
            data["group_id"],
            data["dialogue_id"],
            when,
            note=data.get("note"),
            override_quiet=bool(data.get("override")),
        )
        await self.channel.say(
            update,
            who.locale,
            "trainer.push_created",
            title=self.title(who, summary.dialogue_id),
            group=summary.group_name,
            when=self.when(summary.due_at),
        )

    async def push_error(self, update: Update, who: Who, exc: PushError) -> None:
        key = {
            "not_trainer": "trainer.push_not_trainer",
            "empty_group": "trainer.push_empty_group",
            "in_past": "trainer.push_past",
            "unparseable": "trainer.push_bad_time",
            "not_found": "trainer.gone",
            "not_cancellable": "trainer.push_not_cancellable",
        }.get(exc.code, "trainer.not_allowed")
        group = ""
        task = await self.drafts.get(who.id)
        if task is not None and "group_id" in task.data:
            group = await self.group_name(who, task.data["group_id"])
        await self.channel.say(update, who.locale, key, group=group)

    async def pushes_view(
        self, update: Update, who: Who, group_id: int, query: CallbackQuery | None
    ) -> None:
        group = await self.group_name(who, group_id)
        summaries = await self.pushes.list(who.id, group_id)
        key = "trainer.pushes_title" if summaries else "trainer.pushes_none"
        rows = [
            [InlineKeyboardButton(self.push_line(who, s), callback_data=f"pv:{s.id}")]
            for s in summaries
        ]
        rows.append([self.button(who, "trainer.btn_back", f"g:{group_id}")])
        await self.show(update, esc(self.text(who, key, group=group)), rows, query)

    def push_line(self, who: Who, summary: PushSummary) -> str:
        return self.text(
            who,
            "trainer.push_line",
            title=self.title(who, summary.dialogue_id),
            when=self.when(summary.due_at),
            status=self.text(who, f"trainer.status.{summary.status}"),
        )

    async def push_view(
        self, update: Update, who: Who, push_id: int, query: CallbackQuery | None
    ) -> None:
        summary, members = await self.pushes.progress(who.id, push_id)
        counts = {
            k: summary.counts.get(k, 0)
            for k in ("pending", "delivered", "started", "finished", "failed")
        }
        text = self.text(
            who,
            "trainer.push_detail",
            title=self.title(who, summary.dialogue_id),
            group=summary.group_name,
            when=self.when(summary.due_at),
            status=self.text(who, f"trainer.status.{summary.status}"),
            **counts,
        )
        rows = [
            [
                InlineKeyboardButton(
                    f"{m.first_name}: {self.text(who, f'trainer.member_status.{m.status}')}",
                    callback_data=f"pa:{push_id}:{m.person_id}",
                )
            ]
            for m in members
        ]
        if summary.status == "scheduled":
            rows.append([self.button(who, "trainer.btn_cancel_push", f"pc:{push_id}")])
        rows.append([self.button(who, "trainer.btn_back", f"gp:{summary.group_id}")])
        await self.show(update, esc(text), rows, query)

    # -- review and feedback -------------------------------------------------------------------

    async def answers_view(
        self, update: Update, who: Who, push_id: int, person_id: int, query: CallbackQuery | None
    ) -> None:
        summary, members = await self.pushes.progress(who.id, push_id)
        member = next((m for m in members if m.person_id == person_id), None)
        if member is None:
            raise Gone
        answers = (await self.review.push_answers(who.id, push_id, locale=who.locale)).get(
            person_id, []
        )
        title = self.title(who, summary.dialogue_id)
        if not answers:
            lines = [self.text(who, "trainer.answers_none", name=member.first_name)]
        else:
            lines = [self.text(who, "trainer.answers_title", name=member.first_name, title=title)]
        rows = []
        for number, answer in enumerate(answers, start=1):
            lines.append(self.text(who, "trainer.answer_line", number=number, answer=answer.shown))
            lines.extend(
                self.text(who, "trainer.feedback_line", text=f.text) for f in answer.feedback
            )
            rows.append(
                [
                    self.button(
                        who,
                        "trainer.btn_feedback",
                        f"fb:{answer.answer_id}:{person_id}:{number}",
                        number=number,
                    )
                ]
            )
        rows.append([self.button(who, "trainer.btn_back", f"pv:{push_id}")])
        chunks = split("\n".join(lines))
        for chunk in chunks[:-1]:
            await self.channel.send_html(update, esc(chunk))
        await self.show(update, esc(chunks[-1]), rows, query if len(chunks) == 1 else None)

    async def feedback_start(
        self, update: Update, who: Who, answer_id: int, person: str, number: int
    ) -> None:
        runs = await self.review.runs_of(
            who.id, int(person), locale=who.locale
        )  # AccessDenied if not theirs
        answer = next((a for r in runs for a in r.answers if a.answer_id == answer_id), None)
        if answer is None:
            raise Gone
        name = await self._member_name(who, int(person))
        await self.drafts.put(
            who.id, "feedback", {"answer_id": answer_id, "name": name, "number": number}
        )
        rows = [[self.button(who, "trainer.btn_cancel", "x")]]
        await self.channel.send_html(
            update,
            esc(self.text(who, "trainer.feedback_prompt", number=number, name=name)),
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
        try:
            await self.draft_text(update, who, task.kind, task.data, clean(message.text).strip())
        except AccessDenied:
            await self.drafts.clear(who.id)
            await self.channel.say(update, who.locale, "trainer.not_allowed")
        except PushError as exc:
            await self.push_error(update, who, exc)
        return True

    async def draft_text(
        self, update: Update, who: Who, kind: str, data: dict[str, Any], text: str
    ) -> None:
        if kind == "push" and data.get("step") == "time":
            now = self.clock.now()
            moment = parse_when(text, now)
            if moment is None:
                await self.channel.say(update, who.locale, "trainer.push_bad_time")
                return
            if moment < now - timedelta(minutes=1):
                await self.channel.say(update, who.locale, "trainer.push_past")
                return
            await self.push_time_set(update, who, data, moment, now=False)
        elif kind == "push" and data.get("step") == "note":
            await self.push_note_chosen(update, who, text[:1000])
        elif kind == "push":
            await self.channel.say(update, who.locale, "trainer.push_type_time")
        elif kind == "feedback":
            await self.send_feedback(update, who, data, text)

    async def send_feedback(
        self, update: Update, who: Who, data: dict[str, Any], text: str
    ) -> None:
        if len(text) > MAX_FEEDBACK:
            await self.channel.say(update, who.locale, "trainer.feedback_too_long")
            return
        await self.drafts.clear(who.id)
        try:
            notice = await self.review.add_feedback(who.id, int(data["answer_id"]), text)
        except Gone:
            await self.channel.say(update, who.locale, "trainer.feedback_gone")
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
                await update.get_bot().send_message(
                    int(notice.external_id), esc(message), parse_mode=ParseMode.HTML
                )
            except Forbidden:
                log.info("feedback stored; the professional cannot be reached")
            except TelegramError:
                await self.review.release_feedback(notice.feedback_id)  # the dispatcher retries
                raise
        await self.channel.say(
            update, who.locale, "trainer.feedback_sent", name=data.get("name", "")
        )

    # -- the professional's view of the group ---------------------------------------------------

    async def show_group_choices(self, update: Update, who: Who, run_id: int) -> None:
        """After a finished exercise from a push: how the group chose (never names, >= 5)."""
        choices = await self.review.group_choices(who.id, run_id, locale=who.locale)
        if not choices:
            return
        lines = [f"<b>{esc(self.text(who, 'pro.group_choices_title'))}</b>"]
        for counts in choices.values():
            lines.append("")
            lines.extend(
                esc(self.text(who, "pro.group_choice_line", label=label, count=count))
                for label, count in counts.items()
            )
        await self.channel.send_html(update, "\n".join(lines))
