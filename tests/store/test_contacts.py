"""An organisation's local contacts in storage, run against SQLite and (in CI) PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete

from bot.store.contacts import ContactRepository, local_contacts
from bot.store.models import Group, Membership, Organisation, Person, Push
from bot.store.repo import NotFound, Repository


async def _setup(app: Any) -> dict[str, int]:
    """Tilburg (groups Noord, Zuid) and Breda (group Centrum); Sam in Noord only, Kim
    in Centrum first and in Zuid later, Otto in no group."""

    def work(session: Any) -> dict[str, int]:
        tilburg, breda = Organisation(name="Tilburg"), Organisation(name="Breda")
        noord = Group(organisation=tilburg, name="Noord")
        zuid = Group(organisation=tilburg, name="Zuid")
        centrum = Group(organisation=breda, name="Centrum")
        people = {
            name: Person(channel="telegram", external_id=str(i), first_name=name, locale="nl")
            for i, name in enumerate(("sam", "kim", "otto"))
        }
        session.add_all([noord, zuid, centrum, *people.values()])
        session.flush()
        session.add(Membership(person_id=people["sam"].id, group_id=noord.id, role="professional"))
        session.add(
            Membership(person_id=people["kim"].id, group_id=centrum.id, role="professional")
        )
        session.flush()
        session.add(Membership(person_id=people["kim"].id, group_id=zuid.id, role="professional"))
        now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
        push = Push(group_id=zuid.id, dialogue_id="anijsgeur", scheduled_at=now, due_at=now)
        other = Push(group_id=centrum.id, dialogue_id="anijsgeur", scheduled_at=now, due_at=now)
        session.add_all([push, other])
        session.flush()
        return {
            "tilburg": tilburg.id,
            "breda": breda.id,
            "noord": noord.id,
            "zuid_push": push.id,
            "centrum_push": other.id,
            **{name: p.id for name, p in people.items()},
        }

    return await app.db.write(work)


async def test_contacts_round_trip_upsert_and_clear(app):
    ids = await _setup(app)

    def write(session):
        repo = ContactRepository(session)
        repo.put(ids["tilburg"], "meldpunt", "Meldpunt Tilburg, 013-111", ids["sam"])
        repo.put(ids["tilburg"], "buiten_kantoortijd", "Piket, 06-123", None)
        repo.put(ids["breda"], "meldpunt", "Meldpunt Breda, 076-222", None)

    await app.db.write(write)
    # Setting a key again replaces its value (one upsert, no duplicate key error).
    await app.db.write(
        lambda s: ContactRepository(s).put(ids["tilburg"], "meldpunt", "Meldpunt T, 013-999", None)
    )
    found = await app.db.read(lambda s: ContactRepository(s).contacts(ids["tilburg"]))
    assert {k: row.value for k, row in found.items()} == {
        "meldpunt": "Meldpunt T, 013-999",
        "buiten_kantoortijd": "Piket, 06-123",
    }
    assert found["meldpunt"].updated_by is None
    assert found["meldpunt"].updated_at.tzinfo is not None

    await app.db.write(lambda s: ContactRepository(s).drop(ids["tilburg"], ["meldpunt"]))
    left = await app.db.read(lambda s: ContactRepository(s).contacts(ids["tilburg"]))
    assert list(left) == ["buiten_kantoortijd"]
    breda = await app.db.read(lambda s: ContactRepository(s).contacts(ids["breda"]))
    assert breda["meldpunt"].value == "Meldpunt Breda, 076-222"  # another organisation's row


async def test_contacts_go_with_their_organisation(app):
    ids = await _setup(app)
    await app.db.write(
        lambda s: ContactRepository(s).put(ids["breda"], "meldpunt", "Meldpunt Breda", None)
    )
    await app.db.write(
        lambda s: s.execute(delete(Organisation).where(Organisation.id == ids["breda"]))
    )
    assert await app.db.read(lambda s: ContactRepository(s).contacts(ids["breda"])) == {}


async def test_organisation_by_id_or_name(app):
    ids = await _setup(app)

    def find(ref):
        return app.db.read(lambda s: ContactRepository(s).organisation(ref).name)

    assert await find("Tilburg") == "Tilburg"
    assert await find(str(ids["breda"])) == "Breda"
    with pytest.raises(NotFound):
        await find("Eindhoven")
    with pytest.raises(NotFound):
        await find("999")
    await app.db.write(lambda s: Repository(s).add_organisation("2024"))
    assert await find("2024") == "2024"  # a numeric name when no id matches


async def test_a_persons_contacts_come_from_one_organisation(app):
    ids = await _setup(app)

    def write(session):
        repo = ContactRepository(session)
        repo.put(ids["tilburg"], "meldpunt", "Meldpunt Tilburg", None)
        repo.put(ids["tilburg"], "buiten_kantoortijd", "Piket Tilburg", None)
        repo.put(ids["breda"], "meldpunt", "Meldpunt Breda", None)

    await app.db.write(write)

    async def of(person, push=None):
        return await app.db.read_direct(lambda tx: local_contacts(tx, ids[person], push))

    tilburg = {"meldpunt": "Meldpunt Tilburg", "buiten_kantoortijd": "Piket Tilburg"}
    assert await of("sam") == tilburg
    # Kim joined Breda first: Breda's set, never mixed with Tilburg's out-of-hours number...
    assert await of("kim") == {"meldpunt": "Meldpunt Breda"}
    # ...unless the run came from a push of her Tilburg group.
    assert await of("kim", ids["zuid_push"]) == tilburg
    # A push of an organisation the person is not in does not count.
    assert await of("sam", ids["centrum_push"]) == await of("sam")
    assert await of("otto") == {}
