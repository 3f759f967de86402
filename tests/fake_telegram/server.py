"""The HTTP side of the fake: an ASGI app speaking the Bot API wire format.

Requests come to ``/bot<token>/<method>`` as GET or POST with a JSON, url-encoded or
multipart body (python-telegram-bot's ``HTTPXRequest`` sends url-encoded forms, and multipart
when it uploads a file; every non-string value is JSON-encoded in a form field).  Answers are
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N, "description": ...}``.
``serve_asgi`` runs any ASGI app on a loopback port inside the current event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .limits import Faults, FloodControl
from .methods import CANONICAL, HANDLERS, ApiError, Context, Described, UploadedFile
from .state import JSON, ApiCall

_API_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z0-9_]+)/?$")
_FILE_PATH = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")

#: Parameters whose form value is JSON (objects and arrays).
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "reply_parameters",
        "link_preview_options",
        "media",
        "results",
        "options",
        "message_ids",
    }
)
INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "offset",
        "limit",
        "user_id",
        "cache_time",
        "max_connections",
        "duration",
    }
)
FLOAT_FIELDS = frozenset({"timeout", "latitude", "longitude"})
BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "allow_paid_broadcast",
    }
)
_JSON_ERRORS = {
    "reply_markup": "Bad Request: can't parse reply keyboard markup JSON object",
    "entities": "Bad Request: can't parse entities JSON object",
}


def _coerce(name: str, value: Any) -> Any:
    """Turn a form field (always a string) into the type the Bot API reads it as."""
    if not isinstance(value, str):
        return value
    if name in JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError(
                400, _JSON_ERRORS.get(name, f"Bad Request: can't parse {name} JSON object")
            ) from None
    if name in INT_FIELDS and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    if name in FLOAT_FIELDS:
        with contextlib.suppress(ValueError):
            return float(value)
    if name in BOOL_FIELDS and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    return value


def _header_param(header: str, key: str) -> str | None:
    match = re.search(rf';\s*{key}="((?:[^"\\]|\\.)*)"', header) or re.search(
        rf";\s*{key}=([^;\s]+)", header
    )
    if match is None:
        return None
    return unquote(match.group(1).replace("\\\\", "\\"))


def parse_multipart(body: bytes, content_type: str) -> dict[str, str | UploadedFile]:
    """Split a multipart/form-data body into text fields and uploaded files."""
    boundary = _header_param(content_type, "boundary")
    if not boundary:
        raise ApiError(400, "Bad Request: multipart boundary is missing")
    fields: dict[str, str | UploadedFile] = {}
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = _header_param(disposition, "name")
        if name is None:
            continue
        filename = _header_param(disposition, "filename")
        if filename is not None or "content-type" in headers:
            fields[name] = UploadedFile(filename, headers.get("content-type"), content)
        else:
            fields[name] = content.decode("utf-8")
    return fields


async def read_params(request: Request) -> JSON:
    """All parameters of a request (query string and body), decoded and typed."""
    raw: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if body:
        if content_type.startswith("application/json"):
            try:
                data = json.loads(body)
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON object") from None
            if not isinstance(data, dict):
                raise ApiError(400, "Bad Request: JSON object expected")
            raw.update(data)
        elif content_type.startswith("multipart/form-data"):
            raw.update(parse_multipart(body, content_type))
        else:  # application/x-www-form-urlencoded (also Telegram's guess for no type)
            raw.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    files = {k: v for k, v in raw.items() if isinstance(v, UploadedFile)}
    params: JSON = {}
    for name, value in raw.items():
        if isinstance(value, str) and value.startswith("attach://"):
            attached = files.get(value.removeprefix("attach://"))
            if attached is None:
                raise ApiError(400, f"Bad Request: file {value} not found in the request")
            params[name] = attached
        else:
            params[name] = _coerce(name, value)
    return params


def _error_body(status: int, description: str, retry_after: int | None = None) -> JSON:
    body: JSON = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


_BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass
class BotApiServer:
    """Dispatches Bot API requests to the handlers, applying faults and flood limits."""

    token: str
    context: Context
    flood: FloodControl
    faults: Faults

    def build_app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.endpoint, methods=["GET", "POST"])])

    def _record(self, method: str, params: JSON, status: int, description: str | None) -> None:
        self.context.world.calls.append(ApiCall(method, params, status, description))
        self.context.world.notify()

    async def endpoint(self, request: Request) -> Response:
        path = request.url.path
        file_match = _FILE_PATH.match(path)
        if file_match is not None:
            return self._download(file_match["token"], file_match["path"])
        match = _API_PATH.match(path)
        if match is None:
            return JSONResponse(_error_body(404, "Not Found"), status_code=404)
        if match["token"] != self.token:
            return JSONResponse(_error_body(401, "Unauthorized"), status_code=401)
        name = match["method"]
        method = CANONICAL.get(name.lower())
        try:
            params = await read_params(request)
        except ApiError as error:
            self._record(method or name, {}, error.status, error.description)
            return JSONResponse(_error_body(error.status, error.description), error.status)
        if method is None:
            self.context.world.unknown_calls.append(name)
            description = f"Not Found: method {name} not implemented in fake"
            self._record(name, params, 404, description)
            return JSONResponse(_error_body(404, description), status_code=404)
        return await self._call(method, params)

    async def _call(self, method: str, params: JSON) -> Response:
        delay = self.faults.next_delay(method)
        if delay:
            await asyncio.sleep(delay)
        forced = self.faults.next_failure(method)
        if forced is not None:
            return self._forced_answer(method, params, forced.status, forced.retry_after)
        chat_id = params.get("chat_id")
        retry_after = self.flood.check(method, chat_id)
        if retry_after:
            description = f"Too Many Requests: retry after {retry_after}"
            self._record(method, params, 429, description)
            return JSONResponse(_error_body(429, description, retry_after), status_code=429)
        try:
            result = await HANDLERS[method](self.context, params)
        except ApiError as error:
            self.flood.refund(method, chat_id)
            self._record(method, params, error.status, error.description)
            body = _error_body(error.status, error.description, error.retry_after)
            return JSONResponse(body, status_code=error.status)
        self._record(method, params, 200, None)
        if isinstance(result, Described):
            return JSONResponse(
                {"ok": True, "result": result.result, "description": result.description}
            )
        return JSONResponse({"ok": True, "result": result})

    def _forced_answer(self, method: str, params: JSON, status: int, retry_after: int) -> Response:
        if status == 429:
            description = f"Too Many Requests: retry after {retry_after}"
            self._record(method, params, 429, description)
            return JSONResponse(_error_body(429, description, retry_after), status_code=429)
        if status == 502:  # Telegram's front end answers with nginx's HTML page
            self._record(method, params, 502, "Bad Gateway")
            return Response(_BAD_GATEWAY_HTML, status_code=502, media_type="text/html")
        description = "Internal Server Error" if status == 500 else f"Error {status}"
        self._record(method, params, status, description)
        return JSONResponse(_error_body(status, description), status_code=status)

    def _download(self, token: str, path: str) -> Response:
        if token != self.token:
            return JSONResponse(_error_body(401, "Unauthorized"), status_code=401)
        for stored in self.context.world.files.values():
            if stored.file_path == path:
                return Response(stored.data, media_type=stored.mime_type)
        return JSONResponse(_error_body(404, "Not Found"), status_code=404)


@contextlib.asynccontextmanager
async def serve_asgi(app: Any, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on ``host:port`` (0: a free port) in the running loop.

    Yields the base URL (``http://127.0.0.1:PORT``); the server stops when the block ends.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    actual_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        host=host,
        port=actual_port,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"fake-telegram:{actual_port}")
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.005)
        yield f"http://{host}:{actual_port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
