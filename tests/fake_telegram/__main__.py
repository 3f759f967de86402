"""Run the fake Bot API on a port, so the real bot can be tried against it by hand.

    python -m tests.fake_telegram --port 8081

then, in another terminal, start the bot with ``STRAATWIJS_TELEGRAM_API_URL`` set to the
printed URL and ``STRAATWIJS_TELEGRAM_TOKEN`` to the token.  Lines typed here are sent to the
bot as a user's messages; ``!press LABEL`` presses an inline button, ``!help`` lists more.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading

import uvicorn

from .fake import FakeTelegram
from .state import FakeUser, SentMessage

HELP = """\
Type text to send it as the user. Commands:
  !press LABEL   press an inline button on the latest keyboard
  !data DATA     send a callback query with DATA for the latest bot message
  !sticker !photo !voice !location !contact   send that kind of message
  !block !unblock   the user blocks / unblocks the bot
  !help          this text
Ctrl-C stops the server."""


def _write(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _describe(message: SentMessage) -> str:
    state = " (deleted)" if message.deleted else " (edited)" if message.edited else ""
    lines = [f"bot #{message.message_id}{state}: {message.text or ''}"]
    if message.document is not None:
        lines.append(f"  [file {message.document.file_name} {message.document.file_size} bytes]")
    if message.photo is not None:
        photo = message.photo
        lines.append(f"  [photo {photo.width}x{photo.height} {photo.file_size} bytes]")
    lines.extend("  " + " | ".join(f"[{label}]" for label, _ in row) for row in message.buttons)
    lines.extend("  " + " | ".join(f"({label})" for label in row) for row in message.keyboard)
    return "\n".join(lines)


async def _print_bot_messages(fake: FakeTelegram, user: FakeUser) -> None:
    seen: dict[int, tuple[int, bool]] = {}
    while True:
        for message in fake.sent(user):
            version = (len(message.edits), message.deleted)
            if seen.get(message.message_id) != version:
                seen[message.message_id] = version
                _write(_describe(message))
        await fake.world.wait_changed(1.0)


async def _act(fake: FakeTelegram, user: FakeUser, line: str) -> None:
    command, _, argument = line.partition(" ")
    actions = {
        "!sticker": lambda: fake.send_sticker(user),
        "!photo": lambda: fake.send_photo(user),
        "!voice": lambda: fake.send_voice(user),
        "!location": lambda: fake.send_location(user),
        "!contact": lambda: fake.send_contact(user),
        "!press": lambda: fake.press(user, argument),
        "!data": lambda: fake.press_data(user, fake.last(user).message_id, argument),
    }
    if command == "!help":
        _write(HELP)
    elif command == "!block":
        fake.block(user)
    elif command == "!unblock":
        fake.unblock(user)
    elif command in actions:
        await actions[command]()
    else:
        await fake.send_text(user, line)


async def _repl(fake: FakeTelegram, user: FakeUser) -> None:
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:  # a daemon thread, so a blocked read never holds up the exit
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line.rstrip("\n"))
        loop.call_soon_threadsafe(lines.put_nowait, None)

    threading.Thread(target=read, name="fake-telegram-stdin", daemon=True).start()
    while (line := await lines.get()) is not None:
        if line.strip():
            try:
                await _act(fake, user, line.strip())
            except (LookupError, ValueError, AssertionError) as error:
                _write(f"! {error}")


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_telegram", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-token-for-the-local-fake")
    parser.add_argument("--username", default="straatwijs_test_bot")
    parser.add_argument("--user", default="Sam", help="first name of the user you play")
    parser.add_argument("--no-limits", action="store_true", help="switch off flood limits")
    parser.add_argument("--no-repl", action="store_true", help="do not read stdin")
    args = parser.parse_args(argv)

    fake = FakeTelegram(args.token, args.username, limits=not args.no_limits)
    user = fake.user(args.user)
    config = uvicorn.Config(
        fake.app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn has no event
        await asyncio.sleep(0.01)
    if serving.done():
        await serving
        return
    url = f"http://{args.host}:{args.port}/bot"
    _write(f"Fake Bot API at {url} (token {args.token}, bot @{args.username})")
    _write(f"  STRAATWIJS_TELEGRAM_API_URL={url} STRAATWIJS_TELEGRAM_TOKEN={args.token}")
    side = [asyncio.create_task(_print_bot_messages(fake, user))]
    if not args.no_repl:
        _write(HELP)
        side.append(asyncio.create_task(_repl(fake, user)))
    try:
        await serving
    finally:
        for task in side:
            task.cancel()
        await asyncio.gather(*side, return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main())
