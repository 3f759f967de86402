"""Doing exercises in the chat: menus, every input type, navigation, bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.store.models import AnswerRow, Person
from tests.telegram.conftest import Telegram


async def open_drijfveren(sam) -> None:
    await sam.send("/oefeningen")
    await sam.press("🪞 Zelfkennis")
    await sam.press("🆕 Wat drijft jou? · 5 min")


async def answers(tg: Telegram) -> dict:
    def work(session):
        rows = session.execute(select(AnswerRow)).scalars().all()
        return {r.key: r.text if r.kind == "text" else r.value for r in rows}

    return await tg.app.db.read(work)


async def test_menu_by_family_and_by_part(tg):
    sam = await tg.joined()
    (menu,) = await sam.send("/oefeningen")
    assert menu.labels == [
        "🪞 Zelfkennis",
        "💡 Bewustwording",
        "🏙️ Straatscenario's",
        "📚 Per trainingsonderdeel",
        "📘 Kennisbank",
    ]
    await sam.press("🏙️ Straatscenario's")
    edited = sam.tg.fake.sent(sam.user)[-1]
    assert edited.message_id == menu.message_id  # the menu is edited in place
    assert any("De zolder" in label for label in edited.labels)
    assert all(" min" in label for label in edited.labels[:-1])
    await sam.press("↩️ Terug naar het menu")
    await sam.press("📚 Per trainingsonderdeel")
    assert "Handelingsintelligentie" in sam.last.labels
    await sam.press("Zelfkennis en zelfreflectie")
    assert "🆕 Wat drijft jou? · 5 min" in sam.last.labels


async def test_the_knowledge_library(tg):
    sam = await tg.joined()
    await sam.send("/oefeningen")
    await sam.press("📘 Kennisbank")
    assert "Geldezels" in sam.last.labels
    await sam.press("Geldezels")
    card = sam.last
    assert card.text.startswith("📘 Geldezels")
    assert "Bron" in card.text
    assert len(card.text) < 1500
    await sam.press("📘 Kennisbank")
    assert "Meldroutes" in sam.last.labels


async def test_a_complete_exercise_with_every_input_type(tg):
    sam = await tg.joined("Sam")
    await open_drijfveren(sam)
    intro, question = sam.messages[-2:]
    assert intro.text.startswith("Hoi Sam.")
    assert "stap 1 van 6" in question.text
    assert question.labels == ["Ik begin", "Liever later", "⏸ Pauze", "⏹ Stoppen"]

    (text_question,) = await sam.press("Ik begin")  # choice
    assert "✓ Jouw antwoord: Ik begin" in sam.tg.fake.sent(sam.user)[-2].text
    assert question.message_id == sam.tg.fake.sent(sam.user)[-2].message_id
    assert sam.tg.fake.sent(sam.user)[-2].buttons == []  # no dead keyboard
    assert "stap 2 van 6" in text_question.text
    assert text_question.labels == ["↩️ Terug", "⏸ Pauze", "⏹ Stoppen"]

    (multi,) = await sam.send("Een jongen die ik al maanden volg vroeg om hulp")  # free text
    assert sam.tg.fake.sent(sam.user)[-2].buttons == []  # nav buttons of the text question gone
    await sam.press("⬜ Verbinding")  # multi: toggle
    assert "☑️ Verbinding" in sam.last.labels
    assert sam.last.message_id == multi.message_id  # toggles edit the keyboard in place
    await sam.press("⬜ Zorg voor anderen")
    (scale,) = await sam.press("Klaar ✅")
    assert "Jouw antwoord: Verbinding, Zorg voor anderen" in sam.tg.fake.sent(sam.user)[-2].text
    assert scale.labels[:5] == ["1", "2", "3", "4", "5"]
    assert "1 = onzeker · 5 = heel zeker" in scale.text

    steun, card = await sam.press("2")  # scale, low: the branch to support
    assert "Dank je voor je eerlijkheid" in steun.text
    assert card.text.startswith("📘 Rugdekking")
    assert card.labels[:2] == ["Ja", "Nee"]
    (_limit,) = await sam.press("Ja")  # yes/no
    (end,) = await sam.send("Ik ga nooit alleen een woning in")
    assert "Je koos voor Verbinding, Zorg voor anderen" in end.text
    assert end.buttons == []
    run_buttons = [m for m in sam.keyboards() if any(d.startswith("r:") for _, d in m.buttons[0])]
    assert run_buttons == []  # no question keeps live buttons once answered
    assert await answers(tg) == {
        "motivatie": "Een jongen die ik al maanden volg vroeg om hulp",
        "kernwaarden": ["verbinding", "zorg"],
        "zekerheid": 2,
        "steun_gesproken": "yes",
        "grens": "Ik ga nooit alleen een woning in",
    }
    await sam.send("/oefeningen")
    await sam.press("🪞 Zelfkennis")
    assert "✅ Wat drijft jou? · 5 min" in sam.last.labels


async def test_pause_and_resume_from_the_menu(tg):
    sam = await tg.joined()
    await open_drijfveren(sam)
    await sam.press("Ik begin")
    (paused,) = await sam.press("⏸ Pauze")
    assert "Gepauzeerd" in paused.text
    (reply,) = await sam.send("nog iets")
    assert "Er staat geen oefening open" in reply.text
    await sam.send("/oefeningen")
    await sam.press("🪞 Zelfkennis")
    assert "⏳ Wat drijft jou? · 5 min" in sam.last.labels
    (question,) = await sam.press("⏳ Wat drijft jou? · 5 min")
    assert "stap 2 van 6" in question.text


async def test_back_changes_the_previous_answer(tg):
    sam = await tg.joined()
    await open_drijfveren(sam)
    await sam.press("Ik begin")
    await sam.send("Een moment op het plein dat me raakte")
    await sam.press("⬜ Zorg voor anderen")
    await sam.press("Klaar ✅")
    (multi,) = await sam.press("↩️ Terug")
    assert "☑️ Zorg voor anderen" in multi.labels  # the earlier choice is shown
    await sam.press("☑️ Zorg voor anderen")
    await sam.press("⬜ Rechtvaardigheid")
    await sam.press("Klaar ✅")
    assert (await answers(tg))["kernwaarden"] == ["rechtvaardigheid"]


async def test_stop(tg):
    sam = await tg.joined()
    await open_drijfveren(sam)
    (stopped,) = await sam.press("⏹ Stoppen")
    assert "gestopt" in stopped.text


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "document", "location", "contact"])
async def test_media_where_text_is_expected(tg, kind):
    sam = await tg.joined()
    await open_drijfveren(sam)
    await sam.press("Ik begin")
    send = getattr(tg.fake, f"send_{kind}")
    (reprompt,) = await sam.act(await send(sam.user))
    assert "alleen met tekst of de knoppen" in reprompt.text
    assert "stap 2 van 6" in reprompt.text
    (nxt,) = await sam.send("Toch in woorden: een goed gesprek")
    assert "Welke waarden" in nxt.text


async def test_old_buttons_are_answered_kindly(tg):
    sam = await tg.joined()
    await open_drijfveren(sam)
    question = sam.messages[-1]
    data = question.buttons[0][0][1]
    await sam.press("Ik begin")
    # the same button again (an old message, pressed twice quickly)
    assert await sam.press_data(question.message_id, data) == []
    answered = tg.fake.answered_callbacks[-1]
    assert "hoort bij een eerdere vraag" in (answered.text or "")
    # a button of a run that does not exist, and data we never made
    assert await sam.press_data(question.message_id, "r:999:0:p:start") == []
    assert await sam.press_data(question.message_id, "zomaar iets") == []
    assert len(await answers(tg)) == 0


async def test_buttons_of_a_finished_run(tg):
    sam = await tg.joined()
    await open_drijfveren(sam)
    question = sam.messages[-1]
    data = question.buttons[1][0][1]
    await sam.press("Liever later")  # ends the dialogue at once
    assert await sam.press_data(question.message_id, data) == []
    assert "eerdere vraag" in (tg.fake.answered_callbacks[-1].text or "")


async def test_typed_answers_for_buttons(tg):
    sam = await tg.joined()
    await open_drijfveren(sam)
    (nxt,) = await sam.send("1")
    assert "stap 2 van 6" in nxt.text
    (reprompt,) = await sam.send("kort")
    assert "minstens 10 tekens" in reprompt.text


async def test_a_text_of_5000_characters(tg):
    sam = await tg.joined()
    await open_drijfveren(sam)
    await sam.press("Ik begin")
    (reprompt,) = await sam.send("woord " * 833 + "ab")
    assert "maximaal 1500 tekens" in reprompt.text
    assert len(await answers(tg)) == 0


async def test_edited_message_is_explained_not_applied(tg):
    sam = await tg.joined()
    await open_drijfveren(sam)
    await sam.press("Ik begin")
    await sam.send("Eerste versie van mijn antwoord")
    mine = [m for m in tg.fake.history(sam.user) if not m.from_bot][-1]
    (note,) = await sam.act(await tg.fake.edit_text(sam.user, mine.message_id, "Tweede versie"))
    assert "zoals je het eerst stuurde" in note.text
    assert (await answers(tg))["motivatie"] == "Eerste versie van mijn antwoord"


async def test_unknown_command_and_help(tg):
    sam = await tg.joined()
    (reply,) = await sam.send("/onzin")
    assert "Dat commando ken ik niet" in reply.text
    (reply,) = await sam.send("/hulp")
    assert "/oefeningen" in reply.text


async def test_a_duplicate_update_has_one_effect(tg):
    sam = await tg.joined()
    await open_drijfveren(sam)
    await sam.press("Ik begin")
    update = await tg.fake.send_text(sam.user, "Een antwoord dat maar één keer telt")
    first = await sam.act(update)
    again = await sam.act(update)  # Telegram delivers it a second time
    assert len(first) == 1
    assert again == []
    assert (await answers(tg))["motivatie"] == "Een antwoord dat maar één keer telt"


async def test_html_in_answers_and_names_is_escaped(tg):
    sam = await tg.joined("<b>Sam</b> & co")
    await open_drijfveren(sam)
    assert sam.messages[-2].text.startswith("Hoi <b>Sam</b> & co.")


async def test_blocked_user_becomes_inactive(tg):
    sam = await tg.joined()
    await open_drijfveren(sam)
    await sam.press("Ik begin")
    tg.fake.block(sam.user)
    await tg.feed_pending(sam)  # my_chat_member: kicked

    def active(session):
        return session.execute(select(Person.active)).scalar_one()

    assert await tg.app.db.read(active) is False


async def test_identifying_details_are_held_back_until_confirmed(tg):
    sam = await tg.joined()
    await open_drijfveren(sam)
    await sam.press("Ik begin")
    text = "Ik sprak de moeder, haar nummer is 06-12345678, over haar zoon"
    (warning,) = await sam.send(text)
    assert "een telefoonnummer" in warning.text
    assert await answers(tg) == {}
    (nxt,) = await sam.send(text)  # the same text again: keep it after all
    assert "Welke waarden" in nxt.text
    assert (await answers(tg))["motivatie"] == text
