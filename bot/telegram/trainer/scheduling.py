"""Composing a push: which exercise, when, a note, then a summary to confirm.

The push in progress is a draft (Drafts), so its steps survive a restart and can
be typed as well as pressed; the push itself is created only on confirmation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.services.pushes import PushError, parse_when
from bot.telegram.callbacks import Routes
from bot.telegram.channel import button, edit_markup
from bot.telegram.outgoing import esc
from bot.telegram.presses import (
    CancelTaskPress,
    ConfirmPushPress,
    GroupPress,
    NewPushPress,
    NoNotePress,
    PushExercisePress,
    PushWhenPress,
    QuietTogglePress,
)
from bot.telegram.trainer.screen import Scene, Screen, when

PUSH_DRAFT = "push"
MAX_NOTE = 1000
# What a service refusal means for the trainer, by PushError code.
ERRORS = {
    "not_trainer": "trainer.push_not_trainer",
    "empty_group": "trainer.push_empty_group",
    "in_past": "trainer.push_past",
    "unparseable": "trainer.push_bad_time",
    "not_found": "trainer.gone",
    "not_cancellable": "trainer.push_not_cancellable",
}


class SchedulingScreens(Screen):
    def routes(self, table: Routes[Scene]) -> None:
        table.add(NewPushPress, self.on_new)
        table.add(PushExercisePress, self.on_exercise)
        table.add(PushWhenPress, self.on_when)
        table.add(NoNotePress, self.on_no_note)
        table.add(QuietTogglePress, self.on_toggle_quiet)
        table.add(ConfirmPushPress, self.on_confirm)

    async def on_new(self, scene: Scene, press: NewPushPress) -> None:
        who, group_id = scene.who, press.group_id
        group = await self.group_name(who, group_id)
        rows = [
            [
                button(
                    f"{self.title(who, did)} · {loaded.spec.minutes} min",
                    PushExercisePress(group_id, did),
                )
            ]
            for did, loaded in sorted(self.catalog.dialogues.items())
        ]
        rows.append([self.button(who, "trainer.btn_back", GroupPress(group_id))])
        text = self.text(who, "trainer.push_choose_exercise", group=group)
        await self.show(scene, esc(text), rows)

    async def on_exercise(self, scene: Scene, press: PushExercisePress) -> None:
        data = {"group_id": press.group_id, "dialogue_id": press.dialogue_id}
        await self.drafts.put(scene.who.id, PUSH_DRAFT, data)
        await self.ask_when(scene)

    async def draft(self, scene: Scene) -> dict[str, Any] | None:
        """The push being composed, if any."""
        task = await self.drafts.get(scene.who.id)
        return task.data if task is not None and task.kind == PUSH_DRAFT else None

    async def ask_when(self, scene: Scene) -> None:
        data = await self.draft(scene)
        if data is None:
            return
        who = scene.who
        text = self.text(
            who,
            "trainer.push_choose_when",
            title=self.title(who, data["dialogue_id"]),
            group=await self.group_name(who, data["group_id"]),
        )
        rows = [
            [self.button(who, "trainer.btn_now", PushWhenPress("now"))],
            [
                self.button(who, "trainer.btn_tomorrow_9", PushWhenPress("t9")),
                self.button(who, "trainer.btn_monday_9", PushWhenPress("m9")),
            ],
            [self.button(who, "trainer.btn_type_time", PushWhenPress("type"))],
            [self.button(who, "trainer.btn_cancel", CancelTaskPress())],
        ]
        await self.show(scene, esc(text), rows)

    async def on_when(self, scene: Scene, press: PushWhenPress) -> None:
        data = await self.draft(scene)
        if data is None:
            return
        if press.choice == "type":
            await self.drafts.put(scene.who.id, PUSH_DRAFT, data | {"step": "time"})
            await self.say(scene, "trainer.push_type_time")
            return
        now = self.clock.now()
        moment = {
            "now": now,
            "t9": parse_when("morgen 9:00", now),
            "m9": parse_when("maandag 9:00", now),
        }[press.choice]
        if moment is None:
            return
        await edit_markup(scene.query, None)
        await self.time_set(scene, data, moment, now=press.choice == "now")

    async def time_set(
        self, scene: Scene, data: dict[str, Any], moment: datetime, now: bool
    ) -> None:
        data = data | {"when": None if now else moment.isoformat(), "step": "note"}
        await self.drafts.put(scene.who.id, PUSH_DRAFT, data)
        rows = [
            [self.button(scene.who, "trainer.btn_no_note", NoNotePress())],
            [self.button(scene.who, "trainer.btn_cancel", CancelTaskPress())],
        ]
        await self.channel.send_html(
            scene.update,
            esc(self.text(scene.who, "trainer.push_note")),
            InlineKeyboardMarkup(rows),
        )

    async def on_no_note(self, scene: Scene, press: NoNotePress) -> None:
        await self.note_set(scene.below(), None)

    async def note_set(self, scene: Scene, note: str | None) -> None:
        data = await self.draft(scene)
        if data is None:
            return
        data = data | {"note": note, "step": "confirm"}
        await self.drafts.put(scene.who.id, PUSH_DRAFT, data)
        await self.summary(scene, data)

    async def summary(self, scene: Scene, data: dict[str, Any]) -> None:
        """What will be sent to whom and when, and whether quiet hours move it."""
        who = scene.who
        planned = datetime.fromisoformat(data["when"]) if data.get("when") else None
        moment = planned or self.clock.now()
        lines = [
            self.text(
                who,
                "trainer.push_summary",
                title=self.title(who, data["dialogue_id"]),
                group=await self.group_name(who, data["group_id"]),
                when=self.text(who, "trainer.btn_now") if planned is None else when(moment),
                note=data.get("note") or self.text(who, "trainer.no_note"),
            )
        ]
        override = bool(data.get("override"))
        if self.pushes.quiet.contains(moment):
            lines.append(self._quiet_line(scene, moment, override))
        toggle = "trainer.btn_respect_quiet" if override else "trainer.btn_override_quiet"
        rows = [
            [self.button(who, "trainer.btn_confirm", ConfirmPushPress())],
            [self.button(who, toggle, QuietTogglePress())],
            [self.button(who, "trainer.btn_cancel", CancelTaskPress())],
        ]
        await self.show(scene, esc("\n".join(lines)), rows)

    def _quiet_line(self, scene: Scene, moment: datetime, override: bool) -> str:
        if override:
            return self.text(scene.who, "trainer.quiet_ignored")
        quiet = self.pushes.quiet
        return self.text(
            scene.who,
            "trainer.quiet_moved",
            start=quiet.start.strftime("%H:%M"),
            end=quiet.end.strftime("%H:%M"),
            due=when(quiet.next_allowed(moment)),
        )

    async def confirming(self, scene: Scene) -> dict[str, Any] | None:
        """The push being composed if it is at its last step (a press on an older
        summary changes nothing)."""
        data = await self.draft(scene)
        return data if data is not None and data.get("step") == "confirm" else None

    async def on_toggle_quiet(self, scene: Scene, press: QuietTogglePress) -> None:
        data = await self.confirming(scene)
        if data is None:
            return
        data = data | {"override": not data.get("override")}
        await self.drafts.put(scene.who.id, PUSH_DRAFT, data)
        await self.summary(scene, data)

    async def on_confirm(self, scene: Scene, press: ConfirmPushPress) -> None:
        data = await self.confirming(scene)
        if data is None:
            return
        who = scene.who
        await self.drafts.clear(who.id)
        await edit_markup(scene.query, None)
        planned = datetime.fromisoformat(data["when"]) if data.get("when") else None
        summary = await self.pushes.create(
            who.id,
            data["group_id"],
            data["dialogue_id"],
            planned,
            note=data.get("note"),
            override_quiet=bool(data.get("override")),
        )
        await self.say(
            scene,
            "trainer.push_created",
            title=self.title(who, summary.dialogue_id),
            group=summary.group_name,
            when=when(summary.due_at),
        )

    async def on_typed(self, scene: Scene, data: dict[str, Any], text: str) -> None:
        """Typed text while composing: the time or the note, at the step that asked."""
        if data.get("step") == "time":
            await self._typed_time(scene, data, text)
        elif data.get("step") == "note":
            await self.note_set(scene, text[:MAX_NOTE])
        else:
            await self.say(scene, "trainer.push_type_time")

    async def _typed_time(self, scene: Scene, data: dict[str, Any], text: str) -> None:
        now = self.clock.now()
        moment = parse_when(text, now)
        if moment is None:
            await self.say(scene, "trainer.push_bad_time")
        elif moment < now - timedelta(minutes=1):
            await self.say(scene, "trainer.push_past")
        else:
            await self.time_set(scene, data, moment, now=False)

    async def refused(self, scene: Scene, exc: PushError) -> None:
        """Say why the push service refused, naming the group being composed for."""
        group = ""
        data = await self.draft_data(scene)
        if data is not None and "group_id" in data:
            group = await self.group_name(scene.who, data["group_id"])
        await self.say(scene, ERRORS.get(exc.code, "trainer.not_allowed"), group=group)

    async def draft_data(self, scene: Scene) -> dict[str, Any] | None:
        """The data of whatever task is in progress (a push or feedback)."""
        task = await self.drafts.get(scene.who.id)
        return task.data if task is not None else None
