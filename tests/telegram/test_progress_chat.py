"""/voortgang in the chat: the check-in done twice, then the trend as a photo."""

from __future__ import annotations

import io

from PIL import Image

from tests.telegram.conftest import Person, Telegram

FIRST = ["2", "3", "2", "1", "3", "4", "2"]
SECOND = ["4", "3", "4", "2", "3", "5", "4"]


async def answer_checkin(person: Person, scores: list[str], helped: str) -> None:
    """Press a score for each of the seven questions, then type what helped."""
    for score in scores:
        question = person.last
        assert "Hoe zeker voel je je daarin?" in question.text
        assert question.labels[:5] == ["1", "2", "3", "4", "5"]
        await person.press(score)
    assert "wat hielp je" in person.last.text
    (closing,) = await person.send(helped)
    assert "/voortgang" in closing.text


async def test_before_any_checkin_voortgang_invites_to_do_one(tg: Telegram):
    sam = await tg.joined("Sam")
    (invitation,) = await sam.send("/voortgang")
    assert "check-in" in invitation.text
    assert invitation.labels == ["🪞 Check-in doen"]
    assert tg.fake.photos(sam.user) == []

    opened = await sam.press("🪞 Check-in doen")
    assert opened[0].text.startswith("Hoi Sam. Even inchecken")
    assert "stap 1 van 8" in opened[-1].text


async def test_two_checkins_then_the_chart_with_its_summary(tg: Telegram):
    sam = await tg.joined("Sam")
    await sam.send("/oefeningen")
    await sam.press("🪞 Zelfkennis")
    await sam.press("🆕 Check-in: hoe zeker ben je? · 2 min")
    await answer_checkin(sam, FIRST, "Een collega die meedacht")

    await sam.press_data(sam.last.message_id, "o:checkin")  # the button a push would carry
    await answer_checkin(sam, SECOND, "Het trainingsblok over signalen")

    (chart,) = await sam.send("/voortgang")
    assert chart.kind == "photo"
    (photo,) = tg.fake.photos(sam.user)
    image = Image.open(io.BytesIO(photo.data))
    assert (image.format, image.size) == ("PNG", (1000, 700))
    image.verify()
    caption = chart.text
    assert caption.startswith("Je voortgang over 2 check-ins")
    for line in (
        "• Wat werkt hier: 2 → 4",
        "• Effectieve interventies: 3 → 3",
        "• Bottom-up denken en doen: 2 → 4",
        "• Structureel maatwerk: 1 → 2",
        "• Diep inzicht: 3 → 3",
        "• Spontane energie benutten: 4 → 5",
        "• Commitment organiseren: 2 → 4",
    ):
        assert line in caption
    assert len(caption) <= 1024
    assert chart.labels == ["🪞 Nieuwe check-in"]

    # The button under the chart opens a third check-in.
    opened = await sam.press("🪞 Nieuwe check-in")
    assert "stap 1 van 8" in opened[-1].text


async def test_someone_elses_checkins_never_show(tg: Telegram):
    sam = await tg.joined("Sam")
    await sam.send("/oefeningen")
    await sam.press("🪞 Zelfkennis")
    await sam.press("🆕 Check-in: hoe zeker ben je? · 2 min")
    await answer_checkin(sam, FIRST, "Een collega die meedacht")

    kim = await tg.joined("Kim")
    (reply,) = await kim.send("/voortgang")
    assert reply.kind == "text"
    assert reply.labels == ["🪞 Check-in doen"]
    assert tg.fake.photos(kim.user) == []

    (chart,) = await sam.send("/voortgang")
    assert chart.text.startswith("Je eerste check-in, op ")
    assert "• Wat werkt hier: 2" in chart.text


async def test_the_chart_speaks_the_persons_language(tg: Telegram):
    alex = await tg.joined("Alex", language_code="en")
    await alex.send("/voortgang")
    await alex.press("🪞 Do the check-in")
    for score in FIRST:
        assert "How confident do you feel about that?" in alex.last.text
        await alex.press(score)
    await alex.send("A colleague who thought along")

    (chart,) = await alex.send("/voortgang")
    assert chart.text.startswith("Your first check-in, on ")
    assert "• What works here: 2" in chart.text
    assert chart.labels == ["🪞 New check-in"]


async def test_voortgang_needs_an_invite_and_is_in_the_command_list(tg: Telegram):
    stranger = tg.person("Noor")
    (reply,) = await stranger.send("/voortgang")
    assert "nog niet aangemeld" in reply.text
    for language in ("nl", "en", ""):
        assert "voortgang" in [c["command"] for c in tg.fake.commands(language_code=language)]
