"""What every request handler shares: the built services, the signer, the templates.

Built once per app by `create_web` and kept on `starlette.state`, so handlers
stay plain functions of a request and nothing is built at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.clock import AMSTERDAM
from bot.dialogues.catalog import Catalog
from bot.dialogues.content import fill
from bot.services.app import App
from bot.services.audit import Audit
from bot.services.exports import Pseudonymiser
from bot.services.reports import Aggregates
from bot.web.auth import Signer, Viewer

HERE = Path(__file__).resolve().parent


@dataclass
class Web:
    """What every handler needs, built once in `create_web`."""

    app: App
    signer: Signer
    pseudonym: Pseudonymiser
    templates: Environment
    secure: bool  # cookies get the Secure flag only when the public URL is https

    @property
    def aggregates(self) -> Aggregates:
        """The reports service (built by the composition root, like every service)."""
        return self.app.reports

    @property
    def audit(self) -> Audit:
        return self.app.audit

    @property
    def catalog(self) -> Catalog:
        return self.app.engine.catalog

    def locale(self, wanted: str | None) -> str:
        """The wanted locale when the content has it; otherwise the deployment's own."""
        if wanted is not None and wanted in self.catalog.locales:
            return wanted
        return self.app.settings.locale

    def text(self, locale: str, key: str, /, **values: object) -> str:
        return fill(self.catalog.text(locale, key), {k: str(v) for k, v in values.items()})

    def title(self, dialogue_id: str, locale: str) -> str:
        """A dialogue's title; its id when the dialogue is gone from the catalog."""
        compiled = self.app.engine.dialogues.get(dialogue_id)
        return self.text(locale, compiled.spec.title) if compiled else dialogue_id

    def question(self, dialogue_id: str, state: str, locale: str) -> str:
        """The question a state asked (its last text), for answer tables."""
        compiled = self.app.engine.dialogues.get(dialogue_id)
        spec = compiled.spec.states.get(state) if compiled else None
        if spec is None or not spec.says:
            return state
        return self.text(locale, spec.says[-1])

    def csrf(self, viewer: Viewer) -> str:
        """The session's CSRF token: keyed by its nonce, so it dies with the session."""
        return self.signer.mac("csrf", viewer.nonce)


def templates() -> Environment:
    """The page templates, autoescaped (answers are free text written by anyone)."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = _local_time
    return env


def _local_time(moment: datetime | None) -> str:
    """Times are stored in UTC; trainers read them in Amsterdam time."""
    return moment.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M") if moment else ""
