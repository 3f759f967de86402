"""Signed session cookies and CSRF tokens for the dashboard.

The cookie is signed (nobody can forge one), but a signature alone cannot be
withdrawn, so it names the login token row it came from (`bot/services/logins.py`
issues links and keeps those rows); logging out deletes that row, and so does
erasing the person (cascade), so a copied cookie dies with the session it
belonged to.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.services.access import Place, Places
from bot.services.logins import Logins

SESSION_COOKIE = "sw_session"
LOGIN_COOKIE = "sw_login"


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


# -- who is asking ---------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer(Places):
    """The logged-in person, re-read from the database on every request; what they
    may see is asked of their memberships (`Places`, the access service)."""

    person_id: int = 0
    first_name: str = ""
    locale: str = "nl"
    login_id: int = 0
    nonce: str = ""
    expires: int = 0
    revealed: frozenset[int] = field(default_factory=frozenset)

    @property
    def places(self) -> tuple[Place, ...]:
        return self.all


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
    logins: Logins, signer: Signer, cookie: str | None, now: datetime
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

    holder = await logins.holder(person_id, login_id)
    if holder is None:
        return None
    return Viewer(
        holder.places,
        person_id,
        holder.first_name,
        holder.locale,
        login_id,
        nonce,
        expires,
        revealed,
    )
