"""Free text that seems to identify someone is held back until the person confirms."""

from __future__ import annotations

from bot.engine import Context, Say
from tests.engine.helpers import shipped_engine, walk

PHONE = "Ik belde de moeder op 06-12345678 om te vragen hoe het ging"


def test_identifying_text_is_flagged_not_stored():
    transcript = walk(shipped_engine(), "drijfveren", ["1", PHONE])
    outcome = transcript.last
    assert outcome.status == "flagged"
    assert outcome.answer is None
    assert "motivatie" not in outcome.run.answers
    assert outcome.run.state == "waarom"
    assert "een telefoonnummer" in outcome.replies[0].text
    assert PHONE not in str(outcome.run)  # only a fingerprint is kept


def test_sending_the_same_text_again_confirms_it():
    transcript = walk(shipped_engine(), "drijfveren", ["1", PHONE, PHONE])
    assert transcript.last.status == "advanced"
    assert transcript.last.answer.value == PHONE
    assert transcript.last.run.pending == ()


def test_a_rephrased_text_is_stored_at_once():
    rephrased = "Ik belde de moeder van een jongen van een jaar of 16 om te vragen hoe het ging"
    transcript = walk(shipped_engine(), "drijfveren", ["1", PHONE, rephrased])
    assert transcript.last.status == "advanced"
    assert transcript.last.answer.value == rephrased


def test_a_different_flagged_text_is_flagged_again():
    other = "Zijn e-mail is jongen123@example.com, daar stuurde ik het naartoe"
    transcript = walk(shipped_engine(), "drijfveren", ["1", PHONE, other])
    assert transcript.last.status == "flagged"
    assert "een e-mailadres" in transcript.last.replies[0].text


def test_english_wording():
    engine = shipped_engine()
    transcript = walk(engine, "drijfveren", ["1", PHONE], ctx=Context("en", "Sam"))
    assert "a phone number" in transcript.last.replies[0].text
    assert isinstance(Say(PHONE), Say)
