"""Tests of the fake Bot API, driven by the real python-telegram-bot."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import socket
import sys
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.fake_telegram import SECRET_HEADER, FakeTelegram, serve_asgi
from tests.fake_telegram.html_entities import EntityParseError, parse_html


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in buttons])


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- HTML parse mode --------------------------------------------------------------------------


def test_parse_html_offsets_are_utf16_and_entities_unescaped():
    parsed = parse_html('😀 <b>bold &amp; <i>it</i></b> <a href="https://x.nl/?a=1&amp;b=2">l</a>')
    assert parsed.text == "😀 bold & it l"
    assert parsed.entities == [
        {"type": "bold", "offset": 3, "length": 9},
        {"type": "italic", "offset": 10, "length": 2},
        {"type": "text_link", "offset": 13, "length": 1, "url": "https://x.nl/?a=1&b=2"},
    ]
    pre = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert pre.entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]
    spoiler = parse_html('<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>')
    assert [e["type"] for e in spoiler.entities] == ["spoiler", "spoiler"]


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("Tom & Jerry", 'Character "&" must be escaped'),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_parse_html_rejects_what_telegram_rejects(html, error):
    with pytest.raises(EntityParseError, match=error.replace("(", r"\(")):
        parse_html(html)


def test_parse_html_ampersand_is_lenient_when_not_strict():
    assert parse_html("Tom & Jerry", strict_ampersand=False).text == "Tom & Jerry"


# -- sending and editing ----------------------------------------------------------------------


async def test_send_message_with_html(fake: FakeTelegram):
    sam = fake.user("Sam", started=True)
    async with fake.bot() as bot:
        message = await bot.send_message(
            sam.id, "\n<b>Hallo</b> &lt;Sam&gt;\n", parse_mode=ParseMode.HTML
        )
        assert message.text == "Hallo <Sam>"
        assert message.entities[0].type == "bold"
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities: unsupported start tag"):
            await bot.send_message(sam.id, "<blink>no</blink>", parse_mode=ParseMode.HTML)
    sent = fake.last(sam)
    assert (sent.text, sent.html, sent.parse_mode) == (
        "Hallo <Sam>",
        "\n<b>Hallo</b> &lt;Sam&gt;\n",
        "HTML",
    )
    assert len(fake.sent(sam)) == 1


async def test_text_length_is_checked_after_parsing(fake: FakeTelegram):
    sam = fake.user(started=True)
    async with fake.bot() as bot:
        await bot.send_message(sam.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(sam.id, "x" * 4097)
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(sam.id, "<b> </b>", parse_mode="HTML")


async def test_callback_data_is_limited_to_64_bytes(fake: FakeTelegram):
    sam = fake.user(started=True)
    async with fake.bot() as bot:
        await bot.send_message(sam.id, "ok", reply_markup=keyboard(("A", "a" * 64)))
        for data in ("a" * 65, "é" * 33):
            with pytest.raises(BadRequest, match="Button_data_invalid"):
                await bot.send_message(sam.id, "too long", reply_markup=keyboard(("A", data)))
    assert fake.last(sam).buttons == [[("A", "a" * 64)]]


async def test_edit_not_modified_and_not_found(fake: FakeTelegram):
    sam = fake.user(started=True)
    async with fake.bot() as bot:
        message = await bot.send_message(sam.id, "Vraag?", reply_markup=keyboard(("Ja", "y")))
        edited = await bot.edit_message_text(
            "Vraag? <i>Ja</i>",
            chat_id=sam.id,
            message_id=message.message_id,
            parse_mode="HTML",
            reply_markup=keyboard(("Ja", "y")),
        )
        assert edited.edit_date is not None
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text(
                "Vraag? <em>Ja</em>",
                chat_id=sam.id,
                message_id=message.message_id,
                parse_mode="HTML",
                reply_markup=keyboard(("Ja", "y")),
            )
        await bot.edit_message_reply_markup(sam.id, message.message_id, reply_markup=None)
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_reply_markup(sam.id, message.message_id, reply_markup=None)
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await bot.edit_message_text("x", chat_id=sam.id, message_id=999)
        assert await bot.delete_message(sam.id, message.message_id)
        with pytest.raises(BadRequest, match="Message to delete not found"):
            await bot.delete_message(sam.id, message.message_id)
    record = fake.sent(sam)[0]
    assert record.deleted
    assert record.edited
    assert [v.text for v in record.edits] == ["Vraag?", "Vraag? Ja"]
    assert record.text == "Vraag? Ja"
    assert record.buttons == []


async def test_press_button_and_answer_callback(fake: FakeTelegram):
    sam = fake.user("Sam")
    await fake.send_text(sam, "/start abc")
    async with fake.bot() as bot:
        (update,) = await bot.get_updates()
        assert update.message.text == "/start abc"
        assert update.message.entities[0].type == "bot_command"
        assert update.message.entities[0].length == len("/start")
        await bot.send_message(sam.id, "Klaar?", reply_markup=keyboard(("Start", "run:1:go")))
        query_id = await fake.press(sam, label="Start")
        updates = await bot.get_updates(offset=update.update_id + 1)
        query = updates[-1].callback_query
        assert (query.id, query.data, query.message.text) == (query_id, "run:1:go", "Klaar?")
        assert fake.callback_answer(query_id) is None
        await query.answer("Top!")
        with pytest.raises(BadRequest, match="Query is too old"):
            await query.answer()
        stale = await fake.press_data(sam, 12345, "run:0:old")
        updates = await bot.get_updates(offset=updates[-1].update_id + 1)
        assert updates[0].callback_query.data == "run:0:old"
        assert updates[0].callback_query.message.date.year == 1970  # inaccessible message
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_callback_query("nonsense")
    assert fake.callback_answer(query_id).text == "Top!"
    assert fake.callback_answer(stale) is None
    assert [a.query_id for a in fake.answered_callbacks] == [query_id]
    with pytest.raises(LookupError, match="no inline button"):
        await fake.press(sam, "Nope")


async def test_user_media_and_edits_arrive_as_ptb_objects(fake: FakeTelegram):
    sam = fake.user("Sam", username="sam_nl")
    first = await fake.send_text(sam, "hoi")
    await fake.edit_text(sam, first["message"]["message_id"], "hoi!")
    await fake.send_sticker(sam)
    await fake.send_photo(sam, caption="foto")
    await fake.send_voice(sam)
    await fake.send_document(sam, b"abc", "a.txt")
    await fake.send_location(sam)
    await fake.send_contact(sam)
    async with fake.bot() as bot:
        updates = await bot.get_updates()
        assert [u.update_id for u in updates] == sorted(u.update_id for u in updates)
        messages = [u.effective_message for u in updates]
        assert updates[1].edited_message.text == "hoi!"
        assert messages[2].sticker.emoji == "👍"
        assert messages[3].photo[-1].width == 800
        assert messages[3].caption == "foto"
        assert messages[4].voice.mime_type == "audio/ogg"
        assert messages[5].document.file_name == "a.txt"
        assert messages[6].location.latitude == pytest.approx(52.3676)
        assert messages[7].contact.user_id == sam.id
        data = await (await bot.get_file(messages[5].document.file_id)).download_as_bytearray()
        assert bytes(data) == b"abc"


async def test_send_document_bytes_can_be_read_back(fake: FakeTelegram):
    sam = fake.user(started=True)
    payload = bytes(range(256)) * 10
    async with fake.bot() as bot:
        message = await bot.send_document(
            sam.id, payload, filename="export.csv", caption="<b>Export</b>", parse_mode="HTML"
        )
        assert message.document.file_size == len(payload)
        assert message.caption == "Export"
        again = await bot.send_document(sam.id, message.document.file_id)
        assert again.document.file_unique_id == message.document.file_unique_id
    (document, _) = fake.documents(sam)
    assert (document.data, document.file_name, document.mime_type) == (
        payload,
        "export.csv",
        "text/csv",
    )


def image_bytes(size: tuple[int, int], kind: str = "PNG") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, format=kind)
    return out.getvalue()


async def test_send_photo_keeps_the_bytes_and_checks_caption_and_image(fake: FakeTelegram):
    sam = fake.user(started=True)
    png = image_bytes((1000, 700))
    async with fake.bot() as bot:
        message = await bot.send_photo(
            sam.id,
            png,
            filename="chart.png",
            caption="<b>Voortgang</b> &amp; meer",
            parse_mode="HTML",
            reply_markup=keyboard(("Nieuwe check-in", "o:checkin")),
        )
        assert message.caption == "Voortgang & meer"
        assert message.caption_entities[0].type == "bold"
        assert [(p.width, p.height) for p in message.photo] == [
            (90, 63),
            (320, 224),
            (800, 560),
            (1000, 700),
        ]
        assert message.reply_markup.inline_keyboard[0][0].callback_data == "o:checkin"
        largest = message.photo[-1]
        data = await (await bot.get_file(largest.file_id)).download_as_bytearray()
        assert bytes(data) == png
        again = await bot.send_photo(sam.id, largest.file_id, caption="x" * 1024)
        assert again.photo[-1].file_unique_id == largest.file_unique_id
        assert len(again.caption) == 1024
        jpeg = await bot.send_photo(sam.id, image_bytes((40, 30), "JPEG"))
        assert (jpeg.photo[-1].width, jpeg.photo[-1].height) == (40, 30)
        edited = await bot.edit_message_caption(sam.id, message.message_id, caption="Nieuw")
        assert edited.caption == "Nieuw"
        with pytest.raises(BadRequest, match="no text in the message to edit"):
            await bot.edit_message_text("tekst", sam.id, message.message_id)

        with pytest.raises(BadRequest, match="caption is too long"):
            await bot.send_photo(sam.id, png, caption="x" * 1025)
        with pytest.raises(BadRequest, match="Image_process_failed"):
            await bot.send_photo(sam.id, b"not an image at all", filename="x.png")
        with pytest.raises(BadRequest, match="Photo_invalid_dimensions"):
            await bot.send_photo(sam.id, image_bytes((2100, 100)))
        document = await bot.send_document(sam.id, b"abc", filename="a.txt")
        with pytest.raises(BadRequest, match="Type of file mismatch"):
            await bot.send_photo(sam.id, document.document.file_id)
        with pytest.raises(BadRequest, match="Wrong file identifier"):
            await bot.send_photo(sam.id, "no-such-file")

    failed = [c.description for c in fake.calls if c.method == "sendPhoto" and c.status != 200]
    assert failed[0] == "Bad Request: message caption is too long"
    photos = fake.photos(sam)
    assert [photo.data for photo in photos] == [png, png, image_bytes((40, 30), "JPEG")]
    assert (photos[0].width, photos[0].height, photos[0].file_name) == (1000, 700, "chart.png")
    assert photos[0].mime_type == "image/png"
    assert [m.kind for m in fake.sent(sam)] == ["photo", "photo", "photo", "document"]
    first = fake.sent(sam)[0]
    assert (first.text, first.labels) == ("Nieuw", [])  # an edit without markup drops it
    assert first.edits[0].text == "Voortgang & meer"


async def test_commands_per_scope_and_language(fake: FakeTelegram):
    sam = fake.user(started=True)
    async with fake.bot() as bot:
        await bot.set_my_commands([BotCommand("start", "Begin")])
        await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
        scope = BotCommandScopeChat(sam.id)
        await bot.set_my_commands([BotCommand("oefen", "Oefenen")], scope=scope)
        assert [c.command for c in await bot.get_my_commands()] == ["start"]
        assert (await bot.get_my_commands(language_code="en"))[0].description == "Start"
        assert (await bot.get_my_commands(scope=scope))[0].command == "oefen"
        await bot.delete_my_commands(language_code="en")
        assert await bot.get_my_commands(language_code="en") == ()
        with pytest.raises(BadRequest, match="Bot_command_invalid"):
            await bot.set_my_commands([BotCommand("Start!", "x")])
        assert await bot.send_chat_action(sam.id, "typing")
    assert fake.commands() == [{"command": "start", "description": "Begin"}]


# -- updates ----------------------------------------------------------------------------------


async def test_get_updates_offsets_limit_and_redelivery(fake: FakeTelegram):
    sam = fake.user()
    for text in ("een", "twee", "drie"):
        await fake.send_text(sam, text)
    async with fake.bot() as bot:
        batch = await bot.get_updates(limit=2)
        assert [u.message.text for u in batch] == ["een", "twee"]
        assert len(await bot.get_updates()) == 3  # nothing confirmed yet
        rest = await bot.get_updates(offset=batch[-1].update_id + 1)
        assert [u.message.text for u in rest] == ["drie"]
        assert await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0) == ()
        await fake.redeliver(batch[0].update_id)
        again = await bot.get_updates(offset=rest[-1].update_id + 1)
        assert [u.update_id for u in again] == [batch[0].update_id]
        await fake.send_text(sam, "vier")
        await fake.send_text(sam, "vijf")
        assert [u.message.text for u in await bot.get_updates(offset=-1)] == ["vijf"]
        await fake.send_text(sam, "zes")
        await fake.press_data(sam, 1, "x")
        only = await bot.get_updates(allowed_updates=["callback_query"])
        assert [u.callback_query is not None for u in only] == [True]


async def test_long_poll_wakes_on_update_and_newer_poll_wins(fake: FakeTelegram):
    sam = fake.user()
    async with fake.bot() as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.05)
        assert not poll.done()
        await fake.send_text(sam, "hallo")
        (update,) = await asyncio.wait_for(poll, 1)
        assert update.message.text == "hallo"
        offset = update.update_id + 1
        first = asyncio.create_task(bot.get_updates(offset=offset, timeout=5))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(bot.get_updates(offset=offset, timeout=0.1))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first
        assert await second == ()


# -- errors -----------------------------------------------------------------------------------


async def test_forbidden_unknown_chat_and_wrong_token(fake: FakeTelegram):
    sam = fake.user()
    async with fake.bot() as bot:
        with pytest.raises(Forbidden, match="can't initiate conversation"):
            await bot.send_message(sam.id, "hi")
        await fake.send_text(sam, "/start")
        await bot.send_message(sam.id, "hi")
        fake.block(sam)
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(sam.id, "still there?")
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(42, "who?")
        updates = await bot.get_updates()
        assert updates[-1].my_chat_member.new_chat_member.status == "kicked"
        fake.unblock(sam)
        await bot.send_message(sam.id, "welcome back")
    wrong = Bot("123456:wrong", base_url=fake.base_url, request=fake.ptb_request())
    with pytest.raises(InvalidToken):
        await wrong.initialize()
    await wrong.shutdown()


async def test_wait_helpers_time_out_with_a_useful_message(fake: FakeTelegram):
    sam = fake.user()
    with pytest.raises(TimeoutError, match="1 bot message"):
        await fake.wait_sent(sam, 1, timeout=0.05)
    with pytest.raises(AssertionError, match="sent nothing"):
        fake.last(sam)


async def test_unknown_method_is_loud(fake: FakeTelegram):
    sam = fake.user(started=True)
    async with fake.bot() as bot:
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
        with pytest.raises(BadRequest, match="not implemented in fake"):
            await bot.send_message(sam.id, "*hi*", parse_mode="MarkdownV2")
    assert fake.unknown_calls == ["sendTelepathy", "sendMessage(parse_mode=MarkdownV2)"]
    assert fake.calls[-2].status == 404
    fake.unknown_calls.clear()


async def test_imposed_flood_and_server_errors(fake: FakeTelegram):
    sam = fake.user(started=True)
    fake.impose_flood(retry_after=2, count=1, method="sendMessage")
    fake.fail_next("sendMessage", status=500)
    fake.fail_next("sendMessage", status=502)
    async with fake.bot() as bot:
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(sam.id, "a")
        assert caught.value.retry_after == dtm.timedelta(seconds=2)
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(sam.id, "b")
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(sam.id, "c")
        await bot.send_message(sam.id, "d")
    assert [c.status for c in fake.calls if c.method == "sendMessage"] == [429, 500, 502, 200]
    assert [m.text for m in fake.sent(sam)] == ["d"]
    assert fake.flood_violations == []  # forced answers are not real violations


async def test_real_flood_limits_per_chat_and_overall():
    clock = ManualClock()
    fake = FakeTelegram(clock=clock)
    sam, kim = fake.user("Sam", started=True), fake.user("Kim", started=True)
    async with fake.bot() as bot:
        for n in range(3):  # a burst of three is fine
            await bot.send_message(sam.id, f"burst {n}")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(sam.id, "one too many")
        assert caught.value.retry_after == dtm.timedelta(seconds=1)
        await bot.send_message(kim.id, "other chats are not affected")
        await bot.edit_message_text("edits do not count", sam.id, fake.last(sam).message_id)
        clock.now += 1.0
        await bot.send_message(sam.id, "after a second")
        others = [fake.user(f"u{n}", started=True) for n in range(30)]
        for user in others[:29]:  # with the one above: 30 messages within a second
            await bot.send_message(user.id, "broadcast")
        with pytest.raises(RetryAfter):
            await bot.send_message(others[29].id, "the 31st within a second")
    assert [(v.scope, v.chat_id) for v in fake.flood_violations] == [
        ("chat", sam.id),
        ("global", others[29].id),
    ]


async def test_delay_hook_times_out_over_loopback(fake: FakeTelegram):
    sam = fake.user(started=True)
    fake.delay_next("sendMessage", 0.5)
    async with fake.serve() as url:
        bot = Bot(fake.token, base_url=url, request=HTTPXRequest(read_timeout=0.1))
        async with bot:
            with pytest.raises(TimedOut):
                await bot.send_message(sam.id, "slow")
            assert (await bot.get_me()).username == "straatwijs_test_bot"


# -- raw wire format --------------------------------------------------------------------------


async def test_wire_format_json_form_multipart_and_get(fake: FakeTelegram):
    sam = fake.user(started=True)
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
        root = f"/bot{fake.token}"
        answer = await client.post(
            f"{root}/sendMessage", json={"chat_id": sam.id, "text": "j", "reply_markup": markup}
        )
        assert answer.json()["result"]["reply_markup"] == markup
        form = {"chat_id": str(sam.id), "text": "123", "reply_markup": '{"remove_keyboard":true}'}
        answer = await client.post(f"{root}/SENDMESSAGE", data=form)
        assert answer.json()["result"]["text"] == "123"
        answer = await client.post(
            f"{root}/sendDocument",
            data={"chat_id": str(sam.id), "document": "attach://f"},
            files={"f": ('name "quoted".txt', b"\r\n--data\r\n", "text/plain")},
        )
        assert answer.json()["result"]["document"]["file_name"] == 'name "quoted".txt'
        answer = await client.get(f"{root}/getMe")
        assert answer.json()["result"]["username"] == "straatwijs_test_bot"
        answer = await client.get(f"{root}/sendMessage", params={"chat_id": sam.id, "text": "q"})
        assert answer.json()["ok"] is True
        answer = await client.post(f"{root}/sendMessage", data={"chat_id": "x", "text": "t"})
        assert answer.status_code == 400
        assert answer.json() == {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: chat not found",
        }
        answer = await client.post("/botnope:x/getMe")
        assert (answer.status_code, answer.json()["description"]) == (401, "Unauthorized")
    assert fake.documents(sam)[0].data == b"\r\n--data\r\n"
    assert fake.calls_of("sendMessage")[1]["reply_markup"] == {"remove_keyboard": True}
    assert fake.sent(sam)[1].text == "123"


# -- webhook ----------------------------------------------------------------------------------


def webhook_receiver(secret: str, received: list[dict]) -> Starlette:
    async def hook(request: Request) -> Response:
        if request.headers.get(SECRET_HEADER) != secret:
            return Response(status_code=403)
        received.append(await request.json())
        return Response(status_code=200)

    return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


async def test_webhook_delivery_over_loopback_with_secret(fake: FakeTelegram):
    sam = fake.user()
    received: list[dict] = []
    async with serve_asgi(webhook_receiver("s3cret", received)) as root, fake.bot() as bot:
        await bot.set_webhook(f"{root}/hook", secret_token="s3cret")
        await fake.send_text(sam, "via webhook")
        assert [u["message"]["text"] for u in received] == ["via webhook"]
        assert fake.webhook_deliveries[-1].status == 200
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()

        await bot.set_webhook(f"{root}/hook")  # no secret: the receiver refuses
        await fake.send_text(sam, "refused")
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 1
        assert info.last_error_message == "Wrong response from the webhook: 403 Forbidden"
        assert fake.webhook_deliveries[-1].status == 403

        await bot.set_webhook(f"{root}/hook", secret_token="s3cret")
        (retry,) = await fake.deliver_pending()
        assert retry.status == 200
        assert received[-1]["message"]["text"] == "refused"
        assert received[-1]["update_id"] == retry.update_id
        assert await bot.delete_webhook()
        assert (await bot.get_webhook_info()).url == ""


async def test_webhook_delivery_in_process_to_asgi_app():
    received: list[dict] = []
    app = webhook_receiver("abc", received)
    fake = FakeTelegram(limits=False, webhook_transport=httpx.ASGITransport(app=app))
    sam = fake.user()
    await fake.send_text(sam, "before the webhook")  # waits in the queue
    async with fake.bot() as bot:
        await bot.set_webhook("http://bot.local/hook", secret_token="abc")
    await fake.deliver_pending()
    await fake.press_data(sam, 1, "d")
    assert [next(k for k in u if k != "update_id") for u in received] == [
        "message",
        "callback_query",
    ]
    assert fake.pending_updates == []


# -- python-telegram-bot Application ----------------------------------------------------------


async def test_application_polling_end_to_end(fake: FakeTelegram):
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(
            f"Hoi {update.effective_user.first_name}!", reply_markup=keyboard(("Start", "go"))
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text("Gestart", reply_markup=None)

    application = fake.application_builder().build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(pressed))
    sam = fake.user("Sam")
    async with application:
        await application.updater.start_polling(poll_interval=0, timeout=5)
        await application.start()
        try:
            await fake.send_text(sam, "/start")
            (welcome,) = await fake.wait_sent(sam, 1)
            assert welcome.text == "Hoi Sam!"
            query_id = await fake.press(sam, "Start")
            await fake.wait_for(lambda: fake.last(sam).edited, what="the edit")
            assert fake.callback_answer(query_id) is not None
            assert fake.last(sam).text == "Gestart"
        finally:
            await application.updater.stop()
            await application.stop()
    assert fake.pending_updates == []  # the last offset was confirmed on stop


async def test_loopback_server_serves_a_plain_bot(fake: FakeTelegram):
    sam = fake.user(started=True)
    async with fake.serve() as url:
        assert url == fake.api_url
        bot = Bot(fake.token, base_url=url)
        await bot.initialize()
        await bot.send_message(sam.id, "over a real socket")
        poll = asyncio.create_task(bot.get_updates(timeout=10))
        await asyncio.sleep(0.05)
    # leaving serve() answered the pending long poll instead of hanging
    assert await asyncio.wait_for(poll, 1) == ()
    await bot.shutdown()
    assert fake.api_url is None
    assert fake.last(sam).text == "over a real socket"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_application_webhook_end_to_end(fake: FakeTelegram):
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}")

    application = fake.application_builder().build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    sam = fake.user("Sam")
    port = free_port()
    async with application:
        await application.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="tg",
            webhook_url=f"http://127.0.0.1:{port}/tg",
            secret_token="hook-secret",
        )
        await application.start()
        try:
            await fake.send_text(sam, "hallo")
            (reply,) = await fake.wait_sent(sam, 1)
            assert reply.text == "echo: hallo"
            assert fake.webhook_deliveries[-1].status == 200
            fake.world.webhook.secret_token = "wrong"  # PTB refuses a wrong secret header
            await fake.send_text(sam, "vals")
            assert fake.webhook_deliveries[-1].status == 403
        finally:
            await application.updater.stop()
            await application.stop()


async def test_command_line_entry_point_serves_the_api():
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fake_telegram",
        "--port",
        str(port),
        "--no-repl",
        stdout=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        cwd=Path(__file__).parents[2],
    )
    try:
        first_line = await asyncio.wait_for(process.stdout.readline(), 10)
        url = f"http://127.0.0.1:{port}/bot"
        assert url in first_line.decode()
        async with Bot("123456:TEST-token-for-the-local-fake", base_url=url) as bot:
            assert (await bot.get_me()).username == "straatwijs_test_bot"
    finally:
        process.terminate()
        await process.communicate()
