"""A trainer's page for their organisation's local contacts: the reporting point,
the undermining-crime contact, the Zorg- en Veiligheidshuis and the out-of-hours
number that exercises read in their `{contact.*}` placeholders.

The page hangs under a group the viewer trains (`/groups/{group}/contacts`),
because that is where the access rule starts: a trainer may change the contacts
of the organisation of a group they train. The service checks the same rule
again in its transaction; an empty field clears a contact, so the exercises read
the national route again.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from bot.dialogues.contacts import CONTACT_KEYS, MAX_CONTACT_CHARS
from bot.services.access import AccessDenied, Gone
from bot.services.contacts import ContactError, ContactSheet
from bot.web.auth import Viewer
from bot.web.context import Web
from bot.web.http import Refusal, page, redirect, require, web_of
from bot.web.views.trainer import trainer_place

#: The `done` query value after a save, shown as a notice on the page itself.
SAVED = "contacts_saved"


async def contacts_page(
    request: Request,
    error: str | None = None,
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> Response:
    """The contacts with their fallbacks and a form; re-shown with the values typed
    and the error when a save was refused."""
    web = web_of(request)
    viewer = await require(request)
    group_id = request.path_params["group"]
    place = trainer_place(viewer, group_id)
    loc = web.locale(viewer.locale)
    sheet = await _sheet(web, viewer, group_id, loc)
    shown = {c.key: c.value or "" for c in sheet.contacts} | (typed or {})
    return page(
        request,
        "contacts.html",
        viewer,
        status=status,
        place=place,
        sheet=sheet,
        shown=shown,
        error=error,
        max_chars=MAX_CONTACT_CHARS,
        saved=request.query_params.get("done") == SAVED,
        exercises=_exercises(web, loc),
    )


async def save_contacts(request: Request, viewer: Viewer, form: FormData) -> Response:
    """Store the form: a filled field sets a contact, an empty one clears it."""
    web = web_of(request)
    group_id = request.path_params["group"]
    trainer_place(viewer, group_id)
    typed = {key: str(form.get(key, "")) for key in CONTACT_KEYS if key in form}
    changes = {key: value if value.strip() else None for key, value in typed.items()}
    loc = web.locale(viewer.locale)
    try:
        await web.app.contacts.change_for_group(viewer.person_id, group_id, changes, loc)
    except ContactError as exc:
        label = web.text(loc, f"web.contacts.key.{exc.key}")
        error = web.text(loc, f"web.contacts.error.{exc.code}", label=label, max=MAX_CONTACT_CHARS)
        return await contacts_page(request, error, 400, typed)
    except AccessDenied:
        raise Refusal(403, "web.error.forbidden") from None
    except Gone:
        raise Refusal(404, "web.error.not_found") from None
    return redirect(f"/groups/{group_id}/contacts", done=SAVED)


async def _sheet(web: Web, viewer: Viewer, group_id: int, locale: str) -> ContactSheet:
    try:
        return await web.app.contacts.for_group(viewer.person_id, group_id, locale)
    except AccessDenied:
        raise Refusal(403, "web.error.forbidden") from None
    except Gone:
        raise Refusal(404, "web.error.not_found") from None


def _exercises(web: Web, locale: str) -> list[tuple[str, str]]:
    """(id, title) of the exercises that read a local contact, by title."""
    engine = web.app.engine
    found = [(web.title(did, locale), did) for did in engine.dialogues if engine.uses_contacts(did)]
    return [(did, title) for title, did in sorted(found)]
