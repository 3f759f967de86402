# syntax=docker/dockerfile:1
#
# One image for every role; the command picks it:
#   docker run IMAGE run                       the Telegram bot (long polling, or a webhook
#                                              worker when STRAATWIJS_WEBHOOK_URL is set)
#   docker run IMAGE web --host 0.0.0.0        the dashboard on :8080
#   docker run IMAGE db upgrade                migrations (run, web and try also migrate)
# Settings come from STRAATWIJS_* variables (README, docs/deploy.md). Without
# STRAATWIJS_DATABASE_URL the data lives in SQLite at /data/straatwijs.db: mount a
# volume there. docker-compose.yml runs PostgreSQL, two webhook workers behind
# Caddy, and the dashboard.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PTB_TIMEDELTA=true \
    STRAATWIJS_DATABASE_URL=sqlite:////data/straatwijs.db \
    STRAATWIJS_DIALOGUES_DIR=/app/dialogues \
    STRAATWIJS_CONTENT_DIR=/app/content

WORKDIR /app

# Dependencies first, against a stub package, so a code change does not reinstall
# them. The editable install maps the `bot` package to /app/bot, where the real
# code lands next (templates, static files and migrations are read from there).
COPY pyproject.toml README.md ./
RUN mkdir bot && touch bot/__init__.py \
 && pip install -e . \
 && rm -rf bot straatwijs.egg-info

COPY bot ./bot
COPY dialogues ./dialogues
COPY content ./content
COPY schema ./schema
COPY deploy/healthcheck.py /usr/local/bin/straatwijs-healthcheck

# Bytecode compiled at build time (the app user cannot write /app), the dialogues
# validated so a broken content change fails the build, not the deployment; then a
# user without a login shell or home-directory privileges runs everything.
RUN python -m compileall -q bot \
 && straatwijs validate \
 && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin straatwijs \
 && mkdir -p /data && chown straatwijs:straatwijs /data && chmod 0750 /data

USER straatwijs
VOLUME ["/data"]
# 8080: the dashboard; 8443: the webhook worker (STRAATWIJS_WEBHOOK_PORT).
EXPOSE 8080 8443

# `/healthz` of whichever role runs here (STRAATWIJS_HEALTH_URL picks one); the
# polling bot, which serves no HTTP, is healthy while its database answers.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["python", "/usr/local/bin/straatwijs-healthcheck"]

# SIGTERM stops the bot and the dashboard cleanly (the webhook worker answers what
# it has, closes the database and exits); give it time with stop_grace_period.
STOPSIGNAL SIGTERM
ENTRYPOINT ["straatwijs"]
CMD ["run"]
