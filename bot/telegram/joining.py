"""Joining by invite (/start <code>, then consent) and choosing a language (/taal)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update, User
from telegram.ext import CommandHandler, ContextTypes, filters

from bot.telegram.channel import (
    CHANNEL,
    Pressed,
    PTBApplication,
    StrangerPressed,
    TelegramChannel,
    button,
    clean,
    edit_markup,
    edit_text,
    quietly,
)
from bot.telegram.outgoing import esc
from bot.telegram.presses import ConsentPress, DeclinePress, LocalePress

# Statuses of a join that the person already belongs to a group after.
_MEMBER = ("joined_also", "already_member")


class JoiningChat:
    """The way in: an invite, consent, and the language the bot speaks."""

    def __init__(self, channel: TelegramChannel) -> None:
        self.channel = channel
        self.members = channel.members
        channel.stranger_buttons.add(ConsentPress, self.on_consent)
        channel.stranger_buttons.add(DeclinePress, self.on_decline)
        channel.buttons.add(LocalePress, self.on_locale_press)

    def register(self, application: PTBApplication) -> None:
        private = filters.ChatType.PRIVATE
        application.add_handler(CommandHandler("start", self.on_start, filters=private))
        application.add_handler(CommandHandler("taal", self.on_language, filters=private))

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if user is None:
            return
        code = clean(context.args[0]) if context.args else None
        async with self.channel.locks.hold(user.id):
            who = await self.channel.identify(update)
            locale = who.locale if who else self.channel.guess_locale(user)
            if code is None:
                await self.say(update, locale, "bot.start_hint" if who else "bot.no_invite")
            elif who is not None:  # consent given before: join directly
                await self._join_again(update, user, locale, code)
            else:
                await self._ask_consent(update, user, locale, code)

    async def _join_again(self, update: Update, user: User, locale: str, code: str) -> None:
        joined = await self.members.join(
            CHANNEL, str(user.id), clean(user.first_name), locale, code, once=update.update_id
        )
        if joined.duplicate:
            return
        await self._joined_message(update, locale, joined.status, joined.group)
        if joined.status in _MEMBER:
            await self.say(update, locale, "bot.start_hint")

    async def _ask_consent(self, update: Update, user: User, locale: str, code: str) -> None:
        check = await self.members.check_invite(code)
        if check.status != "ok":
            await self.say(update, locale, f"bot.invite_{check.status}")
            return
        text = self.channel.text
        welcome = text(locale, "bot.welcome", first_name=user.first_name, group=check.group)
        keyboard = InlineKeyboardMarkup(
            [
                [button(text(locale, "bot.consent_yes"), ConsentPress(code))],
                [button(text(locale, "bot.consent_no"), DeclinePress())],
            ]
        )
        await self.channel.send_html(update, esc(welcome))
        await self.channel.send_html(update, esc(text(locale, "bot.consent")), keyboard)

    async def on_decline(self, pressed: StrangerPressed, press: DeclinePress) -> None:
        await quietly(pressed.query.answer())
        await edit_markup(pressed.query, None)
        locale = self.channel.guess_locale(pressed.user)
        await self.say(pressed.update, locale, "bot.consent_declined")

    async def on_consent(self, pressed: StrangerPressed, press: ConsentPress) -> None:
        update, query, user = pressed.update, pressed.query, pressed.user
        locale = self.channel.guess_locale(user)
        joined = await self.members.join(
            CHANNEL,
            str(user.id),
            clean(user.first_name),
            locale,
            clean(press.code),
            once=update.update_id,
        )
        await quietly(query.answer())
        if joined.duplicate:
            return
        if isinstance(query.message, Message) and joined.who:
            given = esc(self.channel.text(locale, "bot.consent_given"))
            await edit_text(query, f"{query.message.text_html}\n\n<b>{given}</b>", None)
        await self._joined_message(update, locale, joined.status, joined.group)
        if joined.status in ("joined", "joined_also"):
            await self._ask_language(update, locale)

    async def _joined_message(
        self, update: Update, locale: str, status: str, group: str | None
    ) -> None:
        key = {
            "joined": "bot.joined",
            "joined_also": "bot.joined_also",
            "already_member": "bot.already_member",
        }.get(status, f"bot.invite_{status}")
        await self.say(update, locale, key, group=group or "")

    async def on_language(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.channel.joined(update)
        if who is not None:
            await self._ask_language(update, who.locale)

    async def on_locale_press(self, pressed: Pressed, press: LocalePress) -> None:
        update, query = pressed.update, pressed.query
        if press.locale not in self.channel.catalog.locales:
            await self.channel.stale(query, pressed.who)
            return
        await quietly(query.answer())
        who = await self.members.set_locale(pressed.who, press.locale, once=update.update_id)
        if who is None:  # delivered twice: said already
            return
        await edit_text(query, esc(self.channel.text(who.locale, "bot.language_prompt")), None)
        await self.say(update, who.locale, "bot.language_set")
        await self.say(update, who.locale, "bot.start_hint")

    async def _ask_language(self, update: Update, current: str) -> None:
        buttons = [
            button(
                ("• " if locale == current else "")
                + self.channel.text(locale, f"bot.language_button_{locale}"),
                LocalePress(locale),
            )
            for locale in self.channel.catalog.locales
        ]
        prompt = esc(self.channel.text(current, "bot.language_prompt"))
        await self.channel.send_html(update, prompt, InlineKeyboardMarkup([buttons]))

    async def say(self, update: Update, locale: str, key: str, **values: object) -> None:
        await self.channel.say(update, locale, key, **values)
