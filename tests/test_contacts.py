"""Local contacts as a service: what a value may be, and who may read or change them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.dialogues.contacts import CONTACT_KEYS, MAX_CONTACT_CHARS
from bot.services.access import AccessDenied, Gone
from bot.services.contacts import CONTACTS_CHANGED, ContactError, clean
from bot.store.models import AuditEntry, Group, Membership, Organisation, Person

MELDPUNT = "Meldpunt Ondermijning Tilburg, 013-123 45 67"


async def world(app: Any) -> dict[str, int]:
    """Tilburg: group Noord with trainer Tess, coordinator Cora and professional Piet,
    and group Zuid without anyone. Breda: group Centrum with trainer Tom and
    coordinator Ute."""

    def work(session: Any) -> dict[str, int]:
        tilburg, breda = Organisation(name="Tilburg"), Organisation(name="Breda")
        groups = {
            "noord": Group(organisation=tilburg, name="Noord"),
            "zuid": Group(organisation=tilburg, name="Zuid"),
            "centrum": Group(organisation=breda, name="Centrum"),
        }
        roles = {
            "tess": ("noord", "trainer"),
            "cora": ("noord", "coordinator"),
            "piet": ("noord", "professional"),
            "tom": ("centrum", "trainer"),
            "ute": ("centrum", "coordinator"),
        }
        people = {
            name: Person(channel="telegram", external_id=name, first_name=name, locale="nl")
            for name in roles
        }
        session.add_all([*groups.values(), *people.values()])
        session.flush()
        for name, (group, role) in roles.items():
            session.add(Membership(person_id=people[name].id, group_id=groups[group].id, role=role))
        session.flush()
        return {
            "tilburg": tilburg.id,
            "breda": breda.id,
            **{name: g.id for name, g in groups.items()},
            **{name: p.id for name, p in people.items()},
        }

    return await app.db.write(work)


async def audit_entries(app: Any) -> list[tuple[str, int | None, int | None, str | None]]:
    def work(session: Any) -> list[tuple[str, int | None, int | None, str | None]]:
        rows = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
        return [(r.action, r.actor_id, r.organisation_id, r.detail) for r in rows]

    return await app.db.read(work)


# -- what a value may be ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("meldpunten", "x", "unknown_key"),
        ("", "x", "unknown_key"),
        ("meldpunt", "   ", "empty"),
        ("meldpunt", "x" * (MAX_CONTACT_CHARS + 1), "too_long"),
        ("meldpunt", "Meldpunt\n013-1", "control"),
        ("meldpunt", "Meldpunt\t013-1", "control"),
        ("meldpunt", "Meldpunt \x1b[31m013", "control"),
        ("meldpunt", "Meldpunt \u202e7654-310", "control"),  # shown reversed in a chat
        ("meldpunt", "Meldpunt\u2028013-1", "control"),
    ],
)
def test_bad_values_are_refused_with_a_reason(key: str, value: str, code: str) -> None:
    with pytest.raises(ContactError) as caught:
        clean(key, value)
    assert caught.value.code == code
    assert caught.value.key == key


def test_unknown_keys_name_the_known_ones() -> None:
    with pytest.raises(ContactError, match="did you mean 'meldpunt'") as caught:
        clean("meldpunten", "x")
    assert all(key in str(caught.value) for key in CONTACT_KEYS)


def test_good_values_are_trimmed_and_kept() -> None:
    assert clean("meldpunt", f"  {MELDPUNT} ") == MELDPUNT
    assert clean("meldpunt", "x" * MAX_CONTACT_CHARS) == "x" * MAX_CONTACT_CHARS
    typographic = "Zorg- en Veiligheidshuis ‘Hart van Brabant’ – 013 · 24/7 ✆"
    assert clean("meldpunt", typographic) == typographic
    assert clean("meldpunt", None) is None  # clearing


# -- the operator --------------------------------------------------------------------------


async def test_operator_sets_and_clears_by_name_or_id(app) -> None:
    ids = await world(app)
    sheet = await app.contacts.sheet("Tilburg", "nl")
    assert [c.key for c in sheet.contacts] == list(CONTACT_KEYS)
    assert all(c.value is None for c in sheet.contacts)
    assert "Meld Misdaad Anoniem, 0800-7000" in sheet.get("meldpunt").shown

    sheet = await app.contacts.change(
        str(ids["tilburg"]), {"meldpunt": MELDPUNT, "buiten_kantoortijd": "Piket, 06-1"}, "en"
    )
    assert sheet.get("meldpunt").shown == MELDPUNT
    assert sheet.get("zorg_veiligheidshuis").value is None
    assert "call Veilig Thuis (0800-2000)" in sheet.get("zorg_veiligheidshuis").shown  # English

    sheet = await app.contacts.change("Tilburg", {"buiten_kantoortijd": None}, "nl")
    assert sheet.get("buiten_kantoortijd").value is None
    assert sheet.get("meldpunt").value == MELDPUNT
    assert (await app.contacts.sheet("Breda", "nl")).get("meldpunt").value is None
    entries = await audit_entries(app)
    assert entries == [
        (CONTACTS_CHANGED, None, ids["tilburg"], "buiten_kantoortijd, meldpunt"),
        (CONTACTS_CHANGED, None, ids["tilburg"], "buiten_kantoortijd"),
    ]


async def test_one_bad_value_changes_nothing(app) -> None:
    await world(app)
    with pytest.raises(ContactError):
        await app.contacts.change("Tilburg", {"meldpunt": MELDPUNT, "ondermijning": "x"}, "nl")
    assert (await app.contacts.sheet("Tilburg", "nl")).get("meldpunt").value is None
    assert await audit_entries(app) == []


# -- trainers and coordinators ----------------------------------------------------------------


async def test_a_trainer_changes_their_own_organisations_contacts(app) -> None:
    ids = await world(app)
    sheet = await app.contacts.change_for_group(
        ids["tess"], ids["noord"], {"meldpunt": MELDPUNT}, "nl"
    )
    assert sheet.organisation == "Tilburg"
    assert sheet.get("meldpunt").value == MELDPUNT
    # The whole organisation reads it, also through its other group.
    assert (await app.contacts.sheet("Tilburg", "nl")).get("meldpunt").value == MELDPUNT
    assert await audit_entries(app) == [(CONTACTS_CHANGED, ids["tess"], ids["tilburg"], "meldpunt")]
    # Saving the same value again is no change and leaves no entry.
    await app.contacts.change_for_group(ids["tess"], ids["noord"], {"meldpunt": MELDPUNT}, "nl")
    assert len(await audit_entries(app)) == 1


async def test_nobody_else_reads_or_changes_them(app) -> None:
    ids = await world(app)
    await app.contacts.change("Tilburg", {"meldpunt": MELDPUNT}, "nl")
    # Tom trains in Breda: not Tilburg's groups.
    with pytest.raises(AccessDenied):
        await app.contacts.change_for_group(ids["tom"], ids["noord"], {"meldpunt": "nep"}, "nl")
    with pytest.raises(AccessDenied):
        await app.contacts.for_group(ids["tom"], ids["noord"], "nl")
    # Tess trains Noord, not Zuid (the rule is per group, like every trainer page).
    with pytest.raises(AccessDenied):
        await app.contacts.change_for_group(ids["tess"], ids["zuid"], {"meldpunt": "nep"}, "nl")
    # A coordinator or professional of the group is no trainer.
    for name in ("cora", "piet"):
        with pytest.raises(AccessDenied):
            await app.contacts.change_for_group(ids[name], ids["noord"], {"meldpunt": "x"}, "nl")
    with pytest.raises(Gone):
        await app.contacts.change_for_group(ids["tess"], 9999, {"meldpunt": "nep"}, "nl")
    assert (await app.contacts.sheet("Tilburg", "nl")).get("meldpunt").value == MELDPUNT


async def test_coordinators_of_the_organisation_may_read(app) -> None:
    ids = await world(app)
    await app.contacts.change("Tilburg", {"meldpunt": MELDPUNT}, "nl")
    sheet = await app.contacts.for_organisation(ids["cora"], ids["tilburg"], "nl")
    assert sheet.get("meldpunt").value == MELDPUNT
    for name in ("ute", "tess", "piet"):  # another organisation's coordinator; no coordinators
        with pytest.raises(AccessDenied):
            await app.contacts.for_organisation(ids[name], ids["tilburg"], "nl")
    assert (await app.contacts.for_group(ids["tess"], ids["noord"], "nl")).get(
        "meldpunt"
    ).value == (MELDPUNT)
