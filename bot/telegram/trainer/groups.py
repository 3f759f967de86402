"""/groep: the trainer's groups, and a group's menu (the way in to every other screen)."""

from __future__ import annotations

from bot.services.access import AccessDenied
from bot.telegram.callbacks import Routes
from bot.telegram.channel import button
from bot.telegram.outgoing import esc
from bot.telegram.presses import (
    GroupPress,
    GroupsPress,
    InvitePress,
    MembersPress,
    NewPushPress,
    PushesPress,
)
from bot.telegram.trainer.screen import Scene, Screen


class GroupScreens(Screen):
    def routes(self, table: Routes[Scene]) -> None:
        table.add(GroupsPress, self.on_groups)
        table.add(GroupPress, self.on_group)

    async def group_list(self, scene: Scene) -> None:
        """The groups this person trains (a group they are only a member of is not here)."""
        groups = [g for g in await self.groups.groups(scene.who.id) if g.role == "trainer"]
        rows = [[button(f"{g.name} · {g.organisation}", GroupPress(g.id))] for g in groups]
        await self.show(scene, esc(self.text(scene.who, "trainer.groups_title")), rows)

    async def on_groups(self, scene: Scene, press: GroupsPress) -> None:
        await self.group_list(scene)

    async def on_group(self, scene: Scene, press: GroupPress) -> None:
        who, group_id = scene.who, press.group_id
        group = next((g for g in await self.groups.groups(who.id) if g.id == group_id), None)
        if group is None or group.role != "trainer":
            raise AccessDenied
        rows = [
            [self.button(who, "trainer.btn_members", MembersPress(group_id))],
            [self.button(who, "trainer.btn_new_push", NewPushPress(group_id))],
            [self.button(who, "trainer.btn_pushes", PushesPress(group_id))],
            [self.button(who, "trainer.btn_invite", InvitePress(group_id))],
            [self.button(who, "trainer.btn_back", GroupsPress())],
        ]
        text = self.text(
            who,
            "trainer.group_title",
            group=group.name,
            organisation=group.organisation,
            members=group.members,
        )
        await self.show(scene, esc(text), rows)
