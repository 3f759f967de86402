"""Fixtures for the fake Bot API's own tests."""

from collections.abc import Iterator

import pytest

from tests.fake_telegram import FakeTelegram


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # python-telegram-bot 22 warns (an error under filterwarnings=error) when it builds a
    # RetryAfter or reads another time period as int; opting in to timedelta avoids that.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """A fake without flood limits; asserts at the end that no unknown method was used."""
    telegram = FakeTelegram(limits=False)
    yield telegram
    assert telegram.unknown_calls == [], f"unexpected Bot API calls: {telegram.unknown_calls}"
