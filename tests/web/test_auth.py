"""Login links, sessions, logout, CSRF and security headers."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from bot.bootstrap import App
from bot.cli import main
from bot.clock import FakeClock
from bot.services.logins import NoDashboardRole, create_login_link
from bot.store.db import StoreError
from bot.store.models import LoginToken
from bot.web.auth import SESSION_COOKIE
from tests.web.conftest import Login, World, client_for, csrf_of, link_for


async def test_a_login_link_logs_in_once(app: App, web: Starlette, world: World) -> None:
    async with client_for(web) as client:
        path = await link_for(app, world.people["tess"])
        # Opening the link (a link preview does that too) does not use it up.
        assert (await client.get(path)).status_code == 200
        page = await client.get(path)
        assert page.status_code == 200
        done = await client.post(path, data={"csrf": csrf_of(page.text)})
        assert done.status_code == 303
        cookie = done.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
        assert "Max-Age=" in cookie
        home = await client.get("/")
        assert "Noord" in home.text

        # Used: both the page and the POST refuse it, with a clear message.
        again = await client.get(path)
        assert again.status_code == 403
        assert "al gebruikt" in again.text


async def test_reused_link_is_refused_even_with_a_valid_form(
    app: App, web: Starlette, world: World
) -> None:
    path = await link_for(app, world.people["tess"])
    async with client_for(web) as first, client_for(web) as second:
        page_1 = await first.get(path)
        page_2 = await second.get(path)
        assert (await first.post(path, data={"csrf": csrf_of(page_1.text)})).status_code == 303
        late = await second.post(path, data={"csrf": csrf_of(page_2.text)})
        assert late.status_code == 403
        assert "al gebruikt" in late.text
        assert SESSION_COOKIE not in second.cookies


async def test_expired_link_is_refused(
    app: App, web: Starlette, world: World, clock: FakeClock
) -> None:
    path = await link_for(app, world.people["tess"])
    async with client_for(web) as client:
        page = await client.get(path)
        clock.advance(timedelta(minutes=10, seconds=1))
        for response in (
            await client.get(path),
            await client.post(path, data={"csrf": csrf_of(page.text)}),
        ):
            assert response.status_code == 403
            assert "verlopen" in response.text


FORGED = ["forged", "A" * 43, "x" * 500, "..%2F..%2Fetc", "%00", "<script>alert(1)</script>"]


async def test_forged_link_is_refused(web: Starlette, world: World) -> None:
    async with client_for(web) as client:
        for token in FORGED:
            await _refused(client, token)


async def _refused(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get(f"/login/{token}")
    assert response.status_code in (403, 404)
    assert "<script>alert" not in response.text
    if response.status_code == 403:
        assert "klopt niet" in response.text
    posted = await client.post(f"/login/{token}", data={"csrf": "x"})
    assert posted.status_code in (403, 404)


async def test_only_the_hash_of_a_link_is_stored(app: App, world: World) -> None:
    url, _ = await create_login_link(app.db, app.settings, app.clock, world.people["tess"])
    token = url.rsplit("/", 1)[1]

    def hashes(session: object) -> list[str]:
        return list(session.execute(select(LoginToken.token_hash)).scalars())  # type: ignore[attr-defined]

    stored = await app.db.read(hashes)
    assert token not in stored
    assert len(stored) == 1


async def test_professionals_and_strangers_get_no_link(app: App, world: World) -> None:
    for name in ("p1", "otto"):
        with pytest.raises(NoDashboardRole):
            await create_login_link(app.db, app.settings, app.clock, world.people[name])


async def test_login_post_needs_the_login_form_token(
    app: App, web: Starlette, world: World
) -> None:
    path = await link_for(app, world.people["tess"])
    async with client_for(web) as client:
        await client.get(path)
        assert (await client.post(path, data={})).status_code == 403
        assert (await client.post(path, data={"csrf": "wrong"})).status_code == 403
    # A form token from another browser (no login cookie) does not help either.
    async with client_for(web) as other, client_for(web) as attacker:
        page = await other.get(path)
        assert (await attacker.post(path, data={"csrf": csrf_of(page.text)})).status_code == 403
    # The link itself is still unused after all those attempts.
    async with client_for(web) as client:
        await log_in_with(client, path)


async def log_in_with(client: object, path: str) -> None:
    page = await client.get(path)  # type: ignore[attr-defined]
    done = await client.post(path, data={"csrf": csrf_of(page.text)})  # type: ignore[attr-defined]
    assert done.status_code == 303


async def test_logout_ends_the_session_even_for_a_copied_cookie(login: Login) -> None:
    client = await login("tess")
    copied = client.cookies[SESSION_COOKIE]
    home = await client.get("/")
    done = await client.post("/logout", data={"csrf": csrf_of(home.text)})
    assert done.status_code == 303
    assert done.headers["location"] == "/logged-out"
    client.cookies.set(SESSION_COOKIE, copied)
    response = await client.get("/preview")
    assert response.status_code == 401
    assert "/dashboard" in response.text


async def test_forged_or_tampered_session_cookie_is_ignored(login: Login) -> None:
    client = await login("tess")
    cookie = client.cookies[SESSION_COOKIE]
    body, _, mac = cookie.partition(".")
    for forged in (body + ".AAAA", "x" + cookie, "not-a-cookie", body[:-2] + "AA." + mac):
        client.cookies.set(SESSION_COOKIE, forged)
        assert (await client.get("/preview")).status_code == 401


async def test_session_expires(login: Login, clock: FakeClock) -> None:
    client = await login("tess")
    assert (await client.get("/preview")).status_code == 200
    clock.advance(timedelta(hours=8, seconds=1))
    assert (await client.get("/preview")).status_code == 401


async def test_every_form_refuses_a_missing_or_wrong_csrf_token(
    login: Login, world: World, app: App
) -> None:
    noord = world.groups["noord"]
    client = await login("tess")
    await client.post(
        f"/groups/{noord}/pushes",
        data={
            "csrf": csrf_of((await client.get("/")).text),
            "dialogue": "scooter",
            "when": "morgen 9:00",
        },
    )
    push_id = (await app.pushes.list(world.people["tess"], noord))[0].id
    forms = {
        "/logout": {},
        f"/groups/{noord}/reveal": {"show": "1"},
        f"/groups/{noord}/pushes": {"dialogue": "scooter", "when": "morgen 10:00"},
        f"/groups/{noord}/pushes/{push_id}/cancel": {},
        f"/groups/{noord}/answers/{world.answers[('p1', 'kern')]}/feedback": {"text": "Mooi"},
    }
    for path, data in forms.items():
        for token in (None, "", "wrong", "A" * 43):
            sent = dict(data) if token is None else {**data, "csrf": token}
            response = await client.post(path, data=sent)
            assert response.status_code == 403, (path, token)
            assert "formulier" in response.text
    # Nothing happened: still one push, scheduled; no feedback; still logged in.
    pushes = await app.pushes.list(world.people["tess"], noord)
    assert [p.status for p in pushes] == ["scheduled"]
    assert (await client.get("/")).status_code == 200


async def test_csrf_token_of_another_session_is_refused(login: Login, world: World) -> None:
    tess = await login("tess")
    other = await login("tess")
    token = csrf_of((await other.get("/")).text)
    response = await tess.post(
        f"/groups/{world.groups['noord']}/reveal", data={"csrf": token, "show": "1"}
    )
    assert response.status_code == 403


async def test_security_headers_on_every_kind_of_response(login: Login) -> None:
    client = await login("tess")
    for path in ("/", "/healthz", "/static/style.css", "/nope", "/login/forged"):
        response = await client.get(path)
        headers = response.headers
        assert "script-src" not in headers["content-security-policy"]
        assert "default-src 'none'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-content-type-options"] == "nosniff"
    page = await client.get("/")
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text
    assert not re.search(r"\sstyle=", page.text)


async def test_healthz(web: Starlette, app: App) -> None:
    async with client_for(web) as client:
        response = await client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        await app.db.dispose()  # the pool reconnects; a broken URL would not


async def test_healthz_reports_an_unreachable_database(
    web: Starlette, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unreachable() -> None:
        raise StoreError("cannot reach the database: connection refused")

    monkeypatch.setattr(app.db, "ping", unreachable)
    async with client_for(web) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


async def test_unknown_route_is_a_404_page(web: Starlette) -> None:
    async with client_for(web) as client:
        response = await client.get("/does/not/exist")
        assert response.status_code == 404
        assert "<html" in response.text


async def test_admin_login_link_prints_a_dashboard_url_last(
    app: App,
    world: World,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("STRAATWIJS_DATABASE_URL", database_url)
    monkeypatch.setenv("STRAATWIJS_WEB_BASE_URL", "https://dash.example.org")
    # In a thread: the command runs its own event loop, as from a shell.
    assert await asyncio.to_thread(main, ["admin", "login-link", "--telegram-id", "1000"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"https://dash\.example\.org/login/[A-Za-z0-9_-]{40,}", last)
    for stranger in ("999999", "1006"):  # nobody, and a professional (p1)
        assert await asyncio.to_thread(main, ["admin", "login-link", "--telegram-id", stranger])
        assert stranger in capsys.readouterr().err

    def count(session: object) -> int:
        return (session.execute(select(func.count(LoginToken.id)))).scalar_one()  # type: ignore[attr-defined]

    assert await app.db.read(count) == 1


async def test_login_needed_pages(web: Starlette, world: World) -> None:
    async with client_for(web) as client:
        landing = await client.get("/")
        assert landing.status_code == 200
        assert "/dashboard" in landing.text
        page = await client.get(f"/groups/{world.groups['noord']}")
        assert page.status_code == 401


async def test_oversized_form_is_refused_before_parsing(login: Login, world: World) -> None:
    client = await login("tess")
    token = csrf_of((await client.get("/")).text)
    response = await client.post(
        f"/groups/{world.groups['noord']}/reveal",
        data={"csrf": token, "show": "1", "pad": "x" * 70_000},
    )
    assert response.status_code == 413
