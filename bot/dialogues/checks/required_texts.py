"""Texts the engine and the channels use for every dialogue: each locale must have them.

They are not named in any dialogue file, so without this list a locale could
lack the "back" button's label and nobody would notice before a person did.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bot.dialogues.contacts import CONTACT_KEYS, placeholder
from bot.dialogues.content import Locale
from bot.dialogues.problems import Problem
from bot.dialogues.yamlsource import display_name

# The engine's texts, and those every channel shares (buttons, reprompts, notices).
COMMON_KEYS: tuple[str, ...] = (
    "common.nav.back",
    "common.nav.pause",
    "common.nav.stop",
    "common.continue",
    "common.yes",
    "common.no",
    "common.confirm",
    "common.progress",
    "common.card",
    "common.reprompt.choice",
    "common.reprompt.multi_min",
    "common.reprompt.multi_max",
    "common.reprompt.scale",
    "common.reprompt.yesno",
    "common.reprompt.continue",
    "common.reprompt.text_empty",
    "common.reprompt.text_short",
    "common.reprompt.text_long",
    "common.reprompt.media",
    "common.reprompt.identifying",
    "common.identifying.bsn",
    "common.identifying.phone",
    "common.identifying.email",
    "common.identifying.iban",
    "common.identifying.postcode",
    "common.identifying.address",
    "common.identifying.plate",
    "common.identifying.birthdate",
    "common.identifying.handle",
    "common.identifying.name",
    "common.notice.paused",
    "common.notice.stopped",
    "common.notice.changed",
    "common.notice.stale",
    "common.notice.no_back",
    "common.echo",
    "common.privacy_reminder",
    "common.console.choice",
    "common.console.multi",
    "common.console.scale",
    "common.console.yesno",
    "common.console.text",
    "common.console.continue",
    "common.console.nav",
)


# Texts of the Telegram channel; checked like the common texts.
BOT_KEYS: tuple[str, ...] = (
    "bot.welcome",
    "bot.consent",
    "bot.consent_yes",
    "bot.consent_no",
    "bot.consent_declined",
    "bot.joined",
    "bot.joined_also",
    "bot.already_member",
    "bot.language_prompt",
    "bot.language_set",
    "bot.start_hint",
    "bot.no_invite",
    "bot.invite_invalid",
    "bot.invite_expired",
    "bot.invite_used_up",
    "bot.invite_removed",
    "bot.not_joined",
    "bot.help",
    "bot.unknown_command",
    "bot.nothing_open",
    "bot.edited",
    "bot.inactive_again",
    "bot.error",
    "bot.language_button_nl",
    "bot.language_button_en",
    "bot.consent_given",
    "bot.menu.title",
    "bot.menu.by_part",
    "bot.menu.parts_title",
    "bot.menu.back",
    "bot.menu.empty",
    "bot.menu.list_title",
    "bot.menu.minutes",
    "bot.menu.status_new",
    "bot.menu.status_in_progress",
    "bot.menu.status_done",
    "bot.menu.legend",
    "bot.menu.knowledge",
    "bot.menu.knowledge_title",
    "bot.kind.zelfkennis",
    "bot.kind.bewustwording",
    "bot.kind.straatscenario",
    "bot.part.kennis",
    "bot.part.bewustwording",
    "bot.part.handelingsintelligentie",
    "bot.part.zelfkennis",
    "bot.part.verbinding",
    "bot.commands.oefeningen",
    "bot.commands.hulp",
    "bot.commands.taal",
    "bot.commands.start",
)


# The national fallback of every local contact (`contact.<key>`): any exercise may
# name any contact, and an organisation that set none still needs a route to read.
CONTACT_FALLBACK_KEYS: tuple[str, ...] = tuple(placeholder(key) for key in CONTACT_KEYS)


def check_required_texts(locale: Locale, content_dir: Path, root: Path | None) -> Iterator[Problem]:
    """Each common and channel text in `locale`, reported on its locale's folder."""
    folder = display_name(content_dir / locale.code, root)
    for key in (*COMMON_KEYS, *BOT_KEYS, *CONTACT_FALLBACK_KEYS):
        if locale.get(key) is None:
            yield Problem(
                folder,
                1,
                f"required text '{key}' is missing in locale '{locale.code}'",
                f"add it to content/{locale.code}/{key.split('.')[0]}.yaml",
            )
