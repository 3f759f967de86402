"""Data rights in the chat: /mijngegevens, /verlaten, /vergeet and /privacy."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.services.rights import Rights, to_json
from bot.telegram.callbacks import in_range
from bot.telegram.channel import TelegramChannel, edit_markup, quietly
from bot.telegram.outgoing import esc

PATTERN = r"^(vg|lv):"


class RightsChannel:
    """Handlers for a person's own data."""

    def __init__(self, channel: TelegramChannel, rights: Rights, retention_months: int) -> None:
        self.channel = channel
        self.rights = rights
        self.retention_months = retention_months

    def register(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        private = filters.ChatType.PRIVATE
        for name, callback in (
            ("mijngegevens", self.on_export),
            ("vergeet", self.on_forget),
            ("verlaten", self.on_leave),
            ("privacy", self.on_privacy),
        ):
            application.add_handler(CommandHandler(name, callback, filters=private))
        application.add_handler(CallbackQueryHandler(self.on_callback, pattern=PATTERN))

    async def on_privacy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.channel.identify(update)
        locale = who.locale if who else self.channel.guess_locale(update.effective_user)
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
            InputFile(data, filename=self.channel.text(who.locale, "rights.export_filename")),
            caption=self.channel.text(who.locale, "rights.export_caption"),
        )

    async def on_forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.channel.identify(update)
        if who is None:
            await self.channel.say(
                update, self.channel.guess_locale(update.effective_user), "bot.not_joined"
            )
            return
        rows = [
            [_button(self.channel.text(who.locale, "rights.btn_forget_yes"), "vg:yes")],
            [_button(self.channel.text(who.locale, "rights.btn_forget_no"), "vg:no")],
        ]
        await self.channel.send_html(
            update,
            esc(self.channel.text(who.locale, "rights.forget_confirm")),
            InlineKeyboardMarkup(rows),
        )

    async def on_leave(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.channel.identify(update)
        if who is None:
            await self.channel.say(
                update, self.channel.guess_locale(update.effective_user), "bot.not_joined"
            )
            return
        groups = await self.rights.groups(who.id)
        if not groups:
            await self.channel.say(update, who.locale, "rights.no_groups")
            return
        rows = [
            [_button(self.channel.text(who.locale, "rights.btn_leave", group=name), f"lv:{gid}")]
            for gid, name in groups
        ]
        await self.channel.send_html(
            update,
            esc(self.channel.text(who.locale, "rights.leave_choose")),
            InlineKeyboardMarkup(rows),
        )

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        user = update.effective_user
        if query is None or user is None or query.data is None:
            return
        async with self.channel.locks.hold(user.id):
            who = await self.channel.identify(update)
            await quietly(query.answer())
            if who is None:
                return
            await edit_markup(query, None)
            head, _, arg = query.data.partition(":")
            if head == "vg" and arg == "yes":
                await self.rights.erase(who.id)
                await self.channel.say(update, who.locale, "rights.forgotten")
            elif head == "vg":
                await self.channel.say(update, who.locale, "rights.not_forgotten")
            elif head == "lv" and arg.isdigit() and in_range(arg):
                names = dict(await self.rights.groups(who.id))
                if await self.rights.leave(who.id, int(arg)):
                    await self.channel.say(
                        update, who.locale, "rights.left", group=names.get(int(arg), "")
                    )
                else:
                    await self.channel.say(update, who.locale, "rights.no_groups")


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)
