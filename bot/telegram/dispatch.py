"""Sending pushes and reminders: claimed from the database, then sent, then recorded.

Claims are committed before Telegram is called, and results after. In between,
each message is marked in flight (`Pushes.in_flight`) at the last moment: when
our rate limiter has granted its slot and the request is about to leave (the
limiter calls back through `rate_limit_args`, see `CallOptions`), not when the
batch was claimed, since most of a batch waits in the limiter. So a crash in the
middle forgets nobody (claimed messages that never left are claimed again after
the lease) and sends nothing twice (a message in flight at the crash is counted
as delivered, never resent; see bot/services/pushes/outbox.py for why and what it costs).
Several workers can run this side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError

from bot.clock import Clock, SystemClock
from bot.dialogues.catalog import Catalog
from bot.dialogues.content import fill
from bot.services.pushes import Claim, ClaimLost, Pushes
from bot.services.retention import due_for_purge
from bot.services.review import FeedbackNotice, Review
from bot.telegram.channel import button
from bot.telegram.limiter import CallOptions, ChatRateLimiter
from bot.telegram.outgoing import esc
from bot.telegram.presses import RemindersOffPress, StartPushPress

log = logging.getLogger(__name__)


# Feedback written in the dashboard is sent by the bot once it is this old (the chat
# sends its own feedback at once and marks it, so it is never picked up twice).
FEEDBACK_GRACE = timedelta(seconds=5)


class Dispatcher:
    """Sends what is due, in batches the rate limiter paces, and runs the daily upkeep."""

    def __init__(
        self,
        bot: Any,
        pushes: Pushes,
        catalog: Catalog,
        interval: float = 1.0,
        review: Review | None = None,
        upkeep: Callable[[], Awaitable[object]] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.bot = bot
        self.pushes = pushes
        self.catalog = catalog
        self.interval = interval
        self.review = review
        self.upkeep = upkeep
        self.clock = clock or SystemClock()
        self.last_upkeep: datetime | None = None
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Tick until `stop()`; errors are logged and the next tick tries again."""
        while not self._stopping.is_set():
            try:
                sent = await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatch tick failed")
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.interval)

    async def stop(self, task: asyncio.Task[None], timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """End `run()` (running as `task`) after its current tick, so no transaction is
        cut off half-way at shutdown; cancel it only if the tick hangs."""
        self._stopping.set()
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def tick(self, batch: int = 30) -> int:
        """Claim and send one batch of pushes, reminders and feedback; returns the count."""
        claims = await self.pushes.claim_due(batch)
        claims += await self.pushes.claim_reminders(batch)
        await asyncio.gather(*(self.send(claim) for claim in claims))
        sent = len(claims)
        if self.review is not None:
            notices = await self.review.undelivered_feedback(FEEDBACK_GRACE, batch)
            for notice in notices:
                await self.send_feedback(notice)
            sent += len(notices)
        if self.upkeep is not None and due_for_purge(self.last_upkeep, self.clock.now()):
            self.last_upkeep = self.clock.now()
            await self.upkeep()  # retention: old answers are deleted once a day
        return sent

    async def send_feedback(self, notice: FeedbackNotice) -> None:
        """Deliver feedback written in the dashboard to the professional's chat, once:
        it is claimed (marked delivered) before it is sent, so a second worker or a
        restart never sends it again (Review.claim_feedback)."""
        assert self.review is not None
        if not await self.review.claim_feedback(notice.feedback_id):
            return  # another sender has it, or it was erased
        if notice.channel != "telegram":
            return
        text = fill(
            self.catalog.text(notice.locale, "pro.feedback"),
            {"title": notice.title, "answer": notice.answer_shown, "text": notice.text},
        )
        try:
            await self.bot.send_message(
                int(notice.external_id), esc(text), parse_mode=ParseMode.HTML
            )
        except Forbidden:
            log.info("feedback kept; the professional cannot be reached")
        except TelegramError as exc:
            log.warning("feedback delivery failed: %s", type(exc).__name__)
            await self.review.release_feedback(notice.feedback_id)  # next tick tries again

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
                button(
                    self.text(claim, "pro.btn_start", values),
                    StartPushPress(claim.push_id, claim.dialogue_id),
                )
            ]
        ]
        if claim.kind == "reminder":
            rows.append(
                [button(self.text(claim, "pro.btn_no_reminders", values), RemindersOffPress())]
            )
        try:
            message = await self.bot.send_message(
                int(claim.external_id),
                "\n\n".join(lines),
                parse_mode=ParseMode.HTML,
                reply_markup=InlineKeyboardMarkup(rows),
                **await self._in_flight_when_sent(claim),
            )
        except ClaimLost:
            log.info("delivery %d is no longer claimed here; not sent", claim.delivery_id)
        except Forbidden:
            await self.pushes.failed(claim.delivery_id, "blocked", blocked=True)
        except TelegramError as exc:
            log.warning("push delivery failed: %s", type(exc).__name__)
            await self.pushes.failed(claim.delivery_id, type(exc).__name__, blocked=False)
        else:
            await self.pushes.delivered(claim.delivery_id, message.message_id)

    async def _in_flight_when_sent(self, claim: Claim) -> dict[str, Any]:
        """Arguments for the send that mark the claim in flight as its request leaves.

        With our limiter that is its `before_send` hook, after the wait for a slot, and
        undone for the length of a flood-control wait (`refused`). Another bot (none in
        this project) gets the mark right away, before any wait of its own: still at
        most once, only with a wider window.
        """
        mark = functools.partial(self.pushes.in_flight, claim)
        if isinstance(getattr(self.bot, "rate_limiter", None), ChatRateLimiter):
            unmark = functools.partial(self.pushes.not_in_flight, claim)
            return {"rate_limit_args": CallOptions(before_send=mark, refused=unmark)}
        await mark()
        return {}

    def text(self, claim: Claim, key: str, values: dict[str, str]) -> str:
        return fill(self.catalog.text(claim.locale, key), values)
