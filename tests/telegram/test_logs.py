"""Logs without secrets: a whole conversation at DEBUG, then a search of every record
for what the person typed, their name and id, the token and the invite code."""

from __future__ import annotations

import logging

from bot.bootstrap import QUIET_LOGGERS, configure_logging
from tests.telegram.conftest import TOKEN


async def test_debug_logs_hold_no_answers_names_ids_tokens_or_codes(tg, caplog):
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    try:
        sam = tg.person("Saskia")
        code = await tg.invite()
        typed = [
            f"/start {code}",
            "Mijn geheime reflectie over de jongen op het plein",
            "Nooit alleen naar binnen bij een onbekend adres",
        ]
        await sam.send(typed[0])
        await sam.press("Akkoord, ik doe mee")
        await sam.press_data(sam.messages[-1].message_id, "o:drijfveren")
        await sam.press("Ik begin")
        await sam.send(typed[1])
        await sam.press("⬜ Verbinding")
        await sam.press("Klaar ✅")
        await sam.press("4")
        await sam.send(typed[2])
        tg.fake.fail_next("sendMessage", status=500)  # an error path logs too
        await sam.send("/hulp")
        assert "Je koos voor Verbinding" in " ".join(sam.texts())
    finally:
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)
    records = caplog.records
    assert records, "nothing was logged at all: the test would prove nothing"
    text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in records)
    secrets = [*typed, code, TOKEN, "Saskia", str(sam.user.id)]
    for secret in secrets:
        assert secret not in text, f"leaked into the logs: {secret[:12]}..."
