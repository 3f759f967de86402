"""The exercise menu (/oefeningen and its screens), /hulp, and the answer to a
command the bot does not know."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler, ContextTypes, MessageHandler, filters

from bot.services.coaching import Who
from bot.telegram.channel import (
    Pressed,
    PTBApplication,
    TelegramChannel,
    button,
    edit_text,
    quietly,
)
from bot.telegram.outgoing import esc
from bot.telegram.presses import MenuPress, OpenPress

KINDS = ("zelfkennis", "bewustwording", "straatscenario")
PARTS = ("kennis", "bewustwording", "handelingsintelligentie", "zelfkennis", "verbinding")

Screen = tuple[str, InlineKeyboardMarkup]


class MenuChat:
    """Finding an exercise or a knowledge card; help; unknown commands."""

    def __init__(self, channel: TelegramChannel) -> None:
        self.channel = channel
        self.coach = channel.coach
        self.catalog = channel.catalog
        channel.buttons.add(MenuPress, self.on_menu_press)

    def register(self, application: PTBApplication) -> None:
        """Add the commands, then the catch-all for unknown ones: after every other
        command handler, before the handler for typed text."""
        private = filters.ChatType.PRIVATE
        application.add_handler(CommandHandler("oefeningen", self.on_exercises, filters=private))
        application.add_handler(CommandHandler("hulp", self.on_help, filters=private))
        application.add_handler(CommandHandler("help", self.on_help, filters=private))
        fresh = filters.UpdateType.MESSAGE & private
        application.add_handler(MessageHandler(fresh & filters.COMMAND, self.on_unknown_command))

    async def on_exercises(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.channel.joined(update)
        if who is None:
            return
        html_text, keyboard = await self.screen(who, "top")
        await self.channel.send_html(update, html_text, keyboard)

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.channel.identify(update)
        locale = self.channel.locale_of(who, update)
        await self.channel.say(update, locale, "bot.help" if who else "bot.no_invite")

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.channel.identify(update)
        locale = self.channel.locale_of(who, update)
        await self.channel.say(update, locale, "bot.unknown_command" if who else "bot.not_joined")

    async def on_menu_press(self, pressed: Pressed, press: MenuPress) -> None:
        await quietly(pressed.query.answer())
        html_text, keyboard = await self.screen(pressed.who, press.view)
        await edit_text(pressed.query, html_text, keyboard)

    async def screen(self, who: Who, view: str) -> Screen:
        """The menu screen a view names; the top menu for one we do not know."""
        field, colon, wanted = view.partition(":")
        if view == "parts":
            return self._parts(who.locale)
        if field in ("k", "p") and colon:
            return await self._exercises(who, field, wanted)
        if view == "kb":
            return self._cards(who.locale)
        if field == "kc" and wanted in self.catalog.cards():
            return self._card(who.locale, wanted)
        return self._top(who.locale)

    def _top(self, locale: str) -> Screen:
        rows = [[self._button(locale, f"bot.kind.{k}", f"k:{k}")] for k in KINDS]
        rows.append([self._button(locale, "bot.menu.by_part", "parts")])
        rows.append([self._button(locale, "bot.menu.knowledge", "kb")])
        return esc(self.text(locale, "bot.menu.title")), InlineKeyboardMarkup(rows)

    def _parts(self, locale: str) -> Screen:
        rows = [[self._button(locale, f"bot.part.{p}", f"p:{p}")] for p in PARTS]
        keyboard = InlineKeyboardMarkup([*rows, self._back(locale)])
        return esc(self.text(locale, "bot.menu.parts_title")), keyboard

    async def _exercises(self, who: Who, field: str, wanted: str) -> Screen:
        """The exercises of one kind (`k`) or training part (`p`), with their status."""
        locale = who.locale
        exercises = [
            e
            for e in await self.coach.exercises(who)
            if (e.kind if field == "k" else e.part) == wanted
        ]
        rows = [
            [
                button(
                    f"{self.text(locale, f'bot.menu.status_{e.status}')} {e.title} · "
                    f"{self.text(locale, 'bot.menu.minutes', minutes=e.minutes)}",
                    OpenPress(e.dialogue_id),
                )
            ]
            for e in exercises
        ]
        heading = self.text(locale, f"bot.kind.{wanted}" if field == "k" else f"bot.part.{wanted}")
        body = self.text(locale, "bot.menu.legend" if rows else "bot.menu.empty")
        keyboard = InlineKeyboardMarkup([*rows, self._back(locale)])
        return f"<b>{esc(heading)}</b>\n{esc(body)}", keyboard

    def _cards(self, locale: str) -> Screen:
        rows = [
            [self._button(locale, f"kennis.{card}.title", f"kc:{card}")]
            for card in self.catalog.cards()
        ]
        keyboard = InlineKeyboardMarkup([*rows, self._back(locale)])
        return esc(self.text(locale, "bot.menu.knowledge_title")), keyboard

    def _card(self, locale: str, card: str) -> Screen:
        title, body, source = (
            self.text(locale, f"kennis.{card}.{f}") for f in ("title", "body", "source")
        )
        html_text = f"<b>📘 {esc(title)}</b>\n{esc(body)}\n\n<i>{esc(source)}</i>"
        cards = [self._button(locale, "bot.menu.knowledge", "kb")]
        return html_text, InlineKeyboardMarkup([cards, self._back(locale)])

    def _back(self, locale: str) -> list[InlineKeyboardButton]:
        return [self._button(locale, "bot.menu.back", "top")]

    def _button(self, locale: str, key: str, view: str) -> InlineKeyboardButton:
        return button(self.text(locale, key), MenuPress(view))

    def text(self, locale: str, key: str, **values: object) -> str:
        return self.channel.text(locale, key, **values)
