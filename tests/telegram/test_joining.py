"""Joining with an invite: welcome, consent before anything is stored, language."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.store.models import Membership, Person


async def count(tg, model) -> int:
    def work(session):
        return (session.execute(select(func.count()).select_from(model))).scalar_one()

    return await tg.app.db.read(work)


async def test_invite_consent_and_language(tg):
    sam = tg.person("Sam", language_code="nl")
    code = await tg.invite()

    welcome, consent = await sam.send(f"/start {code}")
    assert "Welkom bij Straatwijs, Sam" in welcome.text
    assert "Jongerenwerk" in welcome.text
    assert "Zonder akkoord bewaren we niets" in consent.text
    assert consent.labels == ["Akkoord, ik doe mee", "Nee, liever niet"]
    assert await count(tg, Person) == 0  # nothing stored before consent

    joined, language = await sam.press("Akkoord, ik doe mee")
    assert joined.text == "Je bent lid van Jongerenwerk. Fijn dat je meedoet!"
    assert consent.message_id == sam.messages[1].message_id
    assert sam.messages[1].buttons == []  # the consent keyboard is gone
    assert "✓ Akkoord" in sam.messages[1].text
    assert language.labels == ["• 🇳🇱 Nederlands", "🇬🇧 English"] or language.labels == [
        "🇬🇧 English",
        "• 🇳🇱 Nederlands",
    ]
    assert await count(tg, Person) == 1
    assert await count(tg, Membership) == 1

    set_to, hint = await sam.press("🇬🇧 English")
    assert "now speaks English" in set_to.text
    assert "/oefeningen" in hint.text


async def test_declining_consent_stores_nothing(tg):
    kim = tg.person("Kim")
    await kim.send(f"/start {await tg.invite()}")
    (declined,) = await kim.press("Nee, liever niet")
    assert "er is niets bewaard" in declined.text
    assert await count(tg, Person) == 0


async def test_english_speaker_gets_english(tg):
    alex = tg.person("Alex", language_code="en-GB")
    welcome, _consent = await alex.send(f"/start {await tg.invite()}")
    assert welcome.text.startswith("Welcome to Straatwijs, Alex")


async def test_start_without_code_explains_invites(tg):
    sam = tg.person("Sam")
    (reply,) = await sam.send("/start")
    assert "persoonlijke uitnodiging" in reply.text
    assert await count(tg, Person) == 0


async def test_unknown_expired_and_used_up_invites(tg):
    sam = tg.person("Sam")
    (reply,) = await sam.send("/start ditbestaatniet")
    assert "Deze uitnodiging kennen we niet" in reply.text

    expired = await tg.invite(expires_at=tg.clock.now() - timedelta(minutes=1))
    (reply,) = await sam.send(f"/start {expired}")
    assert "verlopen" in reply.text

    single = await tg.invite(max_uses=1)
    kim = tg.person("Kim")
    await kim.send(f"/start {single}")
    await kim.press("Akkoord, ik doe mee")
    (reply,) = await sam.send(f"/start {single}")
    assert "maximale aantal" in reply.text
    assert await count(tg, Person) == 1


async def test_a_second_group_needs_no_second_consent(tg):
    sam = await tg.joined("Sam")
    other = await tg.invite(group="Schuldhulp")
    joined, hint = await sam.send(f"/start {other}")
    assert joined.text == "Je bent nu ook lid van Schuldhulp."
    assert "/oefeningen" in hint.text
    again, _hint = await sam.send(f"/start {other}")
    assert again.text == "Je bent al lid van Schuldhulp."
    assert await count(tg, Membership) == 2


async def test_someone_who_never_joined(tg):
    stranger = tg.person("Jo")
    (reply,) = await stranger.send("hallo?")
    assert "Open eerst de uitnodigingslink" in reply.text
    (reply,) = await stranger.send("/oefeningen")
    assert "Open eerst de uitnodigingslink" in reply.text
    assert await count(tg, Person) == 0


async def test_commands_are_published_in_both_languages(tg):
    dutch = [c["command"] for c in tg.fake.commands(language_code="nl")]
    english = tg.fake.commands(language_code="en")
    assert dutch == [
        "oefeningen",
        "voortgang",
        "mijnantwoorden",
        "groep",
        "dashboard",
        "mijngegevens",
        "verlaten",
        "vergeet",
        "privacy",
        "hulp",
        "taal",
        "start",
    ]
    assert english[0]["description"] == "Pick an exercise"
    assert tg.fake.commands()[0]["description"] == "Kies een oefening"
