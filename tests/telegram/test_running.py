"""`straatwijs run` as a real process against the fake Bot API on loopback:
long polling, restarts, SIGTERM, and webhook mode with and without the secret."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from bot.telegram import webhook_app
from tests.fake_telegram import SECRET_HEADER, FakeTelegram
from tests.telegram.conftest import TOKEN

EXE = str(Path(sys.executable).parent / "straatwijs")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BotProcess:
    """A `straatwijs run` child process."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            EXE,
            "run",
            env=self.env,
            cwd=self.cwd,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )

    async def stop(self) -> tuple[int, str]:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(self.proc.communicate(), 20)
        return self.proc.returncode or 0, err.decode()


@pytest.fixture
def bot_env(cli_env, tmp_path):
    env = dict(cli_env)
    env["STRAATWIJS_TELEGRAM_TOKEN"] = TOKEN
    env["STRAATWIJS_LOG_LEVEL"] = "INFO"
    return env


async def invite_code(database_url: str) -> str:
    """An organisation, group and invite, as `straatwijs admin` makes them (tested in test_cli)."""
    from bot.store.db import Database, create_engine
    from bot.store.repo import Repository

    db = Database(create_engine(database_url))

    def work(session):
        repo = Repository(session)
        repo.add_organisation("Breda")
        group = repo.add_group("Breda", "Wijkteam")
        return (repo.create_invite(group.id, "professional")).code

    try:
        return await db.write(work)
    finally:
        await db.dispose()


@pytest.mark.slow
async def test_polling_restart_and_messages_sent_while_down(bot_env, tmp_path):
    fake = FakeTelegram(token=TOKEN, limits=False)
    code = await invite_code(bot_env["STRAATWIJS_DATABASE_URL"])
    sam = fake.user("Sam", language_code="nl", started=True)
    async with fake.serve() as api_url:
        env = bot_env | {"STRAATWIJS_TELEGRAM_API_URL": api_url}
        await fake.send_text(sam, f"/start {code}")  # sent while the bot is down

        first = BotProcess(env, tmp_path)
        await first.start()
        await fake.wait_sent(sam, 2, timeout=30)
        await fake.press(sam, "Akkoord, ik doe mee")
        await fake.wait_sent(sam, 4, timeout=30)
        # the exercise button of the menu (menus are tested in test_exercises.py)
        await fake.press_data(sam, fake.last(sam).message_id, "o:drijfveren")
        await fake.wait_for(lambda: "stap 1 van 6" in (fake.last(sam).text or ""), 30)
        await fake.press(sam, "Ik begin")
        await fake.wait_for(lambda: "stap 2 van 6" in (fake.last(sam).text or ""), 30)
        code_exit, err = await first.stop()  # SIGTERM: a clean shutdown
        assert code_exit == 0, err
        assert "Traceback" not in err
        assert f"/start {code}" not in err  # no invite codes in logs
        assert TOKEN not in err  # no token in logs

        await fake.send_text(sam, "Een gesprek op het plein dat me bijbleef")  # while down
        second = BotProcess(env, tmp_path)
        await second.start()
        await fake.wait_for(lambda: "stap 3 van 6" in (fake.last(sam).text or ""), 30)
        assert "Een gesprek op het plein" not in (await second.stop())[1]
    assert fake.unknown_calls == []
    assert fake.commands(language_code="en")


@pytest.mark.slow
async def test_webhook_with_and_without_the_secret(bot_env, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    fake = FakeTelegram(token=TOKEN, limits=False)
    sam = fake.user("Sam", language_code="nl", started=True)
    async with fake.serve() as api_url:
        env = bot_env | {
            "STRAATWIJS_TELEGRAM_API_URL": api_url,
            "STRAATWIJS_WEBHOOK_URL": url,
            "STRAATWIJS_WEBHOOK_SECRET": "geheim_123",
            "STRAATWIJS_WEBHOOK_LISTEN": "127.0.0.1",
            "STRAATWIJS_WEBHOOK_PORT": str(port),
        }
        proc = BotProcess(env, tmp_path)
        await proc.start()
        await fake.wait_for(lambda: fake.calls_of("setWebhook"), 30, "setWebhook")
        assert fake.calls_of("setWebhook")[-1]["secret_token"] == "geheim_123"
        async with httpx.AsyncClient(trust_env=False) as client:
            for _ in range(100):  # wait until the server listens
                try:
                    health = await client.get(f"http://127.0.0.1:{port}/healthz")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.1)
            assert health.json() == {"status": "ok"}  # the database answered
            update = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "text": "/start",
                    "chat": {"id": sam.id, "type": "private"},
                    "from": {"id": sam.id, "is_bot": False, "first_name": "Sam"},
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                },
            }
            refused = await client.post(url, json=update)
            wrong = await client.post(url, json=update, headers={SECRET_HEADER: "fout"})
            assert refused.status_code == 403
            assert wrong.status_code == 403
        assert fake.sent(sam) == []  # nothing happened

        await fake.send_text(sam, "/start")  # the fake posts with the right secret
        (reply,) = await fake.wait_sent(sam, 1, timeout=30)
        assert "persoonlijke uitnodiging" in reply.text
        assert fake.webhook_deliveries[-1].status == 200
        code_exit, err = await proc.stop()
        assert code_exit == 0, err
    assert fake.unknown_calls == []


async def test_webhook_health_reports_an_unreachable_database():
    """A worker that cannot reach its database says so, so the proxy routes around it."""

    async def unreachable() -> bool:
        return False

    app = webhook_app(object(), "geheim", "/telegram/hook", unreachable)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://worker") as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
