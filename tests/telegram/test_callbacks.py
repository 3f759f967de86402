"""Callback data: every kind declared once, the wire format of buttons already in chats
kept, and forged data refused (by the parser here, kindly in the chat below)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.engine import Confirm, Continue, Nav, Pick, Toggle
from bot.telegram import callbacks, presses
from bot.telegram.callbacks import MAX_ID, Button, Routes, parse
from tests.telegram.test_trainers import trainer_of

# The data of buttons made before the registry existed (and so in people's chats after a
# deploy), with what they must still mean.
SENT_BEFORE = [
    ("r:12:3:p:start", presses.RunPress(12, 3, Pick("start"))),
    ("r:12:3:t:zorg", presses.RunPress(12, 3, Toggle("zorg"))),
    ("r:12:3:c", presses.RunPress(12, 3, Confirm())),
    ("r:12:3:n", presses.RunPress(12, 3, Continue())),
    ("r:12:3:b", presses.RunPress(12, 3, Nav("back"))),
    ("r:12:3:z", presses.RunPress(12, 3, Nav("pause"))),
    ("r:12:3:x", presses.RunPress(12, 3, Nav("stop"))),
    ("m:top", presses.MenuPress("top")),
    ("m:k:zelfkennis", presses.MenuPress("k:zelfkennis")),
    ("m:kc:geldezels", presses.MenuPress("kc:geldezels")),
    ("o:drijfveren", presses.OpenPress("drijfveren")),
    ("l:en", presses.LocalePress("en")),
    ("j:AbC-123_x", presses.ConsentPress("AbC-123_x")),
    ("j-", presses.DeclinePress()),
    ("vg:yes", presses.ForgetPress("yes")),
    ("vg:no", presses.ForgetPress("no")),
    ("lv:7", presses.LeavePress(7)),
    ("s:4:drijfveren", presses.StartPushPress(4, "drijfveren")),
    ("rq", presses.RemindersOffPress()),
    ("G", presses.GroupsPress()),
    ("g:2", presses.GroupPress(2)),
    ("gm:2", presses.MembersPress(2)),
    ("gx:2:9", presses.RemoveAskPress(2, 9)),
    ("gX:2:9", presses.RemovePress(2, 9)),
    ("gi:2", presses.InvitePress(2)),
    ("ir:2:p", presses.InviteRolePress(2, "p")),
    ("id:2:t:14", presses.InviteDaysPress(2, "t", 14)),
    ("iu:2:p:7:0", presses.InviteUsesPress(2, "p", 7, 0)),
    ("iu:2:p:30:25", presses.InviteUsesPress(2, "p", 30, 25)),
    ("pn:2", presses.NewPushPress(2)),
    ("pd:2:drijfveren", presses.PushExercisePress(2, "drijfveren")),
    ("pw:now", presses.PushWhenPress("now")),
    ("pw:t9", presses.PushWhenPress("t9")),
    ("pw:m9", presses.PushWhenPress("m9")),
    ("pw:type", presses.PushWhenPress("type")),
    ("pk", presses.NoNotePress()),
    ("pq", presses.QuietTogglePress()),
    ("pg", presses.ConfirmPushPress()),
    ("gp:2", presses.PushesPress(2)),
    ("pv:5", presses.PushPress(5)),
    ("pc:5", presses.CancelPushPress(5)),
    ("pa:5:9", presses.AnswersPress(5, 9)),
    ("fb:31:9:2", presses.FeedbackPress(31, 9, 2)),
    ("x", presses.CancelTaskPress()),
]

BIG = str(2**70)
FORGED = [
    None,
    "",
    ":",
    "nope",
    "g",  # an id missing
    "g:",
    "g:abc",
    "g:-1",
    f"g:{BIG}",
    f"g:{MAX_ID + 1}",
    "g:²",  # a digit to str.isdigit, not to int()
    "g:1:2",  # one field too many
    "G:1",
    "x:1",
    "ir:2:c",  # a role nobody may invite
    "id:2:p",
    "pw:tomorrow",
    "vg:maybe",
    "m:",
    "o:",
    "j",
    "j:",
    "j-:x",
    "r:1:2:p",  # a pick without its option
    "r:1:2:p:",
    "r:1:2:c:extra",
    "r:1:2:q",
    f"r:{BIG}:0:p:start",
    "r:-1:0:p:x",
    "r:a:b",
]


@pytest.mark.parametrize(("data", "press"), SENT_BEFORE)
def test_buttons_made_before_a_deploy_keep_their_meaning(data, press):
    assert parse(data) == press
    assert press.data == data


def test_every_kind_is_in_the_list_above():
    """A new kind gets a line there, so its wire format is pinned as well."""
    declared = {kind for kind in vars(presses).values() if _is_kind(kind)}
    assert declared == {type(press) for _data, press in SENT_BEFORE}


@pytest.mark.parametrize("data", FORGED)
def test_data_we_never_made_is_refused(data):
    assert parse(data) is None


def test_the_last_text_field_takes_the_rest_and_round_trips():
    press = presses.StartPushPress(1, "a:b")
    assert press.data == "s:1:a:b"
    assert parse(press.data) == press


def test_a_prefix_is_declared_once():
    with pytest.raises(TypeError, match="taken"):

        @dataclass(frozen=True)
        class Again(Button, prefix="g"):
            group_id: int


def test_a_button_over_64_bytes_is_refused_where_it_is_made():
    with pytest.raises(ValueError, match="64 bytes"):
        _ = presses.OpenPress("x" * 63).data


def test_routes_own_their_kinds_malformed_or_not():
    async def handler(context: object, press: presses.GroupPress) -> None:
        return None

    routes: Routes[object] = Routes()
    routes.add(presses.GroupPress, handler)
    assert routes.owns("g:2")
    assert routes.owns("g:abc")  # ours to refuse
    assert not routes.owns("gm:2")
    assert not routes.owns("gg:2")
    assert not routes.owns(None)
    assert routes.handles(presses.GroupPress(2))
    assert not routes.handles(presses.MembersPress(2))
    with pytest.raises(ValueError, match="twice"):
        routes.add(presses.GroupPress, handler)


async def test_routes_call_the_handler_of_the_kind():
    seen: list[tuple[str, Button]] = []

    async def handler(context: str, press: presses.PushPress) -> None:
        seen.append((context, press))

    routes: Routes[str] = Routes()
    routes.add(presses.PushPress, handler)
    assert await routes.route("here", presses.PushPress(5)) is True
    assert await routes.route("here", presses.GroupPress(5)) is False
    assert seen == [("here", presses.PushPress(5))]


@pytest.mark.parametrize("data", ["g:abc", "pv:-1", f"fb:{BIG}:1:1", "ir:1:c", "x:1"])
async def test_a_trainer_pressing_forged_data_is_told_kindly(tg, data):
    trainer = await trainer_of(tg)
    (reply,) = await trainer.press_data(trainer.messages[-1].message_id, data)
    assert reply.text == "Dat mag je niet bekijken of doen."


async def test_a_professional_pressing_forged_rights_data_changes_nothing(tg):
    sam = await tg.joined("Sam")
    assert await sam.press_data(sam.messages[-1].message_id, "vg:maybe") == []
    assert await sam.press_data(sam.messages[-1].message_id, "lv:x") == []
    (reply,) = await sam.send("/verlaten")
    assert reply.labels == ["Verlaat Jongerenwerk"]  # still a member


def _is_kind(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, Button) and value is not Button


def test_kinds_are_looked_up_by_prefix():
    assert callbacks.kind_of("gX:1:2") is presses.RemovePress
    assert callbacks.kind_of("gX") is presses.RemovePress
    assert callbacks.kind_of("?") is None
