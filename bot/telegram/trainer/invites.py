"""Making an invite link for a group: role, then how long it lasts, then how often it works."""

from __future__ import annotations

from datetime import timedelta

from bot.telegram.callbacks import Routes
from bot.telegram.channel import button
from bot.telegram.outgoing import esc
from bot.telegram.presses import (
    GroupPress,
    InviteDaysPress,
    InvitePress,
    InviteRolePress,
    InviteUsesPress,
    Role,
)
from bot.telegram.trainer.screen import Rows, Scene, Screen, when

ROLES: dict[Role, str] = {"p": "professional", "t": "trainer"}
DAYS = (7, 14, 30)
USES = (1, 5, 10, 25)
MAX_DAYS = 90
MAX_USES = 1000


class InviteScreens(Screen):
    def routes(self, table: Routes[Scene]) -> None:
        table.add(InvitePress, self.on_invite)
        table.add(InviteRolePress, self.on_role)
        table.add(InviteDaysPress, self.on_days)
        table.add(InviteUsesPress, self.on_uses)

    async def on_invite(self, scene: Scene, press: InvitePress) -> None:
        who = scene.who
        rows = [
            [self.button(who, f"trainer.role.{role}", InviteRolePress(press.group_id, letter))]
            for letter, role in ROLES.items()
        ]
        await self._step(scene, press.group_id, "trainer.invite_role", rows)

    async def on_role(self, scene: Scene, press: InviteRolePress) -> None:
        rows = [
            [
                self.button(
                    scene.who,
                    "trainer.btn_days",
                    InviteDaysPress(press.group_id, press.role, days),
                    days=days,
                )
                for days in DAYS
            ]
        ]
        await self._step(scene, press.group_id, "trainer.invite_days", rows)

    async def on_days(self, scene: Scene, press: InviteDaysPress) -> None:
        def uses(count: int) -> InviteUsesPress:
            return InviteUsesPress(press.group_id, press.role, press.days, count)

        rows = [
            [self.button(scene.who, "trainer.btn_uses_unlimited", uses(0))],
            [button(str(n), uses(n)) for n in USES],
        ]
        await self._step(scene, press.group_id, "trainer.invite_uses", rows)

    async def _step(self, scene: Scene, group_id: int, key: str, rows: Rows) -> None:
        """One question of the invite, for a group the trainer may invite to."""
        await self.groups.members(scene.who.id, group_id)  # AccessDenied if not theirs
        back = [self.button(scene.who, "trainer.btn_back", GroupPress(group_id))]
        await self.show(scene, esc(self.text(scene.who, key)), [*rows, back])

    async def on_uses(self, scene: Scene, press: InviteUsesPress) -> None:
        who, group_id = scene.who, press.group_id
        await self.groups.members(who.id, group_id)  # AccessDenied if not theirs
        if not (1 <= press.days <= MAX_DAYS and 0 <= press.uses <= MAX_USES):
            raise ValueError("out of range")
        role = ROLES[press.role]
        expires = self.clock.now() + timedelta(days=press.days)
        code = await self.groups.invite(who.id, group_id, role, expires, press.uses or None)
        usage = (
            self.text(who, "trainer.uses_limited", uses=press.uses)
            if press.uses
            else self.text(who, "trainer.uses_unlimited")
        )
        text = self.text(
            who,
            "trainer.invite_ready",
            group=await self.group_name(who, group_id),
            role=self.text(who, f"trainer.role.{role}"),
            until=when(expires),
            uses=usage,
        )
        link = f"https://t.me/{scene.update.get_bot().username}?start={code}"
        await self.show(scene, f"{esc(text)}\n{esc(link)}")
