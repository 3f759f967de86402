"""The `straatwijs` command."""

from __future__ import annotations

import argparse
import asyncio
import difflib
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.bootstrap import (
    App,
    build,
    configure_logging,
    load_catalog,
    run_telegram,
    serve_dashboard,
)
from bot.console import Console
from bot.dialogues.catalog import load_catalog as check_catalog
from bot.dialogues.diagram import dot, markdown, mermaid
from bot.dialogues.problems import InvalidDialogues
from bot.dialogues.schema import dialogue_schema
from bot.privacy import CipherError
from bot.services.contacts import ContactError, ContactSheet
from bot.services.exports import answers_table, operator_answers, to_csv, to_xlsx
from bot.services.logins import NoDashboardRole
from bot.services.organisations import AlreadyExists
from bot.services.retention import purge_all
from bot.settings import Settings, SettingsError, load_settings
from bot.store.db import StoreError
from bot.store.migrate import upgrade
from bot.store.repo import NotFound
from bot.store.rotation import rotate

EXIT_INVALID = 1
EXIT_ERROR = 2


class CommandError(Exception):
    """A command that cannot do what was asked; the message says why."""


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse arguments, run the command, turn known failures into messages."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return EXIT_ERROR
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        print(f"straatwijs: {exc}", file=sys.stderr)
    except InvalidDialogues as exc:
        print(str(exc), file=sys.stderr)
        print(
            f"straatwijs: {len(exc.problems)} problem(s) in the dialogues; fix them first.",
            file=sys.stderr,
        )
        return EXIT_INVALID
    except (StoreError, CommandError, AlreadyExists) as exc:
        print(f"straatwijs: {exc}", file=sys.stderr)
    except NotFound as exc:
        print(f"straatwijs: no {exc.args[0]}", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return EXIT_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="straatwijs",
        description="Straatwijs: reflection exercises for streetwise professionals.",
    )
    sub = parser.add_subparsers(metavar="COMMAND")

    p = sub.add_parser("validate", help="check dialogue files and texts")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    p.add_argument("--locale", action="append", help="also check this locale's texts (repeatable)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("list", help="list dialogues: id, kind, part, title")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("graph", help="print a dialogue's diagram")
    p.add_argument("dialogue", nargs="?")
    p.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")
    p.add_argument("--all", action="store_true", help="every dialogue, as markdown pages")
    p.add_argument("--output", type=Path, help="with --all: the folder for the pages")
    p.set_defaults(func=cmd_graph)

    p = sub.add_parser("schema", help="print the JSON Schema of dialogue files")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("try", help="play a dialogue in the terminal")
    p.add_argument("dialogue")
    p.add_argument("--user", help="whose run this is (default: your login name)")
    p.set_defaults(func=cmd_try)

    p = sub.add_parser("run", help="run the Telegram bot")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("web", help="run the dashboard")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.set_defaults(func=cmd_web)

    db = sub.add_parser("db", help="database maintenance").add_subparsers(metavar="ACTION")
    p = db.add_parser("upgrade", help="apply migrations")
    p.set_defaults(func=cmd_db_upgrade)

    admin = sub.add_parser("admin", help="organisations, groups and invites").add_subparsers(
        metavar="WHAT"
    )
    org = admin.add_parser("org", help="organisations").add_subparsers(metavar="ACTION")
    p = org.add_parser("add", help="add an organisation (municipality)")
    p.add_argument("name")
    p.set_defaults(func=cmd_org_add)
    group = admin.add_parser("group", help="groups").add_subparsers(metavar="ACTION")
    p = group.add_parser("add", help="add a training group")
    p.add_argument("--org", required=True)
    p.add_argument("name")
    p.set_defaults(func=cmd_group_add)
    p = admin.add_parser("invite", help="create an invite link for a group")
    p.add_argument("--group", required=True, help="GROUP or ORG/GROUP")
    p.add_argument("--role", required=True, choices=["professional", "trainer", "coordinator"])
    p.add_argument("--days", type=int, default=14, help="valid for this many days (default 14)")
    p.add_argument("--uses", type=int, default=None, help="how many people may use it")
    p.add_argument("--bot", default=None, help="bot username (default: asked from Telegram)")
    p.set_defaults(func=cmd_invite)
    p = admin.add_parser("contacts", help="an organisation's local contacts for the exercises")
    p.add_argument("--org", required=True, help="the organisation's id or name")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="set one (repeatable)"
    )
    p.add_argument("--clear", action="append", default=[], metavar="KEY", help="clear one")
    p.set_defaults(func=cmd_contacts)
    p = admin.add_parser(
        "rotate-key", help="re-encrypt stored free text with the first STRAATWIJS_ENCRYPTION_KEY"
    )
    p.add_argument("--batch", type=int, default=500, help="rows per transaction (default 500)")
    p.set_defaults(func=cmd_rotate_key)
    p = admin.add_parser("purge", help="delete answers older than STRAATWIJS_RETENTION_MONTHS")
    p.add_argument("--months", type=int, default=None, help="override the retention setting")
    p.set_defaults(func=cmd_purge)

    p = admin.add_parser("login-link", help="a single-use dashboard login link")
    p.add_argument(
        "--telegram-id", required=True, help="the trainer's or coordinator's Telegram id"
    )
    p.set_defaults(func=cmd_login_link)

    p = sub.add_parser("export", help="export answers (pseudonymised)")
    p.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    p.add_argument("--output", type=Path, help="file to write (default: standard output)")
    p.set_defaults(func=cmd_export)
    return parser


# -- commands --------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    settings = load_settings()
    paths = args.paths or [settings.dialogues_dir]
    locales = ["nl", *[loc for loc in (args.locale or []) if loc != "nl"]]
    catalog, problems = check_catalog(paths, settings.content_dir, locales, root=Path.cwd())
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return EXIT_INVALID
    print(f"ok: {len(catalog.dialogues)} dialogue(s), locales {', '.join(catalog.locales)}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    settings = load_settings()
    catalog = load_catalog(settings)
    for did, loaded in sorted(catalog.dialogues.items()):
        spec = loaded.spec
        title = catalog.text(settings.locale, spec.title)
        print(f"{did}\t{spec.kind.value}\t{spec.part.value}\t{title}")
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    settings = load_settings()
    catalog = load_catalog(settings)
    if args.all:
        if args.output is None:
            raise CommandError("--all needs --output FOLDER")
        args.output.mkdir(parents=True, exist_ok=True)
        for did, item in sorted(catalog.dialogues.items()):
            title = catalog.text(settings.locale, item.spec.title)
            (args.output / f"{did}.md").write_text(markdown(item.spec, title), encoding="utf-8")
        print(f"{len(catalog.dialogues)} page(s) written to {args.output}")
        return 0
    if args.dialogue is None:
        raise CommandError("name a dialogue, or use --all --output FOLDER")
    loaded = catalog.dialogues.get(args.dialogue)
    if loaded is None:
        return _unknown_dialogue(args.dialogue, list(catalog.dialogues))
    print(mermaid(loaded.spec) if args.format == "mermaid" else dot(loaded.spec), end="")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(dialogue_schema(), indent=2, ensure_ascii=False))
    return 0


def cmd_try(args: argparse.Namespace) -> int:
    user = args.user or getpass.getuser()

    async def play(app: App) -> int:
        if args.dialogue not in app.engine.dialogues:
            return _unknown_dialogue(args.dialogue, list(app.engine.dialogues))
        who = await app.coach.identify("console", user, user, app.settings.locale)
        return await Console(app.coach, who).play(args.dialogue)

    return _with_app(play)


def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_level)
    if settings.telegram_token is None:
        raise SettingsError("STRAATWIJS_TELEGRAM_TOKEN is not set; get a token from @BotFather")
    return run_telegram(settings)


def cmd_web(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_level)
    return serve_dashboard(settings, args.host, args.port)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings = load_settings()
    upgrade(settings.database_url)
    print("database is up to date")
    return 0


def cmd_org_add(args: argparse.Namespace) -> int:
    async def work(app: App) -> int:
        org = await app.organisations.add(args.name)
        print(f"organisation {org.id}: {org.name}")
        return 0

    return _with_app(work)


def cmd_group_add(args: argparse.Namespace) -> int:
    async def work(app: App) -> int:
        group = await app.organisations.add_group(args.org, args.name)
        print(f"group {group.id}: {args.org}/{group.name}")
        return 0

    return _with_app(work)


def cmd_invite(args: argparse.Namespace) -> int:
    async def work(app: App) -> int:
        expires = datetime.now(UTC) + timedelta(days=args.days)
        invite = await app.organisations.invite(args.group, args.role, expires, args.uses)
        bot_name = args.bot or await _bot_username(app.settings)
        uses = "unlimited uses" if invite.max_uses is None else f"{invite.max_uses} use(s)"
        until = f"{invite.expires_at:%Y-%m-%d %H:%M} UTC"
        print(f"invite for {args.group} as {args.role}, valid until {until}, {uses}")
        print(f"https://t.me/{bot_name}?start={invite.code}")
        return 0

    return _with_app(work)


def cmd_contacts(args: argparse.Namespace) -> int:
    """Show an organisation's local contacts, after setting and clearing the ones named."""
    changes: dict[str, str | None] = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise CommandError(f"--set needs KEY=VALUE, got '{item}'")
        changes[key.strip()] = value
    for key in args.clear:
        if key in changes:
            raise CommandError(f"contact '{key}' is both set and cleared")
        changes[key] = None

    async def work(app: App) -> int:
        locale = app.settings.locale
        try:
            if changes:
                sheet = await app.contacts.change(args.org, changes, locale)
            else:
                sheet = await app.contacts.sheet(args.org, locale)
        except ContactError as exc:
            raise CommandError(str(exc)) from None
        _print_contacts(sheet)
        return 0

    return _with_app(work)


def _print_contacts(sheet: ContactSheet) -> None:
    """One contact a line, `key<TAB>value`; one not set reads `[national]` and the
    route the exercises fall back to."""
    print(f"local contacts of organisation {sheet.organisation_id}: {sheet.organisation}")
    for contact in sheet.contacts:
        shown = contact.value if contact.value else f"[national] {contact.fallback}"
        print(f"{contact.key}\t{shown}")


def cmd_rotate_key(args: argparse.Namespace) -> int:
    """Re-seal all free text with the current key; safe to interrupt and run again."""
    if args.batch < 1:
        raise CommandError("--batch must be at least 1")

    async def work(app: App) -> int:
        try:
            done = await rotate(app.db, app.cipher, args.batch)
        except CipherError as exc:
            raise CommandError(str(exc)) from None
        tables = (
            ("answers", done.answers),
            ("feedback", done.feedback),
            ("push notes", done.push_notes),
        )
        for name, counts in tables:
            print(
                f"{name}: {counts['encrypted']} encrypted, {counts['reencrypted']} re-encrypted, "
                f"{counts['unchanged']} already under the current key"
            )
        return 0

    return _with_app(work)


def cmd_purge(args: argparse.Namespace) -> int:
    """Run the retention purge now (the bot also runs it daily)."""

    async def work(app: App) -> int:
        months = args.months if args.months is not None else app.settings.retention_months
        if months < 1:
            raise CommandError("--months must be at least 1")
        done = await purge_all(app.db, app.clock, months)
        print(
            f"deleted {done.answers} answer(s), {done.feedback} feedback message(s) and "
            f"{done.runs} run(s) older than {months} month(s)"
        )
        return 0

    return _with_app(work)


def cmd_login_link(args: argparse.Namespace) -> int:
    async def work(app: App) -> int:
        person = await app.logins.dashboard_person("telegram", str(args.telegram_id))
        if person is None:
            raise CommandError(f"nobody with Telegram id {args.telegram_id} has joined")
        try:
            url, expires = await app.logins.link_for(person.id)
        except NoDashboardRole:
            raise CommandError(
                f"Telegram id {args.telegram_id} is no trainer or coordinator of any group"
            ) from None
        print(f"single-use login link, valid until {expires:%Y-%m-%d %H:%M} UTC:")
        print(url)
        return 0

    return _with_app(work)


def cmd_export(args: argparse.Namespace) -> int:
    async def work(app: App) -> int:
        found = await operator_answers(app.db, app.cipher, app.clock, f"cli {args.format}")
        table = answers_table(found)
        if args.format == "csv":
            data = to_csv(table, excel=False)
            if args.output:
                args.output.write_bytes(data)
            else:
                sys.stdout.write(data.decode("utf-8"))
        else:
            blob = to_xlsx(table, "answers")
            if args.output:
                args.output.write_bytes(blob)
            elif sys.stdout.isatty():
                print("straatwijs: give --output FILE for an Excel export", file=sys.stderr)
                return EXIT_ERROR
            else:
                sys.stdout.buffer.write(blob)
        if args.output:
            print(f"{len(found)} answer(s) written to {args.output}", file=sys.stderr)
        return 0

    return _with_app(work)


# -- helpers ----------------------------------------------------------------------------


def _with_app(work: Callable[[App], Awaitable[int]]) -> int:
    """Build the app (validating dialogues, migrating), run `work`, close it."""
    settings: Settings = load_settings()

    async def runner() -> int:
        app = await build(settings)
        try:
            return await work(app)
        finally:
            await app.close()

    return asyncio.run(runner())


async def _bot_username(settings: Settings) -> str:
    """Ask Telegram (or the configured Bot API) for the bot's username."""
    if settings.telegram_token is None:
        return "YOUR_BOT"
    from telegram import Bot  # start-up: PTB only for this command

    kwargs: dict[str, Any] = {}
    if settings.telegram_api_url:
        kwargs["base_url"] = settings.telegram_api_url
    try:
        async with Bot(settings.telegram_token.get_secret_value(), **kwargs) as bot:
            return bot.username
    except Exception:
        return "YOUR_BOT"


def _unknown_dialogue(name: str, known: list[str]) -> int:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    print(f"straatwijs: unknown dialogue '{name}'.{hint} See 'straatwijs list'.", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
