"""End-to-end harness: the real python-telegram-bot Application, our handlers and
database, and the fake Bot API over (in-process) HTTP.

Each update a test makes is fed to `Application.process_update`, so a test reads
like the chat it checks and runs deterministically; polling and webhooks are
exercised separately in test_running.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram import Update

from bot.bootstrap import App, build
from bot.clock import FakeClock
from bot.engine import Engine
from bot.settings import Settings
from bot.store.repo import Repository
from bot.telegram import ChatRateLimiter, attach, dispatcher, make_application
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage

TOKEN = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_test"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@dataclass
class Person:
    """A Telegram user in a test, with transcript-style actions."""

    tg: Telegram
    user: FakeUser
    seen: int = 0

    async def send(self, text: str) -> list[SentMessage]:
        """Type a message; returns what the bot sent in reply."""
        return await self.tg.feed(self, await self.tg.fake.send_text(self.user, text))

    async def press(self, label: str, message_id: int | None = None) -> list[SentMessage]:
        """Press the button with this label (on the latest keyboard, or a given message)."""
        await self.tg.fake.press(self.user, label, message_id=message_id)
        return await self.tg.feed_pending(self)

    async def press_data(self, message_id: int, data: str) -> list[SentMessage]:
        await self.tg.fake.press_data(self.user, message_id, data)
        return await self.tg.feed_pending(self)

    async def act(self, update: dict[str, Any]) -> list[SentMessage]:
        return await self.tg.feed(self, update)

    @property
    def messages(self) -> list[SentMessage]:
        return self.tg.fake.sent(self.user)

    @property
    def last(self) -> SentMessage:
        return self.tg.fake.last(self.user)

    def texts(self) -> list[str]:
        return [m.text or "" for m in self.messages]

    def keyboards(self) -> list[SentMessage]:
        """Bot messages that still carry an inline keyboard."""
        return [m for m in self.messages if m.buttons and not m.deleted]


@dataclass
class Telegram:
    fake: FakeTelegram
    app: App
    application: Any
    clock: FakeClock | None = None
    people: list[Person] = field(default_factory=list)
    handled: list[int] = field(default_factory=list)

    async def dispatch(self) -> int:
        """One tick of the push sender, as the running bot does every second."""
        return await dispatcher(self.application, self.app).tick()

    def person(self, first_name: str = "Sam", language_code: str = "nl") -> Person:
        person = Person(self, self.fake.user(first_name, language_code=language_code, started=True))
        self.people.append(person)
        return person

    async def feed(self, person: Person, update: dict[str, Any]) -> list[SentMessage]:
        await self._process(update)
        return self._new(person)

    async def feed_pending(self, person: Person) -> list[SentMessage]:
        """Feed every update the fake queued that we have not processed yet."""
        for update in list(self.fake.pending_updates):
            if update["update_id"] not in self.handled:
                await self._process(update)
        return self._new(person)

    async def _process(self, update: dict[str, Any]) -> None:
        await self.application.process_update(Update.de_json(update, self.application.bot))
        self.handled.append(update["update_id"])

    def _new(self, person: Person) -> list[SentMessage]:
        messages = self.fake.sent(person.user)
        fresh = messages[person.seen :]
        person.seen = len(messages)
        return fresh

    async def invite(
        self, role: str = "professional", group: str = "Jongerenwerk", **kwargs: Any
    ) -> str:
        """An invite code for a group in organisation 'Tilburg' (both made on demand)."""

        def work(session: Any) -> str:
            repo = Repository(session)
            try:
                found = repo.group(group, "Tilburg")
            except LookupError:
                try:
                    repo.organisation("Tilburg")
                except LookupError:
                    repo.add_organisation("Tilburg")
                found = repo.add_group("Tilburg", group)
            expires = kwargs.pop("expires_at", self.app.clock.now() + timedelta(days=7))
            return (repo.create_invite(found.id, role, expires, **kwargs)).code

        return await self.app.db.write(work)

    async def joined(self, first_name: str = "Sam", language_code: str = "nl") -> Person:
        """A person who opened an invite, consented and kept the suggested language."""
        person = self.person(first_name, language_code)
        await person.send(f"/start {await self.invite()}")
        await person.press(self.app.catalog.text(language_code, "bot.consent_yes"))
        return person


def fast_limiter() -> ChatRateLimiter:
    """The real limiter with test-speed rates (the fake's limits are off in these tests;
    test_sending.py runs with both at Telegram's real rates)."""
    return ChatRateLimiter(chat_rate=1000, chat_burst=1000, overall_rate=1000, overall_burst=1000)


def telegram_settings(settings: Settings, **overrides: Any) -> Settings:
    values = settings.model_dump() | {
        "telegram_token": TOKEN,
        "telegram_api_url": "http://fake/bot",
    }
    values.update(overrides)
    return Settings(**values, _env_file=None)  # type: ignore[call-arg]


# Friday 27 November 2026, 15:00 in Amsterdam.
START = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)


@pytest.fixture
async def tg(settings: Settings, shared_engine: Engine) -> AsyncIterator[Telegram]:
    fake = FakeTelegram(token=TOKEN, limits=False)
    tsettings = telegram_settings(settings)
    clock = FakeClock(START)
    app = await build(tsettings, migrate=False, clock=clock, engine=shared_engine)
    application = make_application(
        tsettings,
        request=fake.ptb_request(),
        get_updates_request=fake.ptb_request(),
        rate_limiter=fast_limiter(),
    )
    channel = attach(application, app)
    async with application:
        await channel.publish_commands(application)
        yield Telegram(fake, app, application, clock)
    await app.close()
    assert fake.unknown_calls == [], f"Bot API calls the fake does not know: {fake.unknown_calls}"
