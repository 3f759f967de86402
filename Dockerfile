# One image for the bot (`straatwijs run`) and the dashboard (`straatwijs web`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    STRAATWIJS_DATABASE_URL=sqlite:////data/straatwijs.db

RUN useradd --create-home --uid 10001 straatwijs \
 && mkdir /data && chown straatwijs /data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY dialogues ./dialogues
COPY content ./content
COPY schema ./schema
RUN pip install -e .

USER straatwijs
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["straatwijs", "validate"]
ENTRYPOINT ["straatwijs"]
CMD ["run"]
