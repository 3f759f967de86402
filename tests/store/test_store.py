"""Storage behaviour, run against SQLite and (in CI) PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import IntegrityError

from bot.engine import Answer, RunState
from bot.store.db import sync_url
from bot.store.models import Base
from bot.store.repo import NotFound, Repository


async def test_person_is_created_once_per_channel_identity(app):
    def work(session):
        repo = Repository(session)
        first = repo.ensure_person("telegram", "42", "Sam", "nl")
        again = repo.ensure_person("telegram", "42", "Sam", "nl")
        other = repo.ensure_person("console", "42", "Sam", "nl")
        return first.id, again.id, other.id

    first, again, other = await app.db.write(work)
    assert first == again
    assert other != first


async def test_run_and_answers_round_trip(app):
    state = RunState("drijfveren", "v1", "zeker", history=("intro", "waarom"), step=3)

    def write(session):
        repo = Repository(session)
        person = repo.ensure_person("console", "sam", "Sam", "nl")
        run = repo.create_run(person.id, state)
        repo.put_answer(run, Answer("motivatie", "waarom", "text", "Omdat het ertoe doet"))
        repo.put_answer(run, Answer("kernwaarden", "kern", "multi", ["zorg", "verbinding"]))
        repo.put_answer(run, Answer("zekerheid", "zeker", "scale", 2))
        repo.put_answer(run, Answer("zekerheid", "zeker", "scale", 4))  # changed answer
        return run.id

    run_id = await app.db.write(write)

    def read(session):
        repo = Repository(session)
        return repo.run_state(repo.run(run_id))

    loaded = await app.db.read(read)
    assert loaded.state == "zeker"
    assert loaded.history == ("intro", "waarom")
    assert loaded.step == 3
    assert loaded.answers == {
        "motivatie": "Omdat het ertoe doet",
        "kernwaarden": ["zorg", "verbinding"],
        "zekerheid": 4,
    }


async def test_free_text_is_kept_apart_from_structured_values(app):
    def write(session):
        repo = Repository(session)
        person = repo.ensure_person("console", "sam", "Sam", "nl")
        run = repo.create_run(person.id, RunState("drijfveren", "v1", "waarom"))
        repo.put_answer(run, Answer("motivatie", "waarom", "text", "vrije tekst"))
        repo.put_answer(run, Answer("zekerheid", "zeker", "scale", 3))

    await app.db.write(write)

    def rows(session):
        from sqlalchemy import select

        from bot.store.models import AnswerRow

        result = session.execute(select(AnswerRow).order_by(AnswerRow.key))
        return [(r.key, r.text, r.value) for r in result.scalars()]

    assert await app.db.read(rows) == [("motivatie", "vrije tekst", None), ("zekerheid", None, 3)]


async def test_failed_transaction_leaves_nothing(app):
    def write(session):
        repo = Repository(session)
        repo.ensure_person("console", "sam", "Sam", "nl")
        repo.add_organisation("Utrecht")
        repo.add_organisation("Utrecht")  # unique name: fails the whole transaction

    with pytest.raises(IntegrityError):
        await app.db.write(write)

    def count(session):
        repo = Repository(session)
        return repo.person_by_external("console", "sam")

    assert await app.db.read(count) is None


async def test_groups_and_invites(app):
    def write(session):
        repo = Repository(session)
        repo.add_organisation("Tilburg")
        repo.add_organisation("Breda")
        repo.add_group("Tilburg", "Jongerenwerk")
        repo.add_group("Breda", "Jongerenwerk")
        with pytest.raises(NotFound, match="several organisations"):
            repo.group("Jongerenwerk")
        group = repo.group("Breda/Jongerenwerk")
        invite = repo.create_invite(group.id, "trainer", datetime(2030, 1, 1, tzinfo=UTC), 3)
        with pytest.raises(ValueError, match="role"):
            repo.create_invite(group.id, "admin")
        return invite

    invite = await app.db.write(write)
    assert len(invite.code) >= 16
    assert invite.expires_at == datetime(2030, 1, 1, tzinfo=UTC)


async def test_handled_updates_are_recorded_once(app):
    def mark(session):
        return Repository(session).mark_handled(123456789012)

    assert await app.db.write(mark) is True
    assert await app.db.write(mark) is False


async def test_pseudonyms_are_stable_and_not_the_id(app):
    def names(session):
        pseudo = Repository(session).pseudonymiser()
        return pseudo(1), pseudo(1), pseudo(2)

    first, again, other = await app.db.write(names)
    assert first == again != other
    assert first.startswith("P-")
    assert first[2:] != "1"
    # the salt is kept, so pseudonyms survive a restart
    assert (await app.db.write(names))[0] == first


def test_migrations_match_the_models(database_url):
    """The migrated schema has every table and column the models declare."""
    engine = create_engine(sync_url(database_url))
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
    engine.dispose()


def test_alembic_autogenerate_finds_no_changes(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_engine(sync_url(database_url))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []
