"""A group's scheduled pushes, how far each got per member, and cancelling one."""

from __future__ import annotations

from bot.services.coaching import Who
from bot.services.pushes import PushSummary
from bot.telegram.callbacks import Routes
from bot.telegram.channel import button
from bot.telegram.outgoing import esc
from bot.telegram.presses import AnswersPress, CancelPushPress, GroupPress, PushesPress, PushPress
from bot.telegram.trainer.screen import Scene, Screen, when

COUNTED = ("pending", "delivered", "started", "finished", "failed")


class PushStatusScreens(Screen):
    def routes(self, table: Routes[Scene]) -> None:
        table.add(PushesPress, self.on_pushes)
        table.add(PushPress, self.on_push)
        table.add(CancelPushPress, self.on_cancel)

    async def on_pushes(self, scene: Scene, press: PushesPress) -> None:
        who, group_id = scene.who, press.group_id
        group = await self.group_name(who, group_id)
        summaries = await self.pushes.list(who.id, group_id)
        key = "trainer.pushes_title" if summaries else "trainer.pushes_none"
        rows = [[button(self._line(who, s), PushPress(s.id))] for s in summaries]
        rows.append([self.button(who, "trainer.btn_back", GroupPress(group_id))])
        await self.show(scene, esc(self.text(who, key, group=group)), rows)

    def _line(self, who: Who, summary: PushSummary) -> str:
        return self.text(
            who,
            "trainer.push_line",
            title=self.title(who, summary.dialogue_id),
            when=when(summary.due_at),
            status=self.text(who, f"trainer.status.{summary.status}"),
        )

    async def on_push(self, scene: Scene, press: PushPress) -> None:
        await self.push_detail(scene, press.push_id)

    async def push_detail(self, scene: Scene, push_id: int) -> None:
        who = scene.who
        summary, members = await self.pushes.progress(who.id, push_id)
        text = self.text(
            who,
            "trainer.push_detail",
            title=self.title(who, summary.dialogue_id),
            group=summary.group_name,
            when=when(summary.due_at),
            status=self.text(who, f"trainer.status.{summary.status}"),
            **{k: summary.counts.get(k, 0) for k in COUNTED},
        )
        rows = [
            [
                button(
                    f"{m.first_name}: {self.text(who, f'trainer.member_status.{m.status}')}",
                    AnswersPress(push_id, m.person_id),
                )
            ]
            for m in members
        ]
        if summary.status == "scheduled":
            rows.append([self.button(who, "trainer.btn_cancel_push", CancelPushPress(push_id))])
        rows.append([self.button(who, "trainer.btn_back", PushesPress(summary.group_id))])
        await self.show(scene, esc(text), rows)

    async def on_cancel(self, scene: Scene, press: CancelPushPress) -> None:
        summary = await self.pushes.cancel(scene.who.id, press.push_id)
        await self.say(scene, "trainer.push_cancelled")
        await self.push_detail(scene.below(), summary.id)
