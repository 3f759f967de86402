"""The validator's side of local contacts: every contact has its national fallback
text in every locale (unknown `{contact.*}` keys: broken/unknown_contact_placeholder)."""

from __future__ import annotations

from pathlib import Path

from bot.dialogues.checks import check_required_texts
from bot.dialogues.contacts import CONTACT_KEYS
from bot.dialogues.content import load_locale

REPO = Path(__file__).resolve().parents[2]


def test_every_contact_needs_a_national_fallback_in_every_locale() -> None:
    for code in ("nl", "en"):
        locale, problems = load_locale(REPO / "content", code)
        assert problems == []
        assert list(check_required_texts(locale, REPO / "content", REPO)) == []
        for key in CONTACT_KEYS:
            fallback = locale.get(f"contact.{key}")
            assert fallback
            assert "{" not in fallback
            assert not fallback.endswith(".")  # the exercise's sentence ends it
        del locale.texts["contact.meldpunt"]
        missing = [str(p) for p in check_required_texts(locale, REPO / "content", REPO)]
        assert missing == [
            f"content/{code}:1: required text 'contact.meldpunt' is missing in locale "
            f"'{code}' (hint: add it to content/{code}/contact.yaml)"
        ]
