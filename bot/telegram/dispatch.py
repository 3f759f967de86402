"""Sending pushes and reminders: claimed from the database, then sent, then recorded.

Claims are committed before Telegram is called, and results after, so a crash
in the middle neither sends twice (a claim is leased) nor forgets anyone (an
expired lease is claimed again). Several workers can run this side by side.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError

from bot.dialogues.catalog import Catalog
from bot.dialogues.content import fill
from bot.pushes import Claim, Pushes
from bot.telegram.render import esc

log = logging.getLogger(__name__)


class Dispatcher:
    """Sends what is due, in batches the rate limiter paces."""

    def __init__(self, bot: Any, pushes: Pushes, catalog: Catalog, interval: float = 1.0) -> None:
        self.bot = bot
        self.pushes = pushes
        self.catalog = catalog
        self.interval = interval

    async def run(self) -> None:
        """Tick forever; errors are logged and the next tick tries again."""
        while True:
            try:
                sent = await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatch tick failed")
                sent = 0
            if not sent:
                await asyncio.sleep(self.interval)

    async def tick(self, batch: int = 30) -> int:
        """Claim and send one batch of pushes and reminders; returns how many were sent."""
        claims = await self.pushes.claim_due(batch)
        claims += await self.pushes.claim_reminders(batch)
        await asyncio.gather(*(self.send(claim) for claim in claims))
        return len(claims)

    async def send(self, claim: Claim) -> None:
        loaded = self.catalog.dialogues.get(claim.dialogue_id)
        if loaded is None or claim.channel != "telegram":
            await self.pushes.failed(claim.delivery_id, "unavailable", blocked=False)
            return
        title = self.catalog.text(claim.locale, loaded.spec.title)
        values = {
            "group": claim.group_name,
            "title": title,
            "minutes": str(loaded.spec.minutes),
            "note": claim.note or "",
        }
        key = "pro.reminder" if claim.kind == "reminder" else "pro.push"
        lines = [esc(self.text(claim, key, values))]
        if claim.note and claim.kind != "reminder":
            lines.append(f"<i>{esc(self.text(claim, 'pro.push_note', values))}</i>")
        rows = [
            [
                _button(
                    self.text(claim, "pro.btn_start", values),
                    f"s:{claim.push_id}:{claim.dialogue_id}",
                )
            ]
        ]
        if claim.kind == "reminder":
            rows.append([_button(self.text(claim, "pro.btn_no_reminders", values), "rq")])
        try:
            message = await self.bot.send_message(
                int(claim.external_id),
                "\n\n".join(lines),
                parse_mode=ParseMode.HTML,
                reply_markup=InlineKeyboardMarkup(rows),
            )
        except Forbidden:
            await self.pushes.failed(claim.delivery_id, "blocked", blocked=True)
        except TelegramError as exc:
            log.warning("push delivery failed: %s", type(exc).__name__)
            await self.pushes.failed(claim.delivery_id, type(exc).__name__, blocked=False)
        else:
            await self.pushes.delivered(claim.delivery_id, message.message_id)

    def text(self, claim: Claim, key: str, values: dict[str, str]) -> str:
        return fill(self.catalog.text(claim.locale, key), values)


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)
