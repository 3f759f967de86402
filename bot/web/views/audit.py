"""The audit log page: who revealed names and who exported what."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bot.web.http import page, require, web_of
from bot.web.views.coordinator import scope_of


async def audit_page(request: Request) -> Response:
    """The organisation's audit log, limited to the groups this coordinator is in.

    People an entry is about appear by pseudonym: the log must not itself turn
    into a list of who wrote something worth a look."""
    web = web_of(request)
    viewer = await require(request)
    scope = await scope_of(request, viewer)
    entries = await web.audit.entries(viewer.person_id, scope.organisation_id, limit=500)
    mine = {gid for gid, _ in scope.groups}
    lines = [
        (entry, web.pseudonym(entry.subject_id) if entry.subject_id is not None else "")
        for entry in entries
        if entry.group_id is None or entry.group_id in mine
    ]
    return page(request, "audit.html", viewer, scope=scope, lines=lines)
