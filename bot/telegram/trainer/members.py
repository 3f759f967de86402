"""A group's members, and removing one (asked first)."""

from __future__ import annotations

from bot.services.access import Gone
from bot.telegram.callbacks import Routes
from bot.telegram.channel import button
from bot.telegram.outgoing import esc
from bot.telegram.presses import GroupPress, MembersPress, RemoveAskPress, RemovePress
from bot.telegram.trainer.screen import Scene, Screen


class MemberScreens(Screen):
    def routes(self, table: Routes[Scene]) -> None:
        table.add(MembersPress, self.on_members)
        table.add(RemoveAskPress, self.on_remove_ask)
        table.add(RemovePress, self.on_remove)

    async def on_members(self, scene: Scene, press: MembersPress) -> None:
        await self.member_list(scene, press.group_id)

    async def member_list(self, scene: Scene, group_id: int) -> None:
        who = scene.who
        members = await self.groups.members(who.id, group_id)
        name = await self.group_name(who, group_id)
        lines = [self.text(who, "trainer.members_title", group=name)]
        rows = []
        for member in members:
            inactive = "" if member.active else self.text(who, "trainer.inactive_mark")
            role = self.text(who, f"trainer.role.{member.role}")
            lines.append(
                self.text(
                    who, "trainer.member_line", name=member.first_name, role=role, inactive=inactive
                )
            )
            if member.person_id != who.id:
                remove = RemoveAskPress(group_id, member.person_id)
                rows.append([button(f"✖️ {member.first_name}", remove)])
        rows.append([self.button(who, "trainer.btn_back", GroupPress(group_id))])
        await self.show(scene, esc("\n".join(lines)), rows)

    async def on_remove_ask(self, scene: Scene, press: RemoveAskPress) -> None:
        who, group_id, person_id = scene.who, press.group_id, press.person_id
        members = {m.person_id: m for m in await self.groups.members(who.id, group_id)}
        if person_id not in members:
            raise Gone
        text = self.text(
            who,
            "trainer.remove_confirm",
            name=members[person_id].first_name,
            group=await self.group_name(who, group_id),
        )
        rows = [
            [self.button(who, "trainer.btn_remove_yes", RemovePress(group_id, person_id))],
            [self.button(who, "trainer.btn_cancel", MembersPress(group_id))],
        ]
        await self.show(scene, esc(text), rows)

    async def on_remove(self, scene: Scene, press: RemovePress) -> None:
        who, group_id, person_id = scene.who, press.group_id, press.person_id
        if person_id == who.id:
            await self.say(scene, "trainer.cannot_remove_self")
            return
        members = {m.person_id: m for m in await self.groups.members(who.id, group_id)}
        name = members[person_id].first_name if person_id in members else "?"
        group = await self.group_name(who, group_id)
        await self.groups.remove_member(who.id, group_id, person_id)
        await self.say(scene, "trainer.removed", name=name, group=group)
        await self.member_list(scene.below(), group_id)
