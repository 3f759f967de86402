"""The baseline: drijfveren written the way PTB's own examples do it.

A plain python-telegram-bot `ConversationHandler` with `PicklePersistence`:
conversation states and answers live in `context.user_data` in memory and are
written to a pickle file when PTB flushes (every 60 s by default, and on
shutdown). It sends the same texts with the same buttons as the real bot:
the question with its keyboard and progress line, the answered question edited
to show the answer, the previous keyboard cleared after a typed answer,
re-prompts for text that is too short or too long, and pause/stop/back buttons.

It is a faithful, reasonable implementation, not a straw man: no database, no
rate of its own beyond the harness's limiter, one handler per state.
"""

from __future__ import annotations

import contextlib
import html
import warnings
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PicklePersistence,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.dialogues.catalog import Catalog
from bot.dialogues.content import fill

INTRO, WAAROM, KERN, ZEKER, STEUN, GRENS = range(6)
#: Questions still ahead on the longest way from each state (for "stap n van m").
REMAINING = {INTRO: 6, WAAROM: 5, KERN: 4, ZEKER: 3, STEUN: 2, GRENS: 1}
KERN_OPTIONS = ("rechtvaardigheid", "verbinding", "zorg", "avontuur", "erkenning")
TEXT_LIMITS = {WAAROM: (10, 1500), GRENS: (5, 1000)}


def esc(text: str) -> str:
    return html.escape(text, quote=False)


class DrijfverenConversation:
    """Handlers of the drijfveren exercise as a ConversationHandler."""

    def __init__(self, catalog: Catalog, locale: str = "nl") -> None:
        self.catalog = catalog
        self.locale = locale

    def t(self, key: str, **values: object) -> str:
        return fill(self.catalog.text(self.locale, key), {k: str(v) for k, v in values.items()})

    def handler(self) -> ConversationHandler[Any]:
        text = filters.TEXT & ~filters.COMMAND
        nav = [
            CallbackQueryHandler(self.pause, pattern="^nav:pause$"),
            CallbackQueryHandler(self.stop, pattern="^nav:stop$"),
            CallbackQueryHandler(self.back, pattern="^nav:back$"),
        ]
        with warnings.catch_warnings():
            # per_message=False with CallbackQueryHandlers is what we want (one conversation
            # per chat); PTB warns about it on construction.
            warnings.simplefilter("ignore", PTBUserWarning)
            return ConversationHandler(
                entry_points=[
                    CallbackQueryHandler(self.open, pattern="^o:drijfveren$"),
                    CommandHandler("drijfveren", self.open),
                ],
                states={
                    INTRO: [CallbackQueryHandler(self.intro, pattern="^c:(start|later)$")],
                    WAAROM: [MessageHandler(text, self.typed)],
                    KERN: [
                        CallbackQueryHandler(self.toggle, pattern="^t:"),
                        CallbackQueryHandler(self.confirm, pattern="^confirm$"),
                    ],
                    ZEKER: [CallbackQueryHandler(self.scale, pattern=r"^s:\d$")],
                    STEUN: [CallbackQueryHandler(self.yesno, pattern="^yn:(yes|no)$")],
                    GRENS: [MessageHandler(text, self.typed)],
                },
                fallbacks=[
                    *nav,
                    MessageHandler(filters.ALL & ~filters.COMMAND, self.reprompt),
                    CallbackQueryHandler(self.stale),
                ],
                name="drijfveren",
                persistent=True,
                allow_reentry=True,
            )

    # -- asking ------------------------------------------------------------------------

    def _keyboard(self, state: int, data: dict[str, Any]) -> InlineKeyboardMarkup:
        rows: list[list[InlineKeyboardButton]] = []
        if state == INTRO:
            rows += [[button(self.t("drijfveren.opt_start"), "c:start")]]
            rows += [[button(self.t("drijfveren.opt_later"), "c:later")]]
        elif state == KERN:
            chosen = data.get("pending", [])
            for option in KERN_OPTIONS:
                mark = "☑️" if option in chosen else "⬜"
                label = self.t(f"drijfveren.kern_{option}")
                rows.append([button(f"{mark} {label}", f"t:{option}")])
            rows.append([button(self.t("common.confirm"), "confirm")])
        elif state == ZEKER:
            rows.append([button(str(n), f"s:{n}") for n in range(1, 6)])
        elif state == STEUN:
            rows.append(
                [button(self.t("common.yes"), "yn:yes"), button(self.t("common.no"), "yn:no")]
            )
        nav = (["back"] if data.get("history") else []) + ["pause", "stop"]
        rows.append([button(self.t(f"common.nav.{a}"), f"nav:{a}") for a in nav])
        return InlineKeyboardMarkup(rows)

    def _progress(self, state: int, data: dict[str, Any]) -> str:
        done = len(data.get("history", []))
        return self.t("common.progress", step=done + 1, total=done + REMAINING[state])

    async def ask(self, update: Update, data: dict[str, Any], state: int, first: str = "") -> int:
        """Send the state's messages; the last carries the keyboard. Returns the state."""
        chat = update.effective_chat
        assert chat is not None
        bot = chat.get_bot()
        tail = [f"<i>{esc(self._progress(state, data))}</i>"]
        if state == INTRO:
            await bot.send_message(chat.id, esc(self.t("drijfveren.intro", first_name=first)))
            body = esc(self.t("drijfveren.privacy"))
        elif state == WAAROM:
            body = esc(self.t("drijfveren.waarom"))
        elif state == KERN:
            body = esc(self.t("drijfveren.kern"))
        elif state == ZEKER:
            body = esc(self.t("drijfveren.zeker"))
            low, high = self.t("drijfveren.zeker_laag"), self.t("drijfveren.zeker_hoog")
            tail.insert(0, esc(f"1 = {low} · 5 = {high}"))
        elif state == STEUN:
            await bot.send_message(chat.id, esc(self.t("drijfveren.steun")), ParseMode.HTML)
            title = self.t("common.card", title=self.t("drijfveren.kaart_rugdekking.title"))
            body = f"<b>{esc(title)}</b>\n" + esc(self.t("drijfveren.kaart_rugdekking.body"))
        else:
            body = esc(self.t("drijfveren.grens"))
        sent = await bot.send_message(
            chat.id,
            body + "\n\n" + "\n".join(tail),
            parse_mode=ParseMode.HTML,
            reply_markup=self._keyboard(state, data),
        )
        data["state"] = state
        data["prompt"] = sent.message_id
        return state

    async def move(self, update: Update, data: dict[str, Any], target: int) -> int:
        data.setdefault("history", []).append(data["state"])
        data["pending"] = []
        return await self.ask(update, data, target)

    async def finish(self, update: Update, data: dict[str, Any], key: str) -> int:
        chat = update.effective_chat
        assert chat is not None
        chosen = ", ".join(
            self.t(f"drijfveren.kern_{o}") for o in data["answers"].get("kernwaarden", [])
        )
        await chat.get_bot().send_message(
            chat.id, esc(self.t(key, kernwaarden=chosen)), parse_mode=ParseMode.HTML
        )
        data["finished"] = True
        data["prompt"] = None
        return ConversationHandler.END

    async def close_question(self, update: Update, echo: str | None) -> None:
        """The answered question shows the answer and loses its buttons."""
        query = update.callback_query
        assert query is not None
        message = query.message
        if not isinstance(message, Message):
            return
        with contextlib.suppress(BadRequest):  # not modified, or gone: nothing to do
            if echo is None:
                await query.edit_message_reply_markup(reply_markup=None)
            else:
                await query.edit_message_text(
                    f"{message.text_html}\n\n✓ <i>{esc(self.t('common.echo', answer=echo))}</i>",
                    parse_mode=ParseMode.HTML,
                )

    async def clear_prompt(self, update: Update, data: dict[str, Any]) -> None:
        chat = update.effective_chat
        prompt = data.get("prompt")
        if chat is None or prompt is None:
            return
        with contextlib.suppress(BadRequest):
            await chat.get_bot().edit_message_reply_markup(chat.id, prompt, reply_markup=None)
        data["prompt"] = None

    # -- handlers ----------------------------------------------------------------------

    async def open(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        if update.callback_query is not None:
            await update.callback_query.answer()
        data = run_data(context, fresh=True)
        user = update.effective_user
        await self.clear_prompt(update, data)
        return await self.ask(update, data, INTRO, user.first_name if user else "")

    async def intro(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        query = update.callback_query
        assert query is not None
        await query.answer()
        data = run_data(context)
        choice = (query.data or "").split(":", 1)[1]
        await self.close_question(update, self.t(f"drijfveren.opt_{choice}"))
        if choice == "later":
            data.setdefault("history", []).append(INTRO)
            return await self.finish(update, data, "drijfveren.tot_later")
        return await self.move(update, data, WAAROM)

    async def typed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        message = update.effective_message
        assert message is not None
        data = run_data(context)
        state = data["state"]
        low, high = TEXT_LIMITS[state]
        text = (message.text or "").strip()
        await self.clear_prompt(update, data)
        if len(text) < low or len(text) > high:
            key = "text_short" if len(text) < low else "text_long"
            chat = update.effective_chat
            assert chat is not None
            sent = await chat.get_bot().send_message(
                chat.id,
                "<i>"
                + esc(self.t(f"common.reprompt.{key}", min=low, max=high, length=len(text)))
                + "</i>",
                parse_mode=ParseMode.HTML,
                reply_markup=self._keyboard(state, data),
            )
            data["prompt"] = sent.message_id
            return state
        if state == WAAROM:
            data["answers"]["motivatie"] = text
            return await self.move(update, data, KERN)
        data["answers"]["grens"] = text
        data.setdefault("history", []).append(GRENS)
        return await self.finish(update, data, "drijfveren.slot")

    async def toggle(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        query = update.callback_query
        assert query is not None
        data = run_data(context)
        option = (query.data or "").split(":", 1)[1]
        chosen = set(data.get("pending", [])) ^ {option}
        if option not in KERN_OPTIONS or len(chosen) > 2:
            await query.answer(self.t("common.reprompt.multi_max", max=2))
            return KERN
        await query.answer()
        data["pending"] = [o for o in KERN_OPTIONS if o in chosen]
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(reply_markup=self._keyboard(KERN, data))
        return KERN

    async def confirm(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        query = update.callback_query
        assert query is not None
        data = run_data(context)
        if not data.get("pending"):
            await query.answer(self.t("common.reprompt.multi_min", min=1))
            return KERN
        await query.answer()
        data["answers"]["kernwaarden"] = list(data["pending"])
        labels = ", ".join(self.t(f"drijfveren.kern_{o}") for o in data["pending"])
        await self.close_question(update, labels)
        return await self.move(update, data, ZEKER)

    async def scale(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        query = update.callback_query
        assert query is not None
        await query.answer()
        data = run_data(context)
        value = int((query.data or "").split(":", 1)[1])
        data["answers"]["zekerheid"] = value
        await self.close_question(update, str(value))
        return await self.move(update, data, STEUN if value <= 2 else GRENS)

    async def yesno(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        query = update.callback_query
        assert query is not None
        await query.answer()
        data = run_data(context)
        value = (query.data or "").split(":", 1)[1]
        data["answers"]["steun_gesproken"] = value
        await self.close_question(update, self.t(f"common.{value}"))
        return await self.move(update, data, GRENS)

    async def pause(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        return await self._leave(update, context, "common.notice.paused")

    async def stop(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        return await self._leave(update, context, "common.notice.stopped")

    async def _leave(self, update: Update, context: ContextTypes.DEFAULT_TYPE, key: str) -> int:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await self.close_question(update, None)
        chat = update.effective_chat
        assert chat is not None
        await chat.get_bot().send_message(chat.id, f"<i>{esc(self.t(key))}</i>", ParseMode.HTML)
        run_data(context)["prompt"] = None
        return ConversationHandler.END

    async def back(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        query = update.callback_query
        assert query is not None
        data = run_data(context)
        if not data.get("history"):
            await query.answer(self.t("common.notice.no_back"))
            return data.get("state", INTRO)
        await query.answer()
        await self.close_question(update, None)
        previous = data["history"].pop()
        return await self.ask(update, data, previous)

    async def reprompt(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
        data = run_data(context)
        state = data.get("state")
        if state is None:
            return None
        chat = update.effective_chat
        assert chat is not None
        key = "common.reprompt.media" if state in TEXT_LIMITS else "common.reprompt.choice"
        await chat.get_bot().send_message(
            chat.id,
            f"<i>{esc(self.t(key, count=2))}</i>",
            parse_mode=ParseMode.HTML,
            reply_markup=self._keyboard(state, data),
        )
        return state

    async def stale(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is not None:
            await query.answer(self.t("common.notice.stale"))


def run_data(context: ContextTypes.DEFAULT_TYPE, fresh: bool = False) -> dict[str, Any]:
    """This person's drijfveren run in user_data (persisted by PicklePersistence)."""
    user_data = context.user_data
    assert user_data is not None
    if fresh or "drijfveren" not in user_data:
        user_data["drijfveren"] = {"answers": {}, "history": [], "pending": [], "state": INTRO}
    return user_data["drijfveren"]


def button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


def build_application(
    builder: Any, catalog: Catalog, pickle_path: Path, rate_limiter: BaseRateLimiter[Any]
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The baseline bot on a PTB ApplicationBuilder (the fake's, in the benchmark)."""
    persistence = PicklePersistence(filepath=pickle_path)
    # PTB's docs ask for concurrent_updates off with a ConversationHandler (the default).
    application = builder.persistence(persistence).rate_limiter(rate_limiter).build()
    application.add_handler(DrijfverenConversation(catalog).handler())
    return application
