"""The local contacts page: a trainer sees and edits their organisation's numbers.

The world (tests/web/conftest.py): Tess trains Noord and Tom trains Zuid, both in
Amsterdam; Uma trains Centrum in Utrecht; Cora coordinates Noord and Zuid.
"""

from __future__ import annotations

import html

from bot.bootstrap import App
from bot.dialogues.contacts import MAX_CONTACT_CHARS
from tests.web.conftest import Login, World, csrf_of

MELDPUNT = "Meldpunt Ondermijning Amsterdam, 020-123 45 67"
EMPTY = {"ondermijning_contact": "", "zorg_veiligheidshuis": "", "buiten_kantoortijd": ""}


async def stored(app: App) -> dict[str, str | None]:
    sheet = await app.contacts.sheet("Amsterdam", "nl")
    return {c.key: c.value for c in sheet.contacts}


async def test_only_the_groups_trainer_opens_the_page(login: Login, world: World) -> None:
    path = f"/groups/{world.groups['noord']}/contacts"
    expected = {"anonymous": 401, "tess": 200, "tom": 403, "uma": 403, "cora": 403}
    found = {name: (await (await login(name)).get(path)).status_code for name in expected}
    assert found == expected
    tess = await login("tess")
    group = await tess.get(f"/groups/{world.groups['noord']}")
    assert f'href="{path}"' in group.text  # the group page links to it
    page = await tess.get(path)
    assert "Lokale nummers" in page.text
    assert "Meld Misdaad Anoniem, 0800-7000" in page.text  # the fallback, before anything is set
    assert "Anijsgeur" in page.text  # an exercise that reads them


async def test_a_trainer_saves_and_clears_numbers(login: Login, world: World, app: App) -> None:
    noord = world.groups["noord"]
    tess = await login("tess")
    page = await tess.get(f"/groups/{noord}/contacts")
    done = await tess.post(
        f"/groups/{noord}/contacts",
        data={"csrf": csrf_of(page.text), **EMPTY, "meldpunt": f"  {MELDPUNT} "},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/groups/{noord}/contacts?done=contacts_saved"
    assert (await stored(app))["meldpunt"] == MELDPUNT
    page = await tess.get(done.headers["location"])
    assert "De nummers zijn bewaard" in page.text
    assert f'value="{MELDPUNT}"' in page.text
    # Tom trains Amsterdam's other group: the organisation's numbers are his too.
    tom = await login("tom")
    assert MELDPUNT in (await tom.get(f"/groups/{world.groups['zuid']}/contacts")).text

    cleared = await tess.post(
        f"/groups/{noord}/contacts", data={"csrf": csrf_of(page.text), **EMPTY, "meldpunt": " "}
    )
    assert cleared.status_code == 303
    assert (await stored(app))["meldpunt"] is None


async def test_bad_values_come_back_with_the_reason(login: Login, world: World, app: App) -> None:
    noord = world.groups["noord"]
    tess = await login("tess")
    token = csrf_of((await tess.get(f"/groups/{noord}/contacts")).text)
    too_long = "x" * (MAX_CONTACT_CHARS + 1)
    refused = await tess.post(
        f"/groups/{noord}/contacts",
        data={"csrf": token, **EMPTY, "meldpunt": MELDPUNT, "buiten_kantoortijd": too_long},
    )
    assert refused.status_code == 400
    assert f"hoogstens {MAX_CONTACT_CHARS} tekens" in refused.text
    assert too_long in refused.text  # what was typed stays in the form
    control = await tess.post(
        f"/groups/{noord}/contacts",
        data={"csrf": token, **EMPTY, "meldpunt": "Meldpunt\r\n<b>020</b>"},
    )
    assert control.status_code == 400
    assert "op één regel" in control.text
    assert "<b>020</b>" not in control.text  # escaped, never markup
    assert html.escape("<b>020</b>") in control.text
    assert all(value is None for value in (await stored(app)).values())  # nothing half-saved


async def test_forms_need_a_token_and_the_trainer_rule(
    login: Login, world: World, app: App
) -> None:
    noord = world.groups["noord"]
    tess = await login("tess")
    await tess.get(f"/groups/{noord}/contacts")
    path = f"/groups/{noord}/contacts"
    assert (await tess.post(path, data={"meldpunt": "nep"})).status_code == 403
    assert (await tess.post(path, data={"csrf": "nep", "meldpunt": "nep"})).status_code == 403
    for name in ("uma", "tom", "cora"):  # with a valid token of their own session
        other = await login(name)
        token = csrf_of((await other.get("/")).text)
        assert (await other.post(path, data={"csrf": token, "meldpunt": "nep"})).status_code == 403
    anonymous = await login("anonymous")
    assert (await anonymous.post(path, data={"csrf": "x", "meldpunt": "nep"})).status_code == 401
    assert all(value is None for value in (await stored(app)).values())
