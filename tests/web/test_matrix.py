"""Every page route for every kind of visitor: allowed or refused, as intended.

Visitors: logged out; Tess (trainer of Noord); Tom (trainer of Zuid, an
outsider to Noord); Cora (coordinator in Amsterdam); Ute (coordinator in
Utrecht, an outsider to Amsterdam); p1 (a professional, who somehow holds a
session) and Otto (in no group). Forms (POST) are covered in test_auth and
test_trainer, where their CSRF and access checks are exercised one by one.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import httpx
from starlette.applications import Starlette

from bot.bootstrap import App
from bot.services.logins import token_hash
from bot.store.models import LoginToken
from tests.web.conftest import World, client_for, csrf_of

VISITORS = ("anonymous", "tess", "tom", "cora", "ute", "p1", "otto")
ANY_DASHBOARD = {"tess": 200, "tom": 200, "cora": 200, "ute": 200}


async def session_for(app: App, web: Starlette, person_id: int) -> httpx.AsyncClient:
    """A logged-in client for anyone, even people the dashboard has no link for."""
    token = secrets.token_urlsafe(32)
    now = app.clock.now()

    def work(session: Any) -> None:
        session.add(
            LoginToken(
                token_hash=token_hash(token),
                person_id=person_id,
                created_at=now,
                expires_at=now + timedelta(minutes=10),
            )
        )

    await app.db.write(work)
    client = client_for(web)
    page = await client.get(f"/login/{token}")
    assert (
        await client.post(f"/login/{token}", data={"csrf": csrf_of(page.text)})
    ).status_code == 303
    return client


def expected(route: str, world: World) -> dict[str, int]:
    """Status per visitor; a visitor not named gets 403, a logged-out one 401."""
    if route in ("/", "/healthz"):
        found = {"anonymous": 200, **ANY_DASHBOARD}
        if route == "/healthz":
            found |= {"p1": 200, "otto": 200}
        return found
    if route.startswith("/preview"):
        return dict(ANY_DASHBOARD)
    if route.startswith("/groups/"):
        return {"tess": 200}
    if route.startswith("/orgs/"):
        return {"cora": 200}
    raise AssertionError(route)


async def test_role_route_matrix(app: App, web: Starlette, world: World) -> None:
    noord, org = world.groups["noord"], world.orgs["amsterdam"]
    clients = {"anonymous": client_for(web)}
    for name in VISITORS[1:]:
        clients[name] = await session_for(app, web, world.people[name])
    tess = clients["tess"]
    await tess.post(
        f"/groups/{noord}/pushes",
        data={"csrf": csrf_of((await tess.get("/")).text), "dialogue": "scooter", "when": "nu"},
    )
    push_id = (await app.pushes.list(world.people["tess"], noord))[0].id
    routes = [
        "/",
        "/healthz",
        "/preview",
        "/preview/scooter",
        "/preview/scooter?locale=en",
        f"/groups/{noord}",
        f"/groups/{noord}/members/{world.people['p1']}",
        f"/groups/{noord}/exercises/scooter",
        f"/groups/{noord}/pushes/{push_id}",
        f"/groups/{noord}/export.csv",
        f"/groups/{noord}/export.xlsx",
        f"/orgs/{org}",
        f"/orgs/{org}/data.json",
        f"/orgs/{org}/export.csv",
        f"/orgs/{org}/export.xlsx",
        f"/orgs/{org}/audit",
        f"/orgs/{org}/exercises/scooter",
        f"/orgs/{org}/exercises/scooter/data.json",
        f"/orgs/{org}/exercises/scooter/questions/keuze",
    ]
    failures = []
    try:
        for route in routes:
            wanted = expected(route, world)
            for name, client in clients.items():
                status = (await client.get(route)).status_code
                should = wanted.get(name, 401 if name == "anonymous" else 403)
                if status != should:
                    failures.append(f"{name} GET {route}: {status}, expected {should}")
    finally:
        for client in clients.values():
            await client.aclose()
    assert not failures, "\n".join(failures)
