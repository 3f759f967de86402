"""Data rights in the chat: /mijngegevens, /verlaten, /vergeet and /privacy."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.services.rights import Rights, to_json
from bot.telegram.callbacks import Routes, parse
from bot.telegram.channel import (
    Pressed,
    PTBApplication,
    TelegramChannel,
    button,
    edit_markup,
    quietly,
)
from bot.telegram.outgoing import esc
from bot.telegram.presses import ForgetPress, LeavePress


class RightsChannel:
    """Handlers for a person's own data."""

    def __init__(self, channel: TelegramChannel, rights: Rights, retention_months: int) -> None:
        self.channel = channel
        self.rights = rights
        self.retention_months = retention_months
        self.buttons: Routes[Pressed] = Routes()
        self.buttons.add(ForgetPress, self.on_forget_press)
        self.buttons.add(LeavePress, self.on_leave_press)

    def register(self, application: PTBApplication) -> None:
        private = filters.ChatType.PRIVATE
        for name, callback in (
            ("mijngegevens", self.on_export),
            ("vergeet", self.on_forget),
            ("verlaten", self.on_leave),
            ("privacy", self.on_privacy),
        ):
            application.add_handler(CommandHandler(name, callback, filters=private))
        application.add_handler(CallbackQueryHandler(self.on_callback, pattern=self.buttons.owns))

    def text(self, locale: str, key: str, **values: object) -> str:
        return self.channel.text(locale, key, **values)

    async def on_privacy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.channel.identify(update)
        locale = self.channel.locale_of(who, update)
        await self.channel.say(update, locale, "rights.privacy", months=self.retention_months)

    async def on_export(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.channel.identify(update)
        chat = update.effective_chat
        if who is None or chat is None:
            await self.channel.say(
                update, self.channel.guess_locale(update.effective_user), "bot.not_joined"
            )
            return
        data = to_json(await self.rights.export(who.id))
        await chat.get_bot().send_document(
            chat.id,
            InputFile(data, filename=self.text(who.locale, "rights.export_filename")),
            caption=self.text(who.locale, "rights.export_caption"),
        )

    async def on_forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.channel.joined(update)
        if who is None:
            return
        rows = [
            [button(self.text(who.locale, "rights.btn_forget_yes"), ForgetPress("yes"))],
            [button(self.text(who.locale, "rights.btn_forget_no"), ForgetPress("no"))],
        ]
        await self.channel.send_html(
            update,
            esc(self.text(who.locale, "rights.forget_confirm")),
            InlineKeyboardMarkup(rows),
        )

    async def on_leave(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.channel.joined(update)
        if who is None:
            return
        groups = await self.rights.groups(who.id)
        if not groups:
            await self.channel.say(update, who.locale, "rights.no_groups")
            return
        rows = [
            [button(self.text(who.locale, "rights.btn_leave", group=name), LeavePress(gid))]
            for gid, name in groups
        ]
        await self.channel.send_html(
            update,
            esc(self.text(who.locale, "rights.leave_choose")),
            InlineKeyboardMarkup(rows),
        )

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        user = update.effective_user
        if query is None or user is None or query.data is None:
            return
        async with self.channel.locks.hold(user.id):
            visit = await self.channel.visit(update)
            await quietly(query.answer())
            if visit is None:
                return
            await edit_markup(query, None)
            press = parse(query.data)
            if press is not None:  # else forged: the buttons are gone, nothing else happens
                await self.buttons.route(Pressed(update, query, visit), press)

    async def on_forget_press(self, pressed: Pressed, press: ForgetPress) -> None:
        who = pressed.who
        if press.answer == "yes":
            await self.rights.erase(who.id)
            await self.channel.say(pressed.update, who.locale, "rights.forgotten")
        else:
            await self.channel.say(pressed.update, who.locale, "rights.not_forgotten")

    async def on_leave_press(self, pressed: Pressed, press: LeavePress) -> None:
        who = pressed.who
        names = dict(await self.rights.groups(who.id))
        if await self.rights.leave(who.id, press.group_id):
            group = names.get(press.group_id, "")
            await self.channel.say(pressed.update, who.locale, "rights.left", group=group)
        else:
            await self.channel.say(pressed.update, who.locale, "rights.no_groups")
