"""Login links, signed session cookies and CSRF tokens for the dashboard.

Why no passwords: trainers and coordinators already prove who they are by
holding their Telegram account, so the bot (`/dashboard`) or an operator
(`straatwijs admin login-link`) hands out a single-use link instead. Only the
SHA-256 of a link's token is stored, so a database dump holds no usable link.

Why the session is anchored in the database: the cookie is signed (nobody can
forge one), but a signature alone cannot be withdrawn. The cookie names the
login token row it came from; logging out deletes that row, and so does erasing
the person (cascade), so a copied cookie dies with the session it belonged to.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.settings import Settings
from bot.store.db import Database
from bot.store.models import Group, LoginToken, Membership, Meta, Organisation, Person

SESSION_COOKIE = "sw_session"
LOGIN_COOKIE = "sw_login"
DASHBOARD_ROLES = ("trainer", "coordinator")
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


# -- keys -----------------------------------------------------------------------------


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


class Signer:
    """HMAC-SHA256 signatures with a purpose, so one kind of token never passes as another."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def mac(self, purpose: str, data: str) -> str:
        digest = hmac.new(self._key, f"{purpose}\x00{data}".encode(), hashlib.sha256).digest()
        return _b64(digest)

    def sign(self, purpose: str, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self.mac(purpose, body)}"

    def unsign(self, purpose: str, value: str) -> dict[str, Any] | None:
        """The payload, or None when the value was not signed by us for `purpose`."""
        body, _, mac = value.partition(".")
        if not body or not mac or not hmac.compare_digest(mac, self.mac(purpose, body)):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None

    def check(self, purpose: str, data: str, mac: str) -> bool:
        return bool(mac) and hmac.compare_digest(mac, self.mac(purpose, data))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- login links ---------------------------------------------------------------------


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


# -- who is asking ---------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """One of the viewer's memberships, with names for the pages."""

    group_id: int
    group: str
    organisation_id: int
    organisation: str
    role: str


@dataclass(frozen=True)
class Viewer:
    """The logged-in person, re-read from the database on every request."""

    person_id: int
    first_name: str
    locale: str
    login_id: int
    nonce: str
    expires: int
    places: tuple[Place, ...]
    revealed: frozenset[int] = field(default_factory=frozenset)

    def trains(self, group_id: int) -> bool:
        return any(p.group_id == group_id and p.role == "trainer" for p in self.places)

    def place(self, group_id: int) -> Place | None:
        return next((p for p in self.places if p.group_id == group_id), None)

    def coordinated(self, organisation_id: int) -> list[Place]:
        """The groups of an organisation this viewer coordinates: their whole scope there."""
        return [
            p
            for p in self.places
            if p.organisation_id == organisation_id and p.role == "coordinator"
        ]

    @property
    def trainer_places(self) -> list[Place]:
        return [p for p in self.places if p.role == "trainer"]

    @property
    def organisations(self) -> list[tuple[int, str]]:
        """Organisations in which the viewer coordinates at least one group."""
        seen: dict[int, str] = {}
        for p in self.places:
            if p.role == "coordinator":
                seen.setdefault(p.organisation_id, p.organisation)
        return sorted(seen.items(), key=lambda item: item[1].casefold())

    @property
    def has_dashboard(self) -> bool:
        return any(p.role in DASHBOARD_ROLES for p in self.places)


def session_payload(
    person_id: int,
    login_id: int,
    expires: int,
    revealed: frozenset[int] = frozenset(),
    nonce: str | None = None,
) -> dict[str, Any]:
    """What the session cookie carries; `nonce` keys the session's CSRF token."""
    return {
        "p": person_id,
        "t": login_id,
        "e": expires,
        "n": nonce or secrets.token_urlsafe(16),
        "r": sorted(revealed),
    }


async def load_viewer(
    db: Database, signer: Signer, cookie: str | None, now: datetime
) -> Viewer | None:
    """The viewer behind a session cookie, or None when it is missing, forged,
    expired or logged out. Memberships are read afresh: a removed trainer loses
    access with the next request, whatever the cookie says."""
    if not cookie:
        return None
    payload = signer.unsign("session", cookie)
    if payload is None:
        return None
    try:
        person_id = int(payload["p"])
        login_id = int(payload["t"])
        expires = int(payload["e"])
        nonce = str(payload["n"])
        revealed = frozenset(int(g) for g in payload.get("r", []))
    except (KeyError, TypeError, ValueError):
        return None
    if expires <= now.timestamp():
        return None

    def work(session: Session) -> Viewer | None:
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
        rows = session.execute(
            select(Group.id, Group.name, Organisation.id, Organisation.name, Membership.role)
            .join(Membership, Membership.group_id == Group.id)
            .join(Organisation, Organisation.id == Group.organisation_id)
            .where(Membership.person_id == person_id)
            .order_by(Organisation.name, Group.name, Group.id)
        )
        places = tuple(Place(*row) for row in rows.all())
        return Viewer(
            person_id,
            person.first_name or "",
            person.locale or "nl",
            login_id,
            nonce,
            expires,
            places,
            revealed,
        )

    return await db.read(work)
