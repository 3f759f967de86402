"""The trainer's week, end to end: invites, a scheduled push, reminders, review and
feedback, through the real PTB against the fake Bot API with a movable clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.store.models import Delivery
from bot.store.repo import Repository
from bot.telegram import dispatcher
from tests.telegram.conftest import Person, Telegram


async def trainer_of(tg: Telegram, group: str = "Jongerenwerk") -> Person:
    """A trainer who joined through an invite the operator made (like `admin invite`)."""
    trainer = tg.person("Tess")
    await trainer.send(f"/start {await tg.invite(role='trainer', group=group)}")
    await trainer.press("Akkoord, ik doe mee")
    return trainer


async def invite_link(trainer: Person) -> str:
    """The trainer makes a professional invite in the bot: /groep > group > invite."""
    await trainer.send("/groep")
    await trainer.press(trainer.last.labels[0])
    await trainer.press("🔗 Uitnodiging maken")
    await trainer.press("professional")
    await trainer.press("7 dagen")
    await trainer.press("Onbeperkt")
    text = trainer.last.text
    assert "als professional, geldig tot" in text
    return text.strip().splitlines()[-1]


async def join(tg: Telegram, name: str, link: str) -> Person:
    person = tg.person(name)
    await person.send("/start " + link.split("start=")[1])
    await person.press("Akkoord, ik doe mee")
    return person


async def schedule_monday_nine(trainer: Person, exercise: str = "Wat drijft jou? · 5 min") -> None:
    await trainer.send("/groep")
    await trainer.press(trainer.last.labels[0])
    await trainer.press("📣 Oefening klaarzetten")
    await trainer.press(exercise)
    await trainer.press("Maandag 9:00")
    await trainer.send("Doe deze vóór de trainingsdag, dan bespreken we hem samen.")
    assert "Wanneer: 30-11-2026 09:00" in trainer.last.text
    await trainer.press("✅ Klaarzetten")
    assert "Klaargezet: ‘Wat drijft jou?’ voor Jongerenwerk, 30-11-2026 09:00." in trainer.last.text


async def a_due_push(tg: Telegram, names: tuple[str, ...]) -> list[Person]:
    """These professionals joined through the trainer's invite; a push for Monday 9:00
    is scheduled and the clock stands on Monday, so it is due."""
    trainer = await trainer_of(tg)
    link = await invite_link(trainer)
    pros = [await join(tg, name, link) for name in names]
    await schedule_monday_nine(trainer)
    tg.clock.advance(timedelta(days=3))  # Monday: due
    return pros


async def test_a_trainers_week(tg):
    trainer = await trainer_of(tg)
    link = await invite_link(trainer)
    pros = [await join(tg, name, link) for name in ("Ali", "Bo", "Cas")]

    await schedule_monday_nine(trainer)
    assert await tg.dispatch() == 0  # Friday: nothing is due yet
    tg.clock.advance(timedelta(days=2, hours=19, minutes=1))  # Monday 09:01
    assert await tg.dispatch() == 3
    assert await tg.dispatch() == 0  # exactly once
    for pro in pros:
        push = [m for m in pro.messages if "zette een oefening voor je klaar" in m.text]
        assert len(push) == 1
        assert "Doe deze vóór de trainingsdag" in push[0].text
        assert push[0].labels == ["▶️ Beginnen"]

    ali, bo, cas = pros
    for pro, words in (
        (ali, "Een gesprek met een jongen op het plein"),
        (bo, "Mijn eerste huisbezoek"),
    ):
        await tg.feed_pending(pro)
        await pro.press("▶️ Beginnen")
        await pro.press("Ik begin")
        await pro.send(words)
        await pro.press("⬜ Verbinding")
        await pro.press("Klaar ✅")
        await pro.press("4")
        await pro.send("Nooit alleen naar binnen")
        assert "Je koos voor Verbinding" in pro.last.text or "Verbinding" in pro.messages[-1].text

    tg.clock.advance(timedelta(hours=47))
    assert await tg.dispatch() == 0  # not yet 48 hours
    tg.clock.advance(timedelta(hours=2))  # Wednesday 10:01
    assert await tg.dispatch() == 1
    assert "Herinnering" in cas.last.text
    assert await tg.dispatch() == 0  # at most one reminder
    assert not any("Herinnering" in m.text for p in (ali, bo) for m in p.messages)

    # the trainer reviews the push and gives Ali feedback
    await trainer.send("/groep")
    await trainer.press(trainer.last.labels[0])
    await trainer.press("📋 Klaargezette oefeningen")
    await trainer.press(trainer.last.labels[0])
    detail = trainer.last.text
    assert "✅ 2 klaar" in detail
    assert "📬 1 ontvangen" in detail
    await trainer.press("Ali: ✅ klaar")
    assert "Een gesprek met een jongen op het plein" in trainer.last.text
    await trainer.press("💬 Feedback op 1")
    await trainer.send("Mooi dat je dat gesprek aanging. Wat hielp je om te beginnen?")
    assert "Je feedback is verstuurd naar Ali" in trainer.last.text
    feedback = ali.last.text
    assert feedback.startswith("💬 Feedback van je trainer op ‘Wat drijft jou?’")
    assert "Een gesprek met een jongen op het plein" in feedback

    # Ali looks back at their own answers and the feedback
    await ali.send("/mijnantwoorden")
    assert "Wat hielp je om te beginnen?" in ali.last.text
    assert "Nooit alleen naar binnen" in ali.last.text


async def test_a_restart_in_the_middle_of_sending_sends_once(tg):
    trainer = await trainer_of(tg)
    link = await invite_link(trainer)
    pros = [await join(tg, f"P{i}", link) for i in range(4)]
    await schedule_monday_nine(trainer)
    tg.clock.advance(timedelta(days=3))
    claims = await tg.app.pushes.claim_due(2)  # a worker claims two, then dies before sending
    assert len(claims) == 2
    assert await tg.dispatch() == 2  # another worker: the other two, not the claimed ones
    tg.clock.advance(timedelta(minutes=5))  # the dead worker's lease runs out
    assert await tg.dispatch() == 2
    assert await tg.dispatch() == 0
    for pro in pros:
        assert sum("zette een oefening" in m.text for m in pro.messages) == 1


async def test_quiet_hours_delay_a_push_unless_overridden(tg):
    trainer = await trainer_of(tg)
    link = await invite_link(trainer)
    sam = await join(tg, "Sam", link)
    await trainer.send("/groep")
    await trainer.press(trainer.last.labels[0])
    await trainer.press("📣 Oefening klaarzetten")
    await trainer.press("Wat drijft jou? · 5 min")
    await trainer.press("⌨️ Zelf een tijd typen")
    (reply,) = await trainer.send("gisteren om een uur of drie")
    assert "Die tijd begrijp ik niet" in reply.text
    (reply,) = await trainer.send("1-1-2020 9:00")
    assert "al voorbij" in reply.text
    await trainer.send("vandaag 22:30")
    await trainer.press("Geen notitie")
    assert "stille uren (21:00-08:00), dus gaat om 28-11-2026 08:00" in trainer.last.text
    await trainer.press("✅ Klaarzetten")
    tg.clock.advance(timedelta(hours=8))  # 23:00: quiet
    assert await tg.dispatch() == 0
    tg.clock.advance(timedelta(hours=9, minutes=1))  # Saturday 08:01
    assert await tg.dispatch() == 1
    assert "zette een oefening" in sam.last.text


async def test_professionals_cannot_use_trainer_commands(tg):
    sam = await tg.joined("Sam")
    (reply,) = await sam.send("/groep")
    assert "Dit onderdeel is voor trainers" in reply.text
    assert await sam.press_data(sam.messages[0].message_id, "gm:1") == []
    assert "voor trainers" in (tg.fake.answered_callbacks[-1].text or "")


@pytest.mark.parametrize(
    "data",
    [
        "g:{g}",
        "gm:{g}",
        "gx:{g}:{p}",
        "gX:{g}:{p}",
        "gi:{g}",
        "iu:{g}:p:7:0",
        "pn:{g}",
        "pd:{g}:drijfveren",
        "gp:{g}",
    ],
)
async def test_a_trainer_cannot_touch_another_group(tg, data):
    """Forged callback data naming a group the trainer does not train: refused."""
    mine = await trainer_of(tg, group="Jongerenwerk")
    other = await trainer_of(tg, group="Schuldhulp")
    link = await invite_link(other)
    stranger = await join(tg, "Sam", link)

    def group_id(session):
        return (Repository(session).group("Schuldhulp", "Tilburg")).id

    forged = data.format(g=await tg.app.db.read(group_id), p=stranger.user.id)
    replies = await mine.press_data(mine.messages[0].message_id, forged)
    if data.startswith("pd:"):
        await mine.press("✅ Klaarzetten") if mine.last.buttons else None
    texts = " ".join(m.text for m in replies)
    assert "Schuldhulp" not in texts
    assert "Sam" not in texts

    def deliveries(session):
        return session.execute(select(Delivery)).scalars().all()

    assert await tg.app.db.read(deliveries) == []


async def test_feedback_written_in_the_dashboard_is_delivered_by_the_bot(tg):
    trainer = await trainer_of(tg)
    link = await invite_link(trainer)
    ali = await join(tg, "Ali", link)
    await ali.press_data(ali.messages[-1].message_id, "o:drijfveren")
    await ali.press("Ik begin")
    await ali.send("Een gesprek dat me energie gaf")

    def ids(session):
        from bot.store.models import AnswerRow, Person

        answer = session.execute(select(AnswerRow)).scalar_one()
        tess = (session.execute(select(Person).where(Person.first_name == "Tess"))).scalar_one()
        return answer.id, tess.id

    answer_id, trainer_id = await tg.app.db.read(ids)
    await tg.app.review.add_feedback(
        trainer_id, answer_id, "Fijn dat je dit deelt."
    )  # the dashboard
    await tg.dispatch()
    assert not any("Fijn dat je dit deelt" in m.text for m in ali.messages)  # not before the grace
    tg.clock.advance(timedelta(seconds=10))
    await tg.dispatch()
    assert sum("Fijn dat je dit deelt" in m.text for m in ali.messages) == 1
    await tg.dispatch()
    assert sum("Fijn dat je dit deelt" in m.text for m in ali.messages) == 1  # once


async def feedback_from_the_dashboard(tg: Telegram, text: str) -> Person:
    """Ali answers drijfveren's first question; Tess writes `text` under it on the dashboard."""
    trainer = await trainer_of(tg)
    ali = await join(tg, "Ali", await invite_link(trainer))
    await ali.press_data(ali.messages[-1].message_id, "o:drijfveren")
    await ali.press("Ik begin")
    await ali.send("Een gesprek dat me energie gaf")

    def ids(session):
        from bot.store.models import AnswerRow, Person

        answer = session.execute(select(AnswerRow)).scalar_one()
        tess = session.execute(select(Person).where(Person.first_name == "Tess")).scalar_one()
        return answer.id, tess.id

    answer_id, trainer_id = await tg.app.db.read(ids)
    await tg.app.review.add_feedback(trainer_id, answer_id, text)
    tg.clock.advance(timedelta(seconds=10))
    return ali


async def test_dashboard_feedback_goes_out_once_with_two_senders(tg):
    """Two workers' dispatchers tick at the same moment: one of them sends it."""
    ali = await feedback_from_the_dashboard(tg, "Sterk dat je dat zag.")
    one, two = (dispatcher(tg.application, tg.app) for _ in range(2))
    await asyncio.gather(one.tick(), two.tick())
    await tg.dispatch()
    assert sum("Sterk dat je dat zag" in m.text for m in ali.messages) == 1


async def test_dashboard_feedback_refused_by_telegram_is_tried_again(tg):
    ali = await feedback_from_the_dashboard(tg, "Goed opgemerkt.")
    tg.fake.fail_next("sendMessage", status=400)
    await tg.dispatch()
    assert not any("Goed opgemerkt" in m.text for m in ali.messages)
    await tg.dispatch()
    assert sum("Goed opgemerkt" in m.text for m in ali.messages) == 1


async def test_dashboard_link_for_trainers_only(tg):
    trainer = await trainer_of(tg)
    (reply,) = await trainer.send("/dashboard")
    assert "werkt één keer" in reply.text
    assert "/login/" in reply.text
    sam = await tg.joined("Sam")
    (reply,) = await sam.send("/dashboard")
    assert "voor trainers en coördinatoren" in reply.text


async def test_how_the_group_chose_follows_the_coordinators_rules(tg):
    """When five of a group have finished, the last gets the group's tallies: a count
    of five reads 5, one of 1-4 people reads "< 5" (never "1"), nobody reads 0."""
    pros = await a_due_push(tg, ("Ali", "Bo", "Cas", "Dee", "Eef"))
    assert await tg.dispatch() == 5
    for index, pro in enumerate(pros):
        await tg.feed_pending(pro)
        await pro.press("▶️ Beginnen")
        await pro.press("Ik begin")
        await pro.send("Een gesprek met een jongen op het plein")
        await pro.press("⬜ Verbinding")
        if index == 0:
            await pro.press("⬜ Zorg voor anderen")
        await pro.press("Klaar ✅")
        await pro.press("4")
        await pro.send("Nooit alleen naar binnen")
    tallies = [t for t in pros[-1].texts() if "Hoe koos je groep?" in t]
    assert len(tallies) == 1
    assert "Verbinding: 5" in tallies[0]
    assert "Zorg voor anderen: &lt; 5" in tallies[0] or "Zorg voor anderen: < 5" in tallies[0]
    assert "Rechtvaardigheid: 0" in tallies[0]
    assert ": 1" not in tallies[0]
    # The first four finished with fewer than five in the group: no tallies yet.
    assert not any("Hoe koos je groep?" in t for t in pros[0].texts())
