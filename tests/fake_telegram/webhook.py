"""Webhook delivery: POST pending updates to the bot the way Telegram does.

Updates go one at a time, in order, as JSON with the ``X-Telegram-Bot-Api-Secret-Token``
header when a secret was set.  A 2xx answer confirms the update; anything else (or no answer)
keeps it pending and is remembered as the webhook's last error, like ``getWebhookInfo`` shows.
"""

from __future__ import annotations

import time
from http import HTTPStatus

import httpx

from .state import WebhookDelivery, World

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


async def deliver_pending(
    world: World,
    transport: httpx.AsyncBaseTransport | None = None,
    http_timeout: float = 10.0,
) -> list[WebhookDelivery]:
    """Post every pending update to the webhook; stop at the first failed delivery."""
    hook = world.webhook
    if hook is None:
        return []
    made: list[WebhookDelivery] = []
    headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
    async with httpx.AsyncClient(
        transport=transport, trust_env=False, timeout=http_timeout
    ) as client:
        for update in world.pending():
            update_id = int(update["update_id"])
            if not world.is_allowed(update):
                world.confirm(update_id)
                continue
            status: int | None = None
            error: str | None = None
            try:
                response = await client.post(hook.url, json=update, headers=headers)
                status = response.status_code
                if not 200 <= status < 300:
                    error = f"Wrong response from the webhook: {status} {_reason(status)}".strip()
            except httpx.HTTPError as exc:
                error = f"Connection failed: {type(exc).__name__}: {exc}"
            delivery = WebhookDelivery(update_id, hook.url, status, error, hook.secret_token)
            world.webhook_deliveries.append(delivery)
            made.append(delivery)
            if error is not None:
                hook.last_error_date = int(time.time())
                hook.last_error_message = error
                world.notify()
                break
            world.confirm(update_id)
            world.notify()
    return made
