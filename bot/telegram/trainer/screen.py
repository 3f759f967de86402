"""What every trainer screen shares: the services, texts in the trainer's language,
and showing a screen in place of the one whose button was pressed.

Access is decided by the services (Groups, Pushes, Review) in their queries; a
screen only shows what they allow, and the router says so kindly when they refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.clock import AMSTERDAM
from bot.services.access import AccessDenied
from bot.services.app import App
from bot.services.coaching import Who
from bot.telegram.callbacks import Button
from bot.telegram.channel import TelegramChannel, button

Rows = list[list[InlineKeyboardButton]]


@dataclass(frozen=True)
class Scene:
    """Where a screen goes: the update being answered, the trainer, and the message
    whose button was pressed (None: a command or typed text, so a new message)."""

    update: Update
    who: Who
    query: CallbackQuery | None = None

    def below(self) -> Scene:
        """The same scene, shown as a new message (after a notice that must stay in view)."""
        return replace(self, query=None)


class Screen:
    """Base of the trainer screens."""

    def __init__(self, channel: TelegramChannel, app: App) -> None:
        self.channel = channel
        self.catalog = channel.catalog
        self.groups = app.groups
        self.pushes = app.pushes
        self.review = app.review
        self.drafts = app.drafts
        self.clock = app.clock

    def text(self, who: Who, key: str, **values: object) -> str:
        return self.channel.text(who.locale, key, **values)

    def title(self, who: Who, dialogue_id: str) -> str:
        loaded = self.catalog.dialogues.get(dialogue_id)
        return self.catalog.text(who.locale, loaded.spec.title) if loaded else dialogue_id

    def button(self, who: Who, key: str, press: Button, **values: object) -> InlineKeyboardButton:
        return button(self.text(who, key, **values), press)

    async def say(self, scene: Scene, key: str, **values: object) -> None:
        await self.channel.say(scene.update, scene.who.locale, key, **values)

    async def show(self, scene: Scene, html_text: str, rows: Rows | None = None) -> None:
        """Edit the message the button was on, or send a new one."""
        keyboard = InlineKeyboardMarkup(rows) if rows else None
        if scene.query is not None:
            try:
                await scene.query.edit_message_text(
                    html_text, parse_mode=ParseMode.HTML, reply_markup=keyboard
                )
                return
            except BadRequest as exc:
                if "not modified" in exc.message:
                    return
        await self.channel.send_html(scene.update, html_text, keyboard)

    async def group_name(self, who: Who, group_id: int) -> str:
        """The name of a group the person belongs to; AccessDenied for any other."""
        group = next((g for g in await self.groups.groups(who.id) if g.id == group_id), None)
        if group is None:
            raise AccessDenied
        return group.name


def when(moment: datetime) -> str:
    """A moment as trainers read it: Amsterdam time."""
    return moment.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")
