"""Dashboard logins: single-use links, and the anchor rows sessions hang on.

Why no passwords: trainers and coordinators already prove who they are by
holding their Telegram account, so the bot (`/dashboard`) or an operator
(`straatwijs admin login-link`) hands out a single-use link instead. Only the
SHA-256 of a link's token is stored, so a database dump holds no usable link.

Why the session is anchored in the database: a signed cookie cannot be
withdrawn, so it names the login token row it came from; logging out deletes
that row, and so does erasing the person (cascade), so a copied cookie dies with
the session it belonged to. The cookie itself is the web adapter's business
(`bot/web/auth.py`); issuing links lives here so the Telegram adapter can hand
them out without importing the web adapter.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.services.access import DASHBOARD_ROLES, Place, places_of
from bot.settings import Settings
from bot.store.db import Database
from bot.store.models import LoginToken, Membership, Meta, Person

#: A real token is 43 characters; anything much longer is not worth a query.
MAX_TOKEN_LENGTH = 100

LoginProblem = Literal["invalid", "expired", "used"]


class LoginRefused(Exception):
    """A login link that cannot be used; `problem` says why, for the 403 page."""

    def __init__(self, problem: LoginProblem) -> None:
        super().__init__(problem)
        self.problem: LoginProblem = problem


class NoDashboardRole(Exception):
    """The person is neither a trainer nor a coordinator anywhere."""


async def secret_key(settings: Settings, db: Database) -> bytes:
    """The dashboard's master key.

    STRAATWIJS_SECRET_KEY when set. Otherwise a random value kept in the `meta`
    table, mixed with the database URL: stable across restarts and processes
    sharing the database, different on every installation, never hard-coded.
    """
    if settings.secret_key is not None:
        return hashlib.sha256(settings.secret_key.get_secret_value().encode()).digest()

    def work(session: Session) -> str:
        row = session.get(Meta, "web_secret")
        if row is None:
            row = Meta(key="web_secret", value=secrets.token_hex(32))
            session.add(row)
            session.flush()
        return row.value

    stored = await db.write(work)
    return hmac.new(bytes.fromhex(stored), settings.database_url.encode(), hashlib.sha256).digest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def dashboard_person(db: Database, channel: str, external_id: str) -> Person | None:
    """The consented person behind a channel identity, or None."""

    def work(session: Session) -> Person | None:
        found = session.execute(
            select(Person).where(Person.channel == channel, Person.external_id == external_id)
        )
        person = found.scalar_one_or_none()
        return person if person is not None and person.consented_at is not None else None

    return await db.read(work)


async def create_login_link(
    db: Database, settings: Settings, clock: Clock, person_id: int
) -> tuple[str, datetime]:
    """A single-use dashboard URL for a trainer or coordinator, and when it expires.

    For the bot's `/dashboard` command and `straatwijs admin login-link`. Raises
    NoDashboardRole for anyone else: a professional has nothing to see there.
    Expired and used links of the person are cleared on the way (housekeeping),
    but live sessions are kept.
    """
    token = secrets.token_urlsafe(32)
    now = clock.now()
    expires = now + timedelta(minutes=settings.login_link_minutes)
    session_end = now - timedelta(hours=settings.web_session_hours)

    def work(session: Session) -> None:
        roles = session.execute(
            select(Membership.id)
            .where(Membership.person_id == person_id, Membership.role.in_(DASHBOARD_ROLES))
            .limit(1)
        )
        if roles.first() is None:
            raise NoDashboardRole(f"person {person_id}")
        session.execute(
            delete(LoginToken).where(
                LoginToken.person_id == person_id,
                (
                    (LoginToken.used_at.is_(None) & (LoginToken.expires_at <= now))
                    | (LoginToken.used_at.is_not(None) & (LoginToken.used_at <= session_end))
                ),
            )
        )
        session.add(
            LoginToken(
                token_hash=token_hash(token),
                person_id=person_id,
                created_at=now,
                expires_at=expires,
            )
        )

    await db.write(work)
    return f"{settings.web_base_url.rstrip('/')}/login/{token}", expires


async def check_login(db: Database, clock: Clock, token: str) -> None:
    """Raise LoginRefused unless the link could be used now (read-only: a link
    preview or virus scanner opening the URL must not burn it)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LoginRefused("invalid")

    def work(session: Session) -> None:
        found = session.execute(
            select(LoginToken).where(LoginToken.token_hash == token_hash(token))
        )
        _usable(found.scalar_one_or_none(), clock.now())

    await db.read(work)


async def consume_login(db: Database, clock: Clock, token: str) -> tuple[int, int]:
    """Use a login link once: (person id, login token id) or LoginRefused.

    The row is marked used with a conditional UPDATE, so two requests racing
    with the same link cannot both succeed, on SQLite or PostgreSQL.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LoginRefused("invalid")
    now = clock.now()

    def work(session: Session) -> tuple[int, int]:
        found = session.execute(
            select(LoginToken).where(LoginToken.token_hash == token_hash(token))
        )
        row = _usable(found.scalar_one_or_none(), now)
        marked = session.execute(
            update(LoginToken)
            .where(LoginToken.id == row.id, LoginToken.used_at.is_(None))
            .values(used_at=now)
        )
        if marked.rowcount != 1:  # type: ignore[attr-defined]
            raise LoginRefused("used")
        return row.person_id, row.id

    return await db.write(work)


def _usable(row: LoginToken | None, now: datetime) -> LoginToken:
    if row is None:
        raise LoginRefused("invalid")
    if row.used_at is not None:
        raise LoginRefused("used")
    if row.expires_at <= now:
        raise LoginRefused("expired")
    return row


async def end_session(db: Database, login_id: int) -> None:
    """Logging out: the session's anchor row goes, so its cookie is worthless."""

    def work(session: Session) -> None:
        session.execute(delete(LoginToken).where(LoginToken.id == login_id))

    await db.write(work)


@dataclass(frozen=True)
class Holder:
    """The person behind a live dashboard session, with their memberships."""

    first_name: str
    locale: str
    places: tuple[Place, ...]


async def session_holder(db: Database, person_id: int, login_id: int) -> Holder | None:
    """Who holds a session, read afresh: None once the session's anchor row is gone
    (logged out, erased) or the person withdrew consent. Memberships are read on
    every request, so a removed trainer loses access with the next one."""

    def work(session: Session) -> Holder | None:
        anchor = session.execute(
            select(LoginToken.id).where(
                LoginToken.id == login_id,
                LoginToken.person_id == person_id,
                LoginToken.used_at.is_not(None),
            )
        )
        if anchor.first() is None:
            return None
        person = session.get(Person, person_id)
        if person is None or person.consented_at is None:
            return None
        return Holder(person.first_name or "", person.locale or "nl", places_of(session, person_id))

    return await db.read(work)


class Logins:
    """The logins service as the adapters see it: bound to the database, settings and clock."""

    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock

    async def secret_key(self) -> bytes:
        return await secret_key(self.settings, self.db)

    async def dashboard_person(self, channel: str, external_id: str) -> Person | None:
        return await dashboard_person(self.db, channel, external_id)

    async def link_for(self, person_id: int) -> tuple[str, datetime]:
        """A single-use dashboard URL and its expiry; NoDashboardRole for a professional."""
        return await create_login_link(self.db, self.settings, self.clock, person_id)

    async def check(self, token: str) -> None:
        await check_login(self.db, self.clock, token)

    async def consume(self, token: str) -> tuple[int, int]:
        return await consume_login(self.db, self.clock, token)

    async def end(self, login_id: int) -> None:
        await end_session(self.db, login_id)

    async def holder(self, person_id: int, login_id: int) -> Holder | None:
        return await session_holder(self.db, person_id, login_id)
