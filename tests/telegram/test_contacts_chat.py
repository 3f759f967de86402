"""Local contacts in the chat: an exercise names the organisation's own number once
an operator set it, and the national route before (or after it is cleared)."""

from __future__ import annotations

from tests.telegram.conftest import Person, Telegram

PIKET = "Piket jongerenwerk Tilburg: 06-12345678"
NATIONAL = "bij direct gevaar 112, anders de politie op 0900-8844"
# The menu, exercise, "felt threatened" and story, per language.
STEPS = {
    "nl": ("Zelfkennis", "Wat deed het met jou?", "Ja", "Een gesprek op het plein liep anders"),
    "en": ("Self-knowledge", "What did it do to you?", "Yes", "A talk on the square went wrong"),
}


async def to_the_threat_card(person: Person, language: str = "nl") -> str:
    """`wat_deed_het` up to the card after "yes, I felt threatened"; what the bot sent."""
    family, title, yes, story = STEPS[language]
    await person.send("/oefeningen")
    await person.press(next(label for label in person.last.labels if family in label))
    await person.press(next(label for label in person.last.labels if title in label))
    await person.press("2")
    await person.send(story)
    shown = await person.press(yes)
    return "\n".join(message.text or "" for message in shown)


async def test_an_exercise_reads_the_local_number_or_the_national_route(tg: Telegram) -> None:
    noor = await tg.joined("Noor")
    before = await to_the_threat_card(noor)
    assert f"Buiten kantoortijd bel je: {NATIONAL}." in before
    assert PIKET not in before

    await tg.app.contacts.change("Tilburg", {"buiten_kantoortijd": PIKET}, "nl")
    sam = await tg.joined("Sam")
    after = await to_the_threat_card(sam)
    assert f"Buiten kantoortijd bel je: {PIKET}." in after
    assert NATIONAL not in after
    assert "{contact." not in after

    await tg.app.contacts.change("Tilburg", {"buiten_kantoortijd": None}, "nl")
    kim = await tg.joined("Kim", language_code="en")  # keeps the suggested English
    english = await to_the_threat_card(kim, "en")
    assert "Outside office hours, call: 112 in immediate danger" in english
    assert PIKET not in english
