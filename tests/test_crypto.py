"""Encryption at rest: with STRAATWIJS_ENCRYPTION_KEY set, free text (answers and
feedback) never reaches the database in plain form, while every view of the
application shows it as typed; without a key everything works as before; and
`straatwijs admin rotate-key` moves every row to the newest key, idempotently.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import create_engine, text

from bot.bootstrap import App, build
from bot.engine import Say
from bot.privacy import PLAIN, CipherError, TextCipher, parse_keys
from bot.settings import Settings, SettingsError, load_settings
from bot.store.db import sync_url
from bot.store.models import Group, Membership, Organisation, Person
from bot.store.repo import Repository
from bot.store.rotation import rotate

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()

# No names or addresses: the identifying-details check would hold them back.
MOTIVATIE = "Een gesprek op het plein bij de brommerwerkplaats gaf me energie"
GRENS = "Ik ga nooit zonder rugdekking van een collega een woning in"
# A full path through drijfveren with two free-text answers (see tests/test_coach.py).
SCRIPT = ["1", MOTIVATIE, "2,3", "2", "ja", GRENS]
FEEDBACK = "Goed dat je die grens bewaakt, neem het mee naar de intervisie"
SECRETS = (MOTIVATIE, GRENS, FEEDBACK)
# Words that occur only in what people typed: none may reach the database as such.
WORDS = ("brommerwerkplaats", "rugdekking", "intervisie")


def keyed(settings: Settings, keys: str | None) -> Settings:
    return settings.model_copy(update={"encryption_key": SecretStr(keys) if keys else None})


@pytest.fixture
async def sealed(settings: Settings, shared_engine: Any) -> AsyncIterator[App]:
    """The app with encryption at rest switched on."""
    built = await build(keyed(settings, OLD_KEY), migrate=False, engine=shared_engine)
    try:
        yield built
    finally:
        await built.close()


async def people(app: App) -> tuple[int, int]:
    """A trainer and a professional in one group: (trainer id, professional id)."""

    def work(session: Any) -> tuple[int, int]:
        group = Group(organisation=Organisation(name="Amsterdam"), name="Noord")
        now = datetime.now(UTC)
        tess = Person(channel="telegram", external_id="1", first_name="Tess", consented_at=now)
        sam = Person(channel="telegram", external_id="2", first_name="Sam", consented_at=now)
        session.add_all([group, tess, sam])
        session.flush()
        session.add_all(
            [
                Membership(person_id=tess.id, group_id=group.id, role="trainer"),
                Membership(person_id=sam.id, group_id=group.id, role="professional"),
            ]
        )
        return tess.id, sam.id

    return await app.db.write(work)


async def walk(app: App, person_id: int, lines: list[str]) -> int:
    """Play lines through the coach as the person; the run's id."""
    who = await app.members.find("telegram", "2")
    assert who is not None
    assert who.id == person_id
    turn = await app.coach.start(who, "drijfveren")
    for line in lines:
        turn = await app.coach.handle(who, Say(line))
        assert turn.outcome is not None
        assert turn.outcome.status in ("advanced", "finished"), turn.outcome
    assert turn.run_id is not None
    return turn.run_id


async def raw(app: App, sql: str) -> list[tuple[Any, ...]]:
    """Rows straight from the database, past every model and cipher."""

    def work(session: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in session.execute(text(sql)).all()]

    return await app.db.read(work)


def assert_nothing_plain(rows: list[tuple[Any, ...]]) -> None:
    for row in rows:
        for word in (*WORDS, *SECRETS):
            assert word not in str(row), f"plain text in the database: {row}"


# -- the cipher on its own ---------------------------------------------------------------


def test_without_a_key_text_passes_through():
    assert not PLAIN.enabled
    assert PLAIN.seal(MOTIVATIE) == (MOTIVATIE, False)
    assert PLAIN.open(MOTIVATIE, False) == MOTIVATIE
    assert TextCipher("").seal("x") == ("x", False)
    assert TextCipher(SecretStr("  ")).enabled is False


def test_seal_and_open():
    cipher = TextCipher(OLD_KEY)
    stored, encrypted = cipher.seal(MOTIVATIE)
    assert encrypted
    assert stored != MOTIVATIE
    assert "brommer" not in stored
    assert cipher.open(stored, True) == MOTIVATIE
    assert cipher.seal(MOTIVATIE)[0] != stored  # a fresh IV every time: equal texts differ
    assert cipher.open("still plain", False) == "still plain"  # rows from before the key
    assert cipher.open(cipher.seal("é 🚲 ✓")[0], True) == "é 🚲 ✓"


def test_opening_encrypted_text_without_the_key_is_a_clear_error():
    stored, _ = TextCipher(OLD_KEY).seal(MOTIVATIE)
    with pytest.raises(CipherError, match="STRAATWIJS_ENCRYPTION_KEY is not set"):
        PLAIN.open(stored, True)
    with pytest.raises(CipherError, match="not in STRAATWIJS_ENCRYPTION_KEY"):
        TextCipher(NEW_KEY).open(stored, True)


def test_several_keys_the_first_encrypts_all_decrypt():
    old = TextCipher(OLD_KEY).seal(MOTIVATIE)[0]
    both = TextCipher(f"{NEW_KEY}, {OLD_KEY}")
    assert both.open(old, True) == MOTIVATIE
    new = both.seal(GRENS)[0]
    assert TextCipher(NEW_KEY).open(new, True) == GRENS
    assert both.is_current(new)
    assert not both.is_current(old)
    assert both.reseal(new, True) is None  # already under the current key
    resealed = both.reseal(old, True)
    assert resealed is not None
    assert TextCipher(NEW_KEY).open(*resealed) == MOTIVATIE
    plain = both.reseal(GRENS, False)
    assert plain is not None
    assert plain[1] is True


def test_a_bad_key_is_refused_without_repeating_it(monkeypatch):
    with pytest.raises(ValueError, match="key 2 is not a Fernet key") as caught:
        parse_keys(f"{OLD_KEY},geheim-wachtwoord")
    assert "geheim-wachtwoord" not in str(caught.value)
    monkeypatch.setenv("STRAATWIJS_ENCRYPTION_KEY", "geheim-wachtwoord")
    with pytest.raises(SettingsError, match="STRAATWIJS_ENCRYPTION_KEY") as refused:
        load_settings(_env_file=None)
    assert "geheim-wachtwoord" not in str(refused.value)
    monkeypatch.setenv("STRAATWIJS_ENCRYPTION_KEY", "")
    assert load_settings(_env_file=None).encryption_key is None
    monkeypatch.setenv("STRAATWIJS_ENCRYPTION_KEY", f"{NEW_KEY},{OLD_KEY}")
    assert TextCipher(load_settings(_env_file=None).encryption_key).enabled


# -- the application with a key ------------------------------------------------------------


async def test_with_a_key_the_database_holds_no_plain_text_and_the_app_shows_it(
    sealed, settings, shared_engine
):
    assert sealed.cipher.enabled
    tess, sam = await people(sealed)
    run_id = await walk(sealed, sam, SCRIPT[:3])
    await sealed.close()  # a restart in the middle: the next process reads sealed answers
    again = await build(keyed(settings, OLD_KEY), migrate=False, engine=shared_engine)
    try:
        who = await again.members.find("telegram", "2")
        assert who is not None
        resumed = await again.coach.start(who, "drijfveren")
        assert resumed.outcome is not None
        assert resumed.outcome.status == "resumed"
        assert resumed.outcome.run.answers["motivatie"] == MOTIVATIE  # opened for the engine
        for line in SCRIPT[3:]:
            await again.coach.handle(who, Say(line))

        # The raw columns: free text sealed and flagged, other answers untouched.
        rows = await raw(again, "SELECT key, kind, text, value, encrypted FROM answers")
        assert_nothing_plain(rows)
        texts = {key: (stored, bool(flag)) for key, kind, stored, _, flag in rows}
        assert texts["motivatie"][1]
        assert texts["grens"][1]
        assert TextCipher(OLD_KEY).open(texts["grens"][0], True) == GRENS
        assert texts["zekerheid"] == (None, False)

        # The person's own look back (/mijnantwoorden) and the trainer's review.
        for viewer in (sam, tess):
            runs = await again.review.runs_of(viewer, sam)
            shown = {a.key: a.shown for a in runs[0].answers}
            assert shown["motivatie"] == MOTIVATIE
            assert shown["grens"] == GRENS
            assert {a.key: a.value for a in runs[0].answers}["grens"] == GRENS

        # Feedback: sealed in the database, plain in the notice and in every view.
        grens_id = next(a.answer_id for a in runs[0].answers if a.key == "grens")
        notice = await again.review.add_feedback(tess, grens_id, FEEDBACK)
        assert notice.text == FEEDBACK
        assert notice.answer_shown == GRENS
        stored = await raw(again, "SELECT text, encrypted FROM feedback")
        assert_nothing_plain(stored)
        assert [bool(flag) for _, flag in stored] == [True]
        mine = await again.review.runs_of(sam, sam)
        given = next(a for a in mine[0].answers if a.key == "grens").feedback
        assert [f.text for f in given] == [FEEDBACK]
        pushed = await again.review.runs_of(tess, sam, dialogue_id="drijfveren")
        assert next(a for a in pushed[0].answers if a.key == "grens").feedback[0].text == FEEDBACK

        # The export.
        def export(session: Any) -> Any:
            return Repository(session, again.cipher).export_rows()

        exported = {row.key: row.answer for row in await again.db.write(export)}
        assert exported["motivatie"] == MOTIVATIE
        assert exported["grens"] == GRENS
        assert run_id == runs[0].run_id
    finally:
        await again.close()
    if not sealed.db.sqlite:
        return
    # SQLite: not even the database file (or its write-ahead log) holds the words.
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    for part in (path, path.with_name(path.name + "-wal")):
        if part.exists():
            data = part.read_bytes()
            for word in WORDS:
                assert word.encode() not in data


async def test_without_a_key_answers_are_stored_plain(app):
    assert not app.cipher.enabled
    _, sam = await people(app)
    await walk(app, sam, SCRIPT)
    rows = await raw(app, "SELECT key, text, encrypted FROM answers WHERE kind = 'text'")
    assert {key: (stored, bool(flag)) for key, stored, flag in rows} == {
        "motivatie": (MOTIVATIE, False),
        "grens": (GRENS, False),
    }


async def test_a_key_added_later_reads_old_plain_rows_and_seals_new_ones(
    app, settings, shared_engine
):
    _, sam = await people(app)
    await walk(app, sam, SCRIPT[:2])  # motivatie stored plain
    later = await build(keyed(settings, OLD_KEY), migrate=False, engine=shared_engine)
    try:
        await walk(later, sam, SCRIPT[2:])  # resumes, grens sealed
        runs = await later.review.runs_of(sam, sam)
        shown = {a.key: a.shown for a in runs[0].answers}
        assert shown["motivatie"] == MOTIVATIE
        assert shown["grens"] == GRENS
        rows = dict(await raw(later, "SELECT key, encrypted FROM answers WHERE kind = 'text'"))
        assert {k: bool(v) for k, v in rows.items()} == {"motivatie": False, "grens": True}
        # Without the key again, the sealed answer is a clear error, never shown garbled.
        with pytest.raises(CipherError):
            await app.review.runs_of(sam, sam)
    finally:
        await later.close()


async def test_rotate_moves_every_row_to_the_current_key(sealed, settings, shared_engine):
    tess, sam = await people(sealed)
    await walk(sealed, sam, SCRIPT)
    runs = await sealed.review.runs_of(tess, sam)
    for answer in runs[0].answers[:3]:
        await sealed.review.add_feedback(tess, answer.answer_id, FEEDBACK)

    both = TextCipher(f"{NEW_KEY},{OLD_KEY}")
    done = await rotate(sealed.db, both, batch=2)  # several batches
    assert done.answers == {"reencrypted": 2}
    assert done.feedback == {"reencrypted": 3}
    again = await rotate(sealed.db, both, batch=2)
    assert again.answers == {"unchanged": 2}
    assert again.feedback == {"unchanged": 3}

    only_new = TextCipher(NEW_KEY)
    for stored, flag in await raw(sealed, "SELECT text, encrypted FROM answers WHERE text <> ''"):
        assert only_new.open(stored, bool(flag)) in (MOTIVATIE, GRENS)
    for stored, flag in await raw(sealed, "SELECT text, encrypted FROM feedback"):
        assert only_new.open(stored, bool(flag)) == FEEDBACK
    with pytest.raises(CipherError, match="no key to rotate"):
        await rotate(sealed.db, PLAIN)


async def test_a_push_note_is_sealed_shown_plain_and_rotated(sealed):
    """A trainer's note may name a case: sealed at rest like answers, plain where shown."""
    note = "Denk aan de casus uit de brommerwerkplaats"
    tess, _sam = await people(sealed)
    (group,) = await sealed.groups.groups(tess)
    summary = await sealed.pushes.create(
        tess, group.id, "drijfveren", None, note=note, override_quiet=True
    )
    assert summary.note == note  # the trainer's own view
    stored = await raw(sealed, "SELECT note, note_encrypted FROM pushes")
    assert_nothing_plain(stored)
    assert [bool(flag) for _, flag in stored] == [True]
    assert [claim.note for claim in await sealed.pushes.claim_due()] == [note]  # as sent

    done = await rotate(sealed.db, TextCipher(f"{NEW_KEY},{OLD_KEY}"))
    assert done.push_notes == {"reencrypted": 1}
    ((moved, flag),) = await raw(sealed, "SELECT note, note_encrypted FROM pushes")
    assert TextCipher(NEW_KEY).open(moved, bool(flag)) == note


async def test_a_task_in_progress_is_sealed_and_dropped_when_its_key_is_gone(sealed, app):
    """A push being composed holds the trainer's note: sealed in `drafts` too."""
    tess, _sam = await people(sealed)
    task = {"step": "confirm", "note": "De casus uit de brommerwerkplaats", "group_id": 1}
    await sealed.drafts.put(tess, "push", task)
    assert_nothing_plain(await raw(sealed, "SELECT data FROM drafts"))
    found = await sealed.drafts.get(tess)
    assert found is not None
    assert (found.kind, found.data) == ("push", task)
    # Read without the key (it was dropped before the task finished): gone, not garbled.
    assert await app.drafts.get(tess) is None
    assert await raw(app, "SELECT data FROM drafts") == []


# -- the command ----------------------------------------------------------------------------


def raw_sync(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows straight from the database, for tests that run the command (no event loop)."""
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql)).all()]
    finally:
        engine.dispose()


@pytest.fixture
def cli(cli, monkeypatch):
    """The shared `cli` runner, with STRAATWIJS_ENCRYPTION_KEY set (or unset) per call."""

    def run(*args: str, key: str | None = None, stdin: str | None = None) -> tuple[int, str, str]:
        if key is None:
            monkeypatch.delenv("STRAATWIJS_ENCRYPTION_KEY", raising=False)
        else:
            monkeypatch.setenv("STRAATWIJS_ENCRYPTION_KEY", key)
        return cli(*args, stdin=stdin)

    return run


def test_rotate_key_command(cli, database_url):
    script = "\n".join(["1", MOTIVATIE, "2,3", "4", GRENS]) + "\n"
    code, _, _ = cli("try", "drijfveren", "--user", "sam", stdin=script)  # stored plain
    assert code == 0

    code, _, err = cli("admin", "rotate-key")
    assert code == 2
    assert "STRAATWIJS_ENCRYPTION_KEY is not set" in err

    code, out, _ = cli("admin", "rotate-key", key=OLD_KEY)
    assert code == 0
    assert "answers: 2 encrypted, 0 re-encrypted, 0 already under the current key" in out
    assert_nothing_plain(raw_sync(database_url, "SELECT text FROM answers"))

    code, out, _ = cli("admin", "rotate-key", "--batch", "1", key=f"{NEW_KEY},{OLD_KEY}")
    assert code == 0
    assert "answers: 0 encrypted, 2 re-encrypted, 0 already under the current key" in out
    code, out, _ = cli("admin", "rotate-key", key=f"{NEW_KEY},{OLD_KEY}")
    assert "answers: 0 encrypted, 0 re-encrypted, 2 already under the current key" in out

    code, out, _ = cli("export", "--format", "csv", key=NEW_KEY)  # the old key is gone now
    assert code == 0
    assert MOTIVATIE in out
    assert GRENS in out

    code, _, err = cli("admin", "rotate-key", key=OLD_KEY)  # the new key was dropped
    assert code == 2
    assert "not in STRAATWIJS_ENCRYPTION_KEY" in err
    assert OLD_KEY not in err
    assert NEW_KEY not in err
