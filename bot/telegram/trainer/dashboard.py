"""/dashboard: a single-use login link to the dashboard, for trainers and coordinators.

The link is issued by the logins service, so this adapter never imports the web one.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.clock import AMSTERDAM
from bot.services.logins import Logins, NoDashboardRole
from bot.telegram.channel import TelegramChannel
from bot.telegram.outgoing import esc


class DashboardLink:
    def __init__(self, channel: TelegramChannel, logins: Logins) -> None:
        self.channel = channel
        self.logins = logins

    async def on_dashboard(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self.channel.joined(update)
        if who is None:
            return
        try:
            url, expires = await self.logins.link_for(who.id)
        except NoDashboardRole:
            await self.channel.say(update, who.locale, "trainer.dashboard_only")
            return
        until = expires.astimezone(AMSTERDAM).strftime("%H:%M")
        text = self.channel.text(who.locale, "trainer.dashboard_link", until=until)
        await self.channel.send_html(update, f"{esc(text)}\n{esc(url)}")
