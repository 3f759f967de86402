#!/usr/bin/env python3
"""Container health check for every Straatwijs role (the image's HEALTHCHECK).

- `STRAATWIJS_HEALTH_URL` set (docker-compose.yml sets it per service): GET it;
  healthy on 200. The dashboard's `/healthz` answers 200 only when the database
  is reachable; the webhook worker's `/healthz` answers while it serves.
- Otherwise the dashboard (127.0.0.1:8080) and the webhook
  (127.0.0.1:$STRAATWIJS_WEBHOOK_PORT, default 8443) are tried; the first that
  answers decides.
- Nothing listening (the bot in long-polling mode serves no HTTP): healthy when
  the database answers `SELECT 1`.

Exit 0 when healthy, 1 when not; one line on stdout says why (`docker inspect`
shows it). Standard library only for the HTTP part, so it stays cheap.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT = 4.0


def probe(url: str) -> bool | None:
    """True/False for a 200/other answer; None when nothing listens there."""
    request = urllib.request.Request(url, headers={"User-Agent": "straatwijs-healthcheck"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            return response.status == 200
    except urllib.error.HTTPError:
        return False
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, ConnectionRefusedError):
            return None
        return False


def say(line: str) -> None:
    sys.stdout.write(line + "\n")


def database_answers() -> bool:
    """The polling bot's check: can we reach the configured database?"""
    from sqlalchemy import create_engine, text

    from bot.settings import load_settings
    from bot.store.db import sync_url

    settings = load_settings()
    engine = create_engine(sync_url(settings.database_url), pool_pre_ping=False)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    finally:
        engine.dispose()


def main() -> int:
    explicit = os.environ.get("STRAATWIJS_HEALTH_URL")
    if explicit:
        healthy = probe(explicit)
        say(f"{explicit}: {'ok' if healthy else 'not answering' if healthy is None else 'bad'}")
        return 0 if healthy else 1
    port = os.environ.get("STRAATWIJS_WEBHOOK_PORT", "8443")
    for url in ("http://127.0.0.1:8080/healthz", f"http://127.0.0.1:{port}/healthz"):
        healthy = probe(url)
        if healthy is not None:
            say(f"{url}: {'ok' if healthy else 'bad'}")
            return 0 if healthy else 1
    try:
        ok = database_answers()
    except Exception as exc:  # any failure to connect means unhealthy
        say(f"no HTTP endpoint; database unreachable: {type(exc).__name__}")
        return 1
    say("no HTTP endpoint (polling); database ok")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
