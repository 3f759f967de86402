"""Delivery faults through the in-process harness: updates delivered twice and out of
order, and Telegram answering 429, 5xx, timeouts and 403 in the middle of replies and
of a push. Nothing lost, nothing sent twice, no crash loop."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Update

from bot.store.models import Delivery, Person
from bot.telegram.runner import dispatcher
from tests.faults.conftest import (
    ERROR_TEXT,
    answers,
    harness,
    open_text_question,
    our_errors,
    quick_limiter,
    runs,
    snapshot,
)
from tests.telegram.conftest import Person as Chat
from tests.telegram.conftest import Telegram
from tests.telegram.test_trainers import (
    a_due_push,
    invite_link,
    join,
    schedule_monday_nine,
    trainer_of,
)

VISIBLE = ("sendMessage", "sendDocument", "sendPhoto", "editMessageText", "editMessageReplyMarkup")


def visible(telegram: Telegram) -> list[tuple[str, Any]]:
    """Successful Bot API calls a person can see (messages and edits)."""
    return [
        (c.method, c.params) for c in telegram.fake.calls if c.method in VISIBLE and c.status == 200
    ]


def every_update_twice(telegram: Telegram) -> list[int]:
    """Make the harness deliver every update a second time, right after the first, and
    check that the second has no effect: the database stays as the first left it, and
    if the first changed anything, the person sees nothing new either (an update that
    changed nothing, such as a menu, may be answered again). Returns the ids checked."""
    first = telegram._process
    checked: list[int] = []

    async def twice(update: dict[str, Any]) -> None:
        untouched = await snapshot(telegram)
        await first(update)
        state, shown = await snapshot(telegram), len(visible(telegram))
        await telegram.application.process_update(Update.de_json(update, telegram.application.bot))
        assert await snapshot(telegram) == state, f"update {update} changed the database twice"
        if state != untouched:
            assert visible(telegram)[shown:] == [], f"update {update} was answered twice"
        checked.append(update["update_id"])

    telegram._process = twice  # type: ignore[method-assign]
    return checked


# -- the same update twice ---------------------------------------------------------------


async def test_every_update_of_a_trainers_week_delivered_twice_has_one_effect(tg):
    checked = every_update_twice(tg)
    trainer = await trainer_of(tg)
    link = await invite_link(trainer)
    ali, bo = [await join(tg, name, link) for name in ("Ali", "Bo")]
    await schedule_monday_nine(trainer)
    tg.clock.advance(timedelta(days=3))
    assert await tg.dispatch() == 2
    for pro, words in ((ali, "Een gesprek met een jongen op het plein"), (bo, "Een huisbezoek")):
        await tg.feed_pending(pro)
        await pro.press("▶️ Beginnen")
        await pro.press("Ik begin")
        await pro.send(words)
        await pro.press("⬜ Verbinding")
        await pro.press("⬜ Zorg voor anderen")
        await pro.press("Klaar ✅")
        await pro.press("2")  # the branch with a knowledge card and a yes/no question
        await pro.press("Ja")
        await pro.send("Nooit alleen naar binnen")
    await trainer.send("/groep")
    await trainer.press(trainer.last.labels[0])
    await trainer.press("📋 Klaargezette oefeningen")
    await trainer.press(trainer.last.labels[0])
    await trainer.press("Ali: ✅ klaar")
    await trainer.press("💬 Feedback op 1")
    await trainer.send("Mooi dat je dat gesprek aanging.")
    await ali.send("/mijnantwoorden")
    await bo.send("/vergeet")
    await bo.press("Ja, wis alles")

    assert len(checked) > 40
    assert sum(m.text.startswith("💬 Feedback van je trainer") for m in ali.messages) == 1
    assert sum("zette een oefening" in m.text for m in ali.messages) == 1
    assert [(key, value) for _run, key, value in await answers(tg)] == [
        ("motivatie", "Een gesprek met een jongen op het plein"),
        ("kernwaarden", ["verbinding", "zorg"]),
        ("zekerheid", 2),
        ("steun_gesproken", "yes"),
        ("grens", "Nooit alleen naar binnen"),
    ]
    assert not any(ERROR_TEXT in m.text for p in (trainer, ali, bo) for m in p.messages)


async def test_a_menu_and_media_and_a_language_choice_twice(tg):
    checked = every_update_twice(tg)
    sam = await tg.joined()
    await sam.press("🇬🇧 English")
    await sam.send("/oefeningen")
    await sam.press("🪞 Self-knowledge")
    await sam.press_data(sam.last.message_id, "o:drijfveren")
    await sam.press("Let's start")
    await sam.act(await tg.fake.send_sticker(sam.user))
    await sam.act(await tg.fake.send_photo(sam.user))
    await sam.press("⏸ Pause")
    await sam.send("/oefeningen")
    assert len(checked) == 11
    assert await runs(tg) == [("waarom", "paused", 2, [])]


# -- out of order ----------------------------------------------------------------------------


async def test_a_press_for_step_3_arriving_before_the_answer_of_step_2(tg):
    sam, run_id, step = await open_text_question(tg)
    # The person answers, then ticks an option on the next question; Telegram hands the
    # bot the press first (two connections, or a webhook retry overtaking).
    text = await tg.fake.send_text(sam.user, "Een gesprek op het plein dat me bijbleef")
    ahead = f"r:{run_id}:{step + 1}:t:verbinding"
    await tg.fake.press_data(sam.user, sam.last.message_id, ahead)
    press = tg.fake.pending_updates[-1]

    assert await sam.act(press) == []  # too early: kindly refused, nothing changes
    assert "eerdere vraag" in (tg.fake.answered_callbacks[-1].text or "")
    assert await answers(tg) == []
    (multi,) = await sam.act(text)
    assert "stap 3 van 6" in multi.text
    assert ahead in [data for row in multi.buttons for _label, data in row]  # it was real
    assert await sam.act(press) == []  # delivered again: it was handled, no second effect
    assert await sam.act(text) == []
    assert await runs(tg) == [("kern", "active", step + 1, [])]
    await sam.press("⬜ Verbinding")  # the person taps again, as the notice asked
    await sam.press("Klaar ✅")
    assert [(k, v) for _r, k, v in await answers(tg)] == [
        ("motivatie", "Een gesprek op het plein dat me bijbleef"),
        ("kernwaarden", ["verbinding"]),
    ]


async def test_old_updates_redelivered_after_newer_ones(tg):
    sam, _run_id, _step = await open_text_question(tg)
    text = await tg.fake.send_text(sam.user, "Een gesprek op het plein dat me bijbleef")
    await sam.act(text)
    await sam.press("⬜ Verbinding")
    toggle = tg.handled[-1]
    await sam.press("Klaar ✅")
    confirm = tg.handled[-1]
    await sam.press("4")
    state = await snapshot(tg)
    shown = len(visible(tg))
    for update_id in (text["update_id"], toggle, confirm, toggle):
        assert await sam.act(await tg.fake.redeliver(update_id)) == []
    assert await snapshot(tg) == state
    assert visible(tg)[shown:] == []
    (end,) = await sam.send("Nooit alleen naar binnen")
    assert "Je koos voor Verbinding" in end.text


async def test_two_buttons_of_one_question_pressed_at_once(tg):
    sam, _run_id, _step = await open_text_question(tg)
    await sam.send("Een gesprek op het plein dat me bijbleef")
    await sam.press("Klaar ✅")  # nothing ticked: a kind re-prompt
    await sam.press("⬜ Zorg voor anderen")
    await sam.press("Klaar ✅")
    scale = sam.last
    await tg.fake.press(sam.user, "1", message_id=scale.message_id)
    await tg.fake.press(sam.user, "5", message_id=scale.message_id)  # a second finger
    await tg.feed_pending(sam)
    assert [(k, v) for _r, k, v in await answers(tg)][-1] == ("zekerheid", 1)
    assert "eerdere vraag" in (tg.fake.answered_callbacks[-1].text or "")
    assert (await runs(tg))[0][0] == "steun"


# -- Telegram failing in the middle of a reply ---------------------------------------------------


@pytest.fixture
async def quick(settings, shared_engine):
    """The harness with a limiter that retries twice, quickly."""
    async with harness(settings, shared_engine, limiter=quick_limiter(max_retries=2)) as telegram:
        yield telegram


def question_count(person: Chat, label: str) -> int:
    return sum(label in m.text for m in person.messages)


@pytest.mark.slow
async def test_429_and_5xx_in_the_middle_of_a_reply(quick):
    sam, _run, _step = await open_text_question(quick)
    quick.fake.impose_flood(retry_after=1, count=1, method="editMessageReplyMarkup")
    quick.fake.fail_next("sendMessage", status=502)
    quick.fake.fail_next("sendMessage", status=500)
    await sam.send("Een gesprek op het plein dat me bijbleef")
    assert question_count(sam, "stap 3 van 6") == 1
    statuses = [c.status for c in quick.fake.calls[-6:]]
    assert {429, 502, 500} <= set(statuses)
    assert len(await answers(quick)) == 1
    await sam.press("⬜ Verbinding")
    quick.fake.fail_next("editMessageText", status=500)  # the echo on the answered question
    quick.fake.impose_flood(retry_after=1, count=1, method="sendMessage")  # the next question
    await sam.press("Klaar ✅")
    assert question_count(sam, "stap 4 van 6") == 1
    assert sum("✓ Jouw antwoord: Verbinding" in m.text for m in sam.messages) == 1
    assert not any(ERROR_TEXT in m.text for m in sam.messages)


async def test_telegram_down_longer_than_the_retries_loses_no_answer(quick, caplog):
    sam, _run, _step = await open_text_question(quick)
    quick.fake.fail_next("sendMessage", status=502, count=3)  # one try and two retries
    await sam.send("Een gesprek op het plein dat me bijbleef")
    assert question_count(sam, "stap 3 van 6") == 0  # the next question did not arrive
    assert any(ERROR_TEXT in m.text for m in sam.messages)  # but the person was told
    assert our_errors(caplog.records) == ["update handling failed: NetworkError"]
    assert len(await answers(quick)) == 1  # and the answer is kept
    # Telegram is back: the person goes on where they were, nothing sent twice
    await sam.send("/oefeningen")
    await sam.press("🪞 Zelfkennis")
    (question,) = await sam.press("⏳ Wat drijft jou? · 5 min")
    assert "stap 3 van 6" in question.text
    assert question_count(sam, "stap 3 van 6") == 1


async def test_403_in_the_middle_of_a_reply(quick):
    sam, _run, _step = await open_text_question(quick)
    await sam.send("Een gesprek op het plein dat me bijbleef")
    await sam.press("⬜ Verbinding")
    await sam.press("Klaar ✅")
    # the echo edit goes through, then the person blocks the bot: the next message gets 403
    quick.fake.fail_next("sendMessage", status=403)
    await sam.press("2")
    assert question_count(sam, "Dank je voor je eerlijkheid") == 0
    assert [c.status for c in quick.fake.calls if c.method == "sendMessage"][-1] == 403

    def person(session: Any) -> bool:
        return session.execute(select(Person.active)).scalar_one()

    assert await quick.app.db.read(person) is False  # not reachable: no pushes for now
    assert (await answers(quick))[-1][1:] == ("zekerheid", 2)  # the answer is kept
    await sam.send("/oefeningen")  # back again
    assert await quick.app.db.read(person) is True
    await sam.press("🪞 Zelfkennis")
    await sam.press("⏳ Wat drijft jou? · 5 min")
    assert "Ja" in sam.last.labels  # the yes/no question after the card, once
    assert question_count(sam, "Dank je voor je eerlijkheid") == 1
    assert not any(ERROR_TEXT in m.text for m in sam.messages)


# -- timeouts, over loopback with real request timeouts ---------------------------------------


TIMEOUT = 1.0  # the bot's read timeout in these tests (generous: CI machines are slow)
HANG = 1.6  # how long a hanging request takes: longer than the timeout


def plain(fake: Any) -> Any:
    """The fake itself, over loopback."""
    return fake.app


class Swallow:
    """An ASGI wrapper around the fake: once armed, the next `count` sendMessage requests
    get no answer for `seconds` and never reach Telegram (a connection that hangs on the
    way there), so the bot's request times out and nothing was sent."""

    def __init__(self) -> None:
        self.left = 0
        self.seconds = 0.0

    def arm(self, count: int, seconds: float) -> None:
        self.left, self.seconds = count, seconds

    def __call__(self, fake: Any) -> Any:
        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "http" and scope["path"].endswith("/sendMessage") and self.left:
                self.left -= 1
                await asyncio.sleep(self.seconds)
                await send({"type": "http.response.start", "status": 504, "headers": []})
                await send({"type": "http.response.body", "body": b"Gateway Timeout"})
                return
            await fake.app(scope, receive, send)

        return app


@pytest.mark.slow
async def test_a_timeout_on_the_way_to_telegram_is_retried_and_sent_once(settings, shared_engine):
    swallow = Swallow()
    async with harness(settings, shared_engine, asgi=swallow, read_timeout=TIMEOUT) as telegram:
        sam, _run, _step = await open_text_question(telegram)
        swallow.arm(1, HANG)
        await sam.send("Een gesprek op het plein dat me bijbleef")
        await asyncio.sleep(HANG - TIMEOUT + 0.3)  # the swallowed request has ended too
        assert question_count(sam, "stap 3 van 6") == 1
        assert len(await answers(telegram)) == 1


async def test_a_slow_answer_within_the_timeout_is_not_sent_again(settings, shared_engine):
    async with harness(settings, shared_engine, asgi=plain, read_timeout=3) as t:
        sam, _run, _step = await open_text_question(t)
        t.fake.delay_next("sendMessage", 0.5)
        await sam.send("Een gesprek op het plein dat me bijbleef")
        assert question_count(sam, "stap 3 van 6") == 1
        assert len(await answers(t)) == 1


@pytest.mark.slow
async def test_a_timeout_after_telegram_took_the_message_repeats_at_most_that_message(
    settings, shared_engine
):
    """The Bot API has no idempotency key: when Telegram stored a message but its answer
    timed out, the bot cannot know, and sends that one message again rather than leave
    the person without their next question. Answers are never affected."""
    async with harness(
        settings, shared_engine, asgi=lambda fake: fake.app, read_timeout=TIMEOUT
    ) as t:
        sam, _run, _step = await open_text_question(t)
        t.fake.delay_next("sendMessage", HANG)
        await sam.send("Een gesprek op het plein dat me bijbleef")
        await asyncio.sleep(HANG - TIMEOUT + 0.3)  # the slow original lands after the retry
        assert 1 <= question_count(sam, "stap 3 van 6") <= 2
        assert [(k, v) for _r, k, v in await answers(t)] == [
            ("motivatie", "Een gesprek op het plein dat me bijbleef")
        ]
        await sam.press("⬜ Verbinding", message_id=sam.last.message_id)
        await sam.press("Klaar ✅")
        assert question_count(sam, "stap 4 van 6") == 1
        assert (await runs(t))[0][:2] == ("zeker", "active")


# -- a push with failures ------------------------------------------------------------------------


async def deliveries(telegram: Telegram) -> dict[str, str]:
    def work(session: Any) -> dict[str, str]:
        rows = session.execute(
            select(Person.first_name, Delivery.status).join(Person, Person.id == Delivery.person_id)
        )
        return dict(rows.all())

    return await telegram.app.db.read(work)


def pushes_to(person: Chat) -> int:
    return sum("zette een oefening voor je klaar" in m.text for m in person.messages)


async def test_429_5xx_and_403_in_the_middle_of_a_push(quick, caplog):
    ali, bo, cas, dirk = await a_due_push(quick, ("Ali", "Bo", "Cas", "Dirk"))
    one_by_one = dispatcher(quick.application, quick.app)
    quick.fake.impose_flood(retry_after=1, count=1)
    assert await one_by_one.tick(batch=1) == 1  # Ali: 429, waited out, sent
    quick.fake.fail_next("sendMessage", status=502, count=3)
    assert await one_by_one.tick(batch=1) == 1  # Bo: 502 on every try; kept for later
    quick.fake.block(cas.user)
    assert await one_by_one.tick(batch=1) == 1  # Cas: 403
    assert await one_by_one.tick(batch=1) == 1  # Dirk
    assert await one_by_one.tick(batch=1) == 0  # Bo waits for the backoff; Cas is not retried
    assert await deliveries(quick) == {
        "Ali": "delivered",
        "Bo": "pending",
        "Cas": "failed",
        "Dirk": "delivered",
    }
    quick.clock.advance(timedelta(minutes=10))
    assert await quick.dispatch() == 1
    assert await quick.dispatch() == 0
    assert [pushes_to(p) for p in (ali, bo, cas, dirk)] == [1, 1, 0, 1]
    assert (await deliveries(quick))["Bo"] == "delivered"
    assert our_errors(caplog.records) == []


async def test_failures_spread_over_a_push_sent_at_once(quick):
    pros = await a_due_push(quick, ("Ali", "Bo", "Cas", "Dirk", "Eva", "Fen"))
    quick.fake.block(pros[2].user)
    quick.fake.impose_flood(retry_after=1, count=2)
    quick.fake.fail_next("sendMessage", status=500, count=4)
    quick.fake.fail_next("sendMessage", status=502, count=4)
    assert await quick.dispatch() == 6  # all at once, whichever call meets which failure
    for _ in range(4):
        quick.clock.advance(timedelta(minutes=10))
        await quick.dispatch()
    assert [pushes_to(p) for p in pros] == [1, 1, 0, 1, 1, 1]
    assert sorted((await deliveries(quick)).values()) == ["delivered"] * 5 + ["failed"]


async def test_telegram_failing_for_good_ends_in_failed_deliveries_not_a_loop(quick):
    ali, bo = await a_due_push(quick, ("Ali", "Bo"))
    quick.fake.fail_next("sendMessage", status=500, count=10_000)
    tries = 0
    for _ in range(12):
        tries += await quick.dispatch()
        quick.clock.advance(timedelta(hours=1))
    calls = len([c for c in quick.fake.calls if c.method == "sendMessage" and c.status == 500])
    assert calls < 50  # bounded: a few attempts each, then given up
    assert set((await deliveries(quick)).values()) == {"failed"}
    assert [pushes_to(ali), pushes_to(bo)] == [0, 0]
    assert await quick.dispatch() == 0


async def test_the_dispatcher_keeps_working_after_a_failed_tick(quick, caplog):
    (ali,) = await a_due_push(quick, ("Ali",))
    sender = dispatcher(quick.application, quick.app)
    sender.interval = 0.01
    claim = quick.app.pushes.claim_due
    failures = [RuntimeError("database went away"), RuntimeError("again")]

    async def flaky(limit: int = 30) -> Any:
        if failures:
            raise failures.pop(0)
        return await claim(limit)

    quick.app.pushes.claim_due = flaky  # type: ignore[method-assign]
    task = asyncio.create_task(sender.run())
    try:
        await quick.fake.wait_for(lambda: pushes_to(ali) == 1, 10, "the push")
        await asyncio.sleep(0.1)  # a few more ticks: nothing more goes out
    finally:
        await sender.stop(task)
    assert pushes_to(ali) == 1
    assert our_errors(caplog.records) == ["dispatch tick failed", "dispatch tick failed"]


@pytest.mark.slow
async def test_a_read_timeout_in_a_push_repeats_at_most_that_message(settings, shared_engine):
    """As for replies: Telegram took it, the answer was lost; that one may go twice."""
    async with harness(
        settings, shared_engine, asgi=lambda fake: fake.app, read_timeout=TIMEOUT
    ) as t:
        pros = await a_due_push(t, ("Ali", "Bo"))
        t.fake.delay_next("sendMessage", HANG)
        assert await t.dispatch() == 2
        await asyncio.sleep(HANG - TIMEOUT + 0.3)
        counts = sorted(pushes_to(p) for p in pros)
        assert counts[0] == 1
        assert counts[1] <= 2
        assert set((await deliveries(t)).values()) == {"delivered"}
        assert await t.dispatch() == 0


@pytest.mark.slow
async def test_timeouts_in_the_middle_of_a_push_send_each_message_once(settings, shared_engine):
    swallow = Swallow()
    async with harness(settings, shared_engine, asgi=swallow, read_timeout=TIMEOUT) as telegram:
        pros = await a_due_push(telegram, ("Ali", "Bo", "Cas"))
        swallow.arm(2, HANG)
        assert await telegram.dispatch() == 3
        await asyncio.sleep(HANG - TIMEOUT + 0.3)
        assert [pushes_to(p) for p in pros] == [1, 1, 1]
        assert set((await deliveries(telegram)).values()) == {"delivered"}
