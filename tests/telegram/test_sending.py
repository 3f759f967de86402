"""Sending: Telegram's real limits, 429 and 5xx during replies, blocking, long texts."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from telegram.constants import ParseMode

from bot.bootstrap import build
from bot.engine import Option, Progress, Reply, Widget
from bot.store.models import Person
from bot.telegram import ChatRateLimiter, attach, make_application
from bot.telegram.outgoing import messages, split
from tests.fake_telegram import FakeTelegram
from tests.telegram.conftest import TOKEN, Telegram, telegram_settings


async def test_a_429_during_a_reply_still_delivers_it_once(tg):
    sam = await tg.joined()
    await sam.send("/oefeningen")
    await sam.press("🪞 Zelfkennis")
    tg.fake.impose_flood(retry_after=1, count=1, method="sendMessage")
    await sam.press("🆕 Wat drijft jou? · 5 min")
    texts = [m.text for m in sam.messages]
    assert sum("Schrijf over jezelf" in t for t in texts) == 1
    assert any(c.status == 429 for c in tg.fake.calls)


@pytest.mark.parametrize("status", [500, 502])
async def test_a_server_error_during_a_reply_is_retried(tg, status):
    sam = await tg.joined()
    tg.fake.fail_next("sendMessage", status=status)
    (reply,) = await sam.send("/hulp")
    assert "/oefeningen" in reply.text


async def test_a_person_who_blocked_the_bot_becomes_inactive(tg):
    sam = await tg.joined()
    await sam.send("/oefeningen")
    await sam.press("🪞 Zelfkennis")
    await tg.fake.press(sam.user, "🆕 Wat drijft jou? · 5 min")
    tg.fake.block(sam.user)  # blocks before the bot answers the press
    await tg.feed_pending(sam)

    def active(session):
        return session.execute(select(Person.active)).scalar_one()

    assert await tg.app.db.read(active) is False
    forbidden = [c for c in tg.fake.calls if c.status == 403]
    assert len(forbidden) == 1  # no retrying forever


@pytest.mark.slow
async def test_real_limits_are_never_exceeded(settings):
    """Telegram's own rates on both sides: a burst of replies, zero flood violations."""
    fake = FakeTelegram(token=TOKEN, limits=True)
    tsettings = telegram_settings(settings)
    app = await build(tsettings, migrate=False)
    application = make_application(
        tsettings,
        request=fake.ptb_request(),
        get_updates_request=fake.ptb_request(),
        rate_limiter=ChatRateLimiter(),
    )
    attach(application, app)
    async with application:
        tg = Telegram(fake, app, application)
        sam = await tg.joined()  # welcome, consent, joined, language: a burst of four
        await sam.send("/oefeningen")
        await sam.send("/hulp")
    await app.close()
    assert len(sam.messages) >= 6
    assert fake.flood_violations == []
    assert fake.unknown_calls == []


async def test_long_texts_are_split_and_escaped(tg):
    sam = tg.person()
    long = ("Een zin met <tekens> & meer. " * 40 + "\n\n") * 6  # about 7,000 characters
    widget = Widget("choice", (Option("a", "A"),), (Option("pause", "Pauze"),), step=0)
    reply = Reply(long, "say", widget=widget, progress=Progress(1, 2, "stap 1 van 2"))
    out = messages(reply, run_id=1)
    assert len(out) == 2
    assert out[0].keyboard is None
    assert out[-1].keyboard is not None
    bot = tg.application.bot
    for part in out:
        await bot.send_message(
            sam.user.id, part.html, parse_mode=ParseMode.HTML, reply_markup=part.keyboard
        )
    sent = tg.fake.sent(sam.user)
    assert "".join(m.text for m in sent).count("<tekens> & meer") == 240
    assert all(len(m.text) <= 4096 for m in sent)


def test_split_prefers_paragraphs():
    text = "a" * 3000 + "\n\n" + "b" * 3000
    assert split(text) == ["a" * 3000, "b" * 3000]
    assert all(len(p) <= 3800 for p in split("x" * 10000))
