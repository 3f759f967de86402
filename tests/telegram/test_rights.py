"""Data rights in the chat: export everything, leave a group, be forgotten."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.store.models import AnswerRow, Membership, Person, Run


async def count(tg, model) -> int:
    def work(session):
        return (session.execute(select(func.count()).select_from(model))).scalar_one()

    return await tg.app.db.read(work)


async def answer_one(sam) -> None:
    await sam.press_data(sam.messages[-1].message_id, "o:drijfveren")
    await sam.press("Ik begin")
    await sam.send("Een gesprek dat me bijbleef op het plein")


async def test_my_data_is_a_readable_json_file(tg):
    sam = await tg.joined("Sam")
    await answer_one(sam)
    await sam.send("/mijngegevens")
    (document,) = tg.fake.documents(sam.user)
    assert document.file_name == "straatwijs-mijn-gegevens.json"
    data = json.loads(document.data)
    assert data["person"]["first_name"] == "Sam"
    assert data["groups"][0]["group"] == "Jongerenwerk"
    answers = data["exercises"][0]["answers"]
    assert answers[0]["answer"] == "Een gesprek dat me bijbleef op het plein"


async def test_forget_me_erases_everything_after_confirmation(tg):
    sam = await tg.joined("Sam")
    kim = await tg.joined("Kim")
    await answer_one(sam)
    await answer_one(kim)
    await sam.send("/vergeet")
    (kept,) = await sam.press("Nee, toch niet")
    assert "niets gewist" in kept.text
    assert await count(tg, Person) == 2
    await sam.send("/vergeet")
    (gone,) = await sam.press("Ja, wis alles")
    assert "Alles is gewist" in gone.text
    assert await count(tg, Person) == 1
    assert await count(tg, Run) == 1  # only Kim's
    assert await count(tg, AnswerRow) == 1
    (reply,) = await sam.send("/oefeningen")
    assert "Open eerst de uitnodigingslink" in reply.text


async def test_leaving_a_group(tg):
    sam = await tg.joined("Sam")
    await sam.send("/verlaten")
    (left,) = await sam.press("Verlaat Jongerenwerk")
    assert left.text == "Je hebt Jongerenwerk verlaten."
    assert await count(tg, Membership) == 0
    (reply,) = await sam.send("/verlaten")
    assert "niet (meer) in een groep" in reply.text


async def test_the_privacy_statement(tg):
    sam = tg.person("Sam")
    (reply,) = await sam.send("/privacy")
    assert "na 12 maanden automatisch gewist" in reply.text
