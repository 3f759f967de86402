"""Review and feedback: who may see and do what, checked both ways for every method.

The world: two organisations, three groups. Tess trains Noord (Amsterdam), Tom
trains Zuid (Amsterdam, the same organisation), Uma trains Centrum (Utrecht).
Cora coordinates Noord. Anna, Bram, Chris, Dewi and Emre are professionals in
Noord; Gijs is one in Zuid and Hanna in Centrum. Rik trained Noord and Ruud was
a professional there until Tess removed them both. Every method is tried by the
right viewer and by each of the wrong ones.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.bootstrap import App, build
from bot.dialogues.catalog import Catalog, load_catalog
from bot.engine import Answer, RunState
from bot.services.groups import Groups
from bot.services.membership import Members
from bot.services.review import AccessDenied, Gone, Review
from bot.settings import REPO_ROOT, Settings
from bot.store.models import (
    AnswerRow,
    Feedback,
    Group,
    Invite,
    Membership,
    Organisation,
    Person,
    Push,
    Run,
)
from bot.store.repo import Repository

DIALOGUES = ("zolder", "drijfveren")

ZOLDER_NL = {"benoemen": "Benoemen wat ik zie", "doorvragen": "Doorvragen over de afspraak"}
ZOLDER_EN = {"benoemen": "Name what I see", "doorvragen": "Ask about the arrangement"}
ALL_ZOLDER_NL = {
    "Benoemen wat ik zie": 0,
    "Doorvragen over de afspraak": 0,
    "Eerst intern overleggen": 0,
}


@dataclass
class World:
    """Ids of everything the tests refer to."""

    noord: int
    zuid: int
    centrum: int
    people: dict[str, int]

    def __getattr__(self, name: str) -> int:
        try:
            return self.people[name]
        except KeyError:
            raise AttributeError(name) from None


MEMBERS = {
    "tess": ("noord", "trainer"),
    "cora": ("noord", "coordinator"),
    "anna": ("noord", "professional"),
    "bram": ("noord", "professional"),
    "chris": ("noord", "professional"),
    "dewi": ("noord", "professional"),
    "emre": ("noord", "professional"),
    "rik": ("noord", "trainer"),
    "ruud": ("noord", "professional"),
    "tom": ("zuid", "trainer"),
    "gijs": ("zuid", "professional"),
    "uma": ("centrum", "trainer"),
    "hanna": ("centrum", "professional"),
}


async def build_world(app: App) -> World:
    """Everyone in one transaction with few round trips (this runs before every test)."""

    def work(session: Any) -> World:
        amsterdam, utrecht = Organisation(name="Amsterdam"), Organisation(name="Utrecht")
        groups = {
            "noord": Group(organisation=amsterdam, name="Noord"),
            "zuid": Group(organisation=amsterdam, name="Zuid"),
            "centrum": Group(organisation=utrecht, name="Centrum"),
        }
        now = datetime.now(UTC)
        people = {
            name: Person(
                channel="telegram",
                external_id=name,
                first_name=name.title(),
                locale="en" if name == "anna" else "nl",
                consented_at=now,
            )
            for name in [*MEMBERS, "olaf"]
        }
        session.add_all([*groups.values(), *people.values()])
        session.flush()
        session.add_all(
            Membership(person_id=people[name].id, group_id=groups[group].id, role=role)
            for name, (group, role) in MEMBERS.items()
        )
        session.flush()
        return World(
            groups["noord"].id,
            groups["zuid"].id,
            groups["centrum"].id,
            {name: person.id for name, person in people.items()},
        )

    world = await app.db.write(work)
    trainers = Groups(app.db)
    await trainers.remove_member(world.tess, world.noord, world.rik)
    await trainers.remove_member(world.tess, world.noord, world.ruud)
    return world


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The two dialogues these tests use, loaded once. Only their own problems count:
    other dialogue files may be mid-edit while this suite runs."""
    files = [REPO_ROOT / "dialogues" / f"{name}.yaml" for name in DIALOGUES]
    loaded, problems = load_catalog(files, REPO_ROOT / "content", ["nl", "en"], root=REPO_ROOT)
    ours = [p for p in problems if any(name in str(p) for name in DIALOGUES)]
    assert not ours
    assert set(loaded.dialogues) == set(DIALOGUES)
    return loaded


@pytest.fixture
async def app(settings: Settings, catalog: Catalog) -> AsyncIterator[App]:
    built = await build(settings, migrate=False, catalog=catalog)
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
async def world(app: App) -> World:
    return await build_world(app)


@pytest.fixture
def groups(app: App) -> Groups:
    return Groups(app.db)


@pytest.fixture
def review(app: App) -> Review:
    return Review(app.db, app.engine)


def outsiders(w: World) -> dict[str, int]:
    """Everyone who must not see Noord's answers: a professional of Noord itself,
    trainers of another group (same and other organisation), Noord's coordinator,
    the removed trainer and professional, and someone in no group at all."""
    return {
        "professional": w.bram,
        "trainer same org": w.tom,
        "trainer other org": w.uma,
        "coordinator": w.cora,
        "removed trainer": w.rik,
        "removed professional": w.ruud,
        "no group": w.olaf,
    }


async def assert_denied(
    w: World, call: Callable[[int], Awaitable[object]], also: dict[str, int] | None = None
) -> None:
    for label, viewer in {**outsiders(w), **(also or {})}.items():
        try:
            await call(viewer)
        except AccessDenied:
            continue
        pytest.fail(f"{label} was let through")


async def add_run(
    app: App,
    person_id: int,
    dialogue_id: str,
    answers: dict[str, Any],
    status: str = "finished",
    push_id: int | None = None,
) -> int:
    """A run with its answers stored the way the coach stores them."""
    compiled = app.engine.dialogue(dialogue_id)
    where = {s.store: (name, s.input_kind) for name, s in compiled.spec.states.items() if s.store}

    def work(session: Any) -> int:
        repo = Repository(session)
        state = RunState(dialogue_id, compiled.version, "slot", status=status)  # type: ignore[arg-type]
        run = repo.create_run(person_id, state)
        run.push_id = push_id
        for key, value in answers.items():
            name, kind = where[key]
            repo.put_answer(run, Answer(key, name, kind or "continue", value))
        return run.id

    return await app.db.write(work)


def zolder(choice: str, steun: str = "yes") -> dict[str, Any]:
    return {
        "zeker_voor": 3,
        "keuze": choice,
        "terugblik": "Ik wilde hem niet afschrikken.",
        "steun_bekend": steun,
    }


async def add_push(app: App, group_id: int, by: int, show_group: bool = True) -> int:
    def work(session: Any) -> int:
        now = datetime.now(UTC)
        push = Push(
            group_id=group_id,
            dialogue_id="zolder",
            created_by=by,
            scheduled_at=now,
            due_at=now,
            show_group=show_group,
            status="sent",
        )
        session.add(push)
        session.flush()
        return push.id

    return await app.db.write(work)


async def answer_id(app: App, run_id: int, key: str) -> int:
    def work(session: Any) -> int:
        query = select(AnswerRow.id).where(AnswerRow.run_id == run_id, AnswerRow.key == key)
        return session.execute(query).scalar_one()

    return await app.db.read(work)


# -- groups, members, invites --------------------------------------------------------


async def test_groups_lists_every_group_of_the_viewer_with_their_role(review, world, groups):
    noord = await groups.groups(world.tess)
    assert [(g.name, g.organisation, g.role, g.members) for g in noord] == [
        ("Noord", "Amsterdam", "trainer", 7)  # Rik and Ruud were removed and no longer count
    ]
    assert [(g.name, g.role) for g in await groups.groups(world.cora)] == [("Noord", "coordinator")]
    assert [(g.name, g.role) for g in await groups.groups(world.hanna)] == [
        ("Centrum", "professional")
    ]
    assert await groups.groups(world.rik) == []
    assert await groups.groups(world.olaf) == []


async def test_members_only_for_a_trainer_of_the_group(review, world, groups):
    members = await groups.members(world.tess, world.noord)
    assert [(m.first_name, m.role) for m in members] == [
        ("Tess", "trainer"),
        ("Cora", "coordinator"),
        ("Anna", "professional"),
        ("Bram", "professional"),
        ("Chris", "professional"),
        ("Dewi", "professional"),
        ("Emre", "professional"),
    ]
    assert all(m.active and m.joined_at.tzinfo is not None for m in members)
    await assert_denied(world, lambda v: groups.members(v, world.noord))
    with pytest.raises(Gone):
        await groups.members(world.tess, 9999)


async def test_remove_member_ends_access_at_once(app, review, world, groups):
    run = await add_run(app, world.anna, "zolder", zolder("benoemen"))
    tara = await Members(app.db).join(
        "telegram",
        "tara",
        "Tara",
        "nl",
        await groups.invite(world.tess, world.noord, "trainer", None, None),
    )
    assert tara.who is not None
    tara_id = tara.who.id
    # Tara, a trainer of Noord, sees Anna's answers and the members; so does Tess.
    assert [r.run_id for r in await review.runs_of(tara_id, world.anna)] == [run]
    assert len(await groups.members(tara_id, world.noord)) == 8
    tara_code = await groups.invite(tara_id, world.noord, "professional", None, None)

    await groups.remove_member(world.tess, world.noord, tara_id)

    with pytest.raises(AccessDenied):
        await review.runs_of(tara_id, world.anna)
    with pytest.raises(AccessDenied):
        await groups.members(tara_id, world.noord)
    with pytest.raises(AccessDenied):
        await groups.invite(tara_id, world.noord, "professional", None, None)
    with pytest.raises(AccessDenied):
        await review.add_feedback(tara_id, await answer_id(app, run, "keuze"), "Goed zo")
    assert not await groups.is_trainer(tara_id)
    # The link Tara made no longer opens the group.
    assert (await Members(app.db).check_invite(tara_code)).status == "invalid"

    # A removed professional: Tess no longer sees Anna; Anna still sees her own answers.
    await groups.remove_member(world.tess, world.noord, world.anna)
    with pytest.raises(AccessDenied):
        await review.runs_of(world.tess, world.anna)
    assert [r.run_id for r in await review.runs_of(world.anna, world.anna)] == [run]
    assert world.anna not in {m.person_id for m in await groups.members(world.tess, world.noord)}


async def test_a_removed_member_cannot_rejoin_through_a_link_from_before(
    app, review, world, groups
):
    """The group's shared multi-use link keeps working for everyone but the person a
    trainer removed; an invite made after the removal lets them back in."""
    members = Members(app.db)
    shared = await groups.invite(world.tess, world.noord, "professional", None, None)
    await groups.remove_member(world.tess, world.noord, world.anna)

    refused = await members.join("telegram", "anna", "Anna", "en", shared)
    assert refused.status == "removed"
    assert refused.group == "Noord"
    assert world.anna not in {m.person_id for m in await groups.members(world.tess, world.noord)}
    assert (await members.join("telegram", "olaf", "Olaf", "nl", shared)).status == "joined_also"

    again = await groups.invite(world.tess, world.noord, "professional", None, 1)
    assert (await members.join("telegram", "anna", "Anna", "en", again)).status == "joined_also"
    assert world.anna in {m.person_id for m in await groups.members(world.tess, world.noord)}
    # back in: the old link now says so, and a second removal starts over
    assert (await members.join("telegram", "anna", "Anna", "en", shared)).status == (
        "already_member"
    )
    await groups.remove_member(world.tess, world.noord, world.anna)
    assert (await members.join("telegram", "anna", "Anna", "en", again)).status == "used_up"
    assert (await members.join("telegram", "anna", "Anna", "en", shared)).status == "removed"


async def test_remove_member_rules(review, world, groups):
    with pytest.raises(AccessDenied):  # not oneself
        await groups.remove_member(world.tess, world.noord, world.tess)
    with pytest.raises(AccessDenied):  # a coordinator is not a trainer's to remove
        await groups.remove_member(world.tess, world.noord, world.cora)
    with pytest.raises(Gone):  # removed already
        await groups.remove_member(world.tess, world.noord, world.ruud)
    with pytest.raises(Gone):  # never a member of this group
        await groups.remove_member(world.tess, world.noord, world.gijs)
    with pytest.raises(Gone):
        await groups.remove_member(world.tess, 9999, world.anna)
    await assert_denied(world, lambda v: groups.remove_member(v, world.noord, world.emre))
    assert world.emre in {m.person_id for m in await groups.members(world.tess, world.noord)}
    # Another trainer's professional stays out of reach, also when named directly.
    with pytest.raises(AccessDenied):
        await groups.remove_member(world.tess, world.zuid, world.gijs)


async def test_invite_codes_open_the_group_with_their_role(app, review, world, groups):
    members = Members(app.db)
    expires = datetime.now(UTC) + timedelta(days=2)
    code = await groups.invite(world.tess, world.noord, "professional", expires, 1)
    check = await members.check_invite(code)
    assert (check.status, check.group, check.role) == ("ok", "Noord", "professional")
    joined = await members.join("telegram", "ivo", "Ivo", "nl", code)
    assert joined.status == "joined"
    assert (await members.join("telegram", "jet", "Jet", "nl", code)).status == "used_up"
    assert joined.who is not None
    assert [(g.name, g.role) for g in await groups.groups(joined.who.id)] == [
        ("Noord", "professional")
    ]

    trainer_code = await groups.invite(world.tess, world.noord, "trainer", None, None)
    kees = await members.join("telegram", "kees", "Kees", "nl", trainer_code)
    assert kees.who is not None
    assert await groups.is_trainer(kees.who.id)

    def stored(session: Any) -> Invite:
        return (session.execute(select(Invite).where(Invite.code == code))).scalar_one()

    invite = await app.db.read(stored)
    assert (invite.created_by, invite.expires_at, invite.max_uses) == (world.tess, expires, 1)


async def test_invite_rules(review, world, groups):
    with pytest.raises(AccessDenied):  # coordinators are invited by the operator only
        await groups.invite(world.tess, world.noord, "coordinator", None, None)
    with pytest.raises(ValueError, match="role"):
        await groups.invite(world.tess, world.noord, "admin", None, None)
    with pytest.raises(ValueError, match="past"):
        await groups.invite(world.tess, world.noord, "professional", datetime.now(UTC), None)
    with pytest.raises(ValueError, match="timezone"):
        await groups.invite(world.tess, world.noord, "professional", datetime(2030, 1, 1), None)
    with pytest.raises(ValueError, match="max_uses"):
        await groups.invite(world.tess, world.noord, "professional", None, 0)
    with pytest.raises(Gone):
        await groups.invite(world.tess, 9999, "professional", None, None)
    await assert_denied(world, lambda v: groups.invite(v, world.noord, "professional", None, None))
    with pytest.raises(AccessDenied):  # a trainer, but of another group
        await groups.invite(world.tess, world.centrum, "trainer", None, None)


async def test_is_trainer(review, world, groups):
    assert await groups.is_trainer(world.tess)
    assert await groups.is_trainer(world.uma)
    for name in ("anna", "cora", "rik", "olaf"):
        assert not await groups.is_trainer(world.people[name]), name


# -- answers -----------------------------------------------------------------------


async def test_runs_of_shows_labels_in_the_viewers_locale_and_free_text(app, review, world):
    old = await add_run(app, world.anna, "drijfveren", {"kernwaarden": ["verbinding", "zorg"]})
    new = await add_run(app, world.anna, "zolder", zolder("doorvragen"), status="active")

    runs = await review.runs_of(world.tess, world.anna)
    assert [r.run_id for r in runs] == [new, old]  # newest first
    assert (runs[0].title, runs[0].status, runs[0].finished_at) == ("De zolder", "active", None)
    assert runs[1].status == "finished"
    assert runs[1].finished_at is not None
    shown = {a.key: a.shown for a in runs[0].answers}
    assert shown == {
        "zeker_voor": "3",
        "keuze": ZOLDER_NL["doorvragen"],
        "terugblik": "Ik wilde hem niet afschrikken.",
        "steun_bekend": "Ja",
    }
    keuze = next(a for a in runs[0].answers if a.key == "keuze")
    assert (keuze.value, keuze.kind, keuze.state, keuze.run_id) == (
        "doorvragen",
        "choice",
        "keuze",
        new,
    )
    assert runs[1].answers[0].shown == "Verbinding, Zorg voor anderen"
    assert runs[1].answers[0].value == ["verbinding", "zorg"]

    mine = await review.runs_of(world.anna, world.anna, "zolder", locale="en")
    assert [r.run_id for r in mine] == [new]
    assert mine[0].title == "The attic"
    assert {a.key: a.shown for a in mine[0].answers} == {
        "zeker_voor": "3",
        "keuze": ZOLDER_EN["doorvragen"],
        "terugblik": "Ik wilde hem niet afschrikken.",
        "steun_bekend": "Yes",
    }
    assert await review.runs_of(world.anna, world.anna, "politiewerk") == []
    assert await review.runs_of(world.olaf, world.olaf) == []  # own: always allowed

    await assert_denied(world, lambda v: review.runs_of(v, world.anna))
    with pytest.raises(AccessDenied):  # Tess trains Noord, not Zuid
        await review.runs_of(world.tess, world.gijs)
    with pytest.raises(AccessDenied):  # a removed professional is out of reach
        await review.runs_of(world.tess, world.ruud)
    with pytest.raises(AccessDenied):  # a professional cannot read their trainer either
        await review.runs_of(world.anna, world.tess)


async def test_push_answers_per_member_of_the_push_group(app, review, world):
    push = await add_push(app, world.noord, world.tess)
    linked = await add_run(app, world.anna, "zolder", zolder("benoemen"), push_id=push)
    await add_run(app, world.anna, "zolder", zolder("doorvragen"))  # not from this push
    await add_run(app, world.ruud, "zolder", zolder("benoemen"), push_id=push)  # removed
    await add_run(app, world.gijs, "zolder", zolder("benoemen"), push_id=push)  # foreign

    answers = await review.push_answers(world.tess, push, locale="en")
    assert set(answers) == {
        world.tess,
        world.cora,
        world.anna,
        world.bram,
        world.chris,
        world.dewi,
        world.emre,
    }
    assert {a.run_id for a in answers[world.anna]} == {linked}
    assert {a.key: a.shown for a in answers[world.anna]}["keuze"] == ZOLDER_EN["benoemen"]
    assert answers[world.bram] == []

    await assert_denied(world, lambda v: review.push_answers(v, push))
    with pytest.raises(Gone):
        await review.push_answers(world.tess, 9999)
    foreign = await add_push(app, world.zuid, world.tom)
    with pytest.raises(AccessDenied):
        await review.push_answers(world.tess, foreign)
    assert set(await review.push_answers(world.tom, foreign)) == {world.tom, world.gijs}


async def test_feedback_reaches_the_professional_and_shows_in_review(app, review, world):
    run = await add_run(app, world.anna, "zolder", zolder("benoemen"))
    keuze = await answer_id(app, run, "keuze")

    notice = await review.add_feedback(world.tess, keuze, "  Mooi dat je het benoemde.  ")
    assert (notice.professional_id, notice.channel, notice.external_id) == (
        world.anna,
        "telegram",
        "anna",
    )
    # In Anna's own locale (English), whoever wrote it.
    assert (notice.locale, notice.dialogue_id, notice.title) == ("en", "zolder", "The attic")
    assert (notice.question_key, notice.answer_shown) == ("keuze", ZOLDER_EN["benoemen"])
    assert notice.text == "Mooi dat je het benoemde."

    for viewer in (world.anna, world.tess):
        [seen] = await review.runs_of(viewer, world.anna)
        [feedback] = next(a for a in seen.answers if a.key == "keuze").feedback
        assert (feedback.id, feedback.text, feedback.trainer_name) == (
            notice.feedback_id,
            "Mooi dat je het benoemde.",
            "Tess",
        )

    def delivered(session: Any) -> datetime | None:
        return session.get(Feedback, notice.feedback_id).delivered_at

    assert await app.db.read(delivered) is None
    # One sender takes it (marked before the message leaves); a second one does not.
    assert await review.claim_feedback(notice.feedback_id) is True
    first = await app.db.read(delivered)
    assert first is not None
    assert await review.claim_feedback(notice.feedback_id) is False
    assert await app.db.read(delivered) == first
    # A failed send gives it back, so the next tick can take it again.
    await review.release_feedback(notice.feedback_id)
    assert await app.db.read(delivered) is None
    assert await review.claim_feedback(notice.feedback_id) is True
    assert await review.claim_feedback(9999) is False  # erased meanwhile: nothing to send

    await assert_denied(
        world, lambda v: review.add_feedback(v, keuze, "Hallo"), also={"the author": world.anna}
    )
    with pytest.raises(AccessDenied):
        await review.add_feedback(world.tom, keuze, "Hallo")


async def test_feedback_text_and_erased_answers(app, review, world):
    run = await add_run(app, world.anna, "zolder", zolder("benoemen"))
    text = await answer_id(app, run, "terugblik")
    with pytest.raises(ValueError, match="2000"):
        await review.add_feedback(world.tess, text, "   ")
    with pytest.raises(ValueError, match="2000"):
        await review.add_feedback(world.tess, text, "x" * 2001)
    await review.add_feedback(world.tess, text, "x" * 2000)

    def erase(session: Any) -> None:
        Repository(session).forget_answers(run, ["terugblik"])

    await app.db.write(erase)
    with pytest.raises(Gone):
        await review.add_feedback(world.tess, text, "Goed")
    with pytest.raises(Gone):
        await review.add_feedback(world.tess, 9999, "Goed")


# -- the professional's view of the group ------------------------------------------


def shown(cells: dict[str, Any]) -> dict[str, str]:
    """Option label -> what the professional reads."""
    return {label: str(cell) for label, cell in cells.items()}


async def test_group_choices_need_five_people_and_show_no_names(app, review, world, groups):
    runs = {}
    for name, choice in (("anna", "benoemen"), ("bram", "benoemen"), ("chris", "doorvragen")):
        runs[name] = await add_run(app, world.people[name], "zolder", zolder(choice, "no"))
    await add_run(app, world.ruud, "zolder", zolder("benoemen"))  # removed: never counts
    await add_run(app, world.gijs, "zolder", zolder("benoemen"))  # another group
    await add_run(app, world.dewi, "zolder", zolder("benoemen"), status="active")  # unfinished
    assert await review.group_choices(world.anna, runs["anna"]) is None

    runs["dewi"] = await add_run(app, world.dewi, "zolder", zolder("doorvragen"))
    assert await review.group_choices(world.anna, runs["anna"]) is None  # four people

    runs["emre"] = await add_run(app, world.emre, "zolder", {"keuze": "doorvragen"})
    choices = await review.group_choices(world.anna, runs["anna"])
    # Five people chose (Emre gave no yes/no answer, so that key stays hidden). The
    # counts follow the coordinators' rules: 2 and 3 are under five and read "< 5"
    # (together they hold 5, so neither can be worked out); nobody is shown as 0.
    assert choices is not None
    assert set(choices) == {"keuze"}
    assert shown(choices["keuze"]) == {
        **dict.fromkeys(ALL_ZOLDER_NL, "0"),
        "Benoemen wat ik zie": "< 5",
        "Doorvragen over de afspraak": "< 5",
    }
    text = repr(choices)
    for name, pid in world.people.items():
        assert name.title() not in text
        assert f"{pid}:" not in text

    # A later run replaces a person's earlier one: still five people, not six.
    runs["bram2"] = await add_run(app, world.bram, "zolder", zolder("overleggen", "yes"))
    choices = await review.group_choices(world.bram, runs["bram2"], locale="en")
    assert choices is not None
    assert {k: v for k, v in shown(choices["keuze"]).items() if v != "0"} == {
        "Name what I see": "< 5",
        "Ask about the arrangement": "< 5",
        "Consult internally first": "< 5",
    }
    await add_run(app, world.tess, "zolder", zolder("benoemen", "yes"))  # a sixth person
    choices = await review.group_choices(world.anna, runs["anna"])
    assert choices is not None
    assert shown(choices["steun_bekend"]) == {"Ja": "< 5", "Nee": "< 5"}

    # A removed member no longer counts: back under five for the yes/no question.
    await groups.remove_member(world.tess, world.noord, world.chris)
    choices = await review.group_choices(world.anna, runs["anna"])
    assert choices is not None
    assert set(choices) == {"keuze"}


async def test_group_choices_count_each_option_of_a_multi_once_per_person(app, review, world):
    picks = [["verbinding", "zorg"], ["zorg"], ["zorg", "avontuur"], ["verbinding"], ["zorg"]]
    names = ["anna", "bram", "chris", "dewi", "emre"]
    runs = [
        await add_run(app, world.people[n], "drijfveren", {"kernwaarden": p, "zekerheid": 4})
        for n, p in zip(names, picks, strict=True)
    ]
    choices = await review.group_choices(world.dewi, runs[3])
    assert choices is not None
    assert list(choices) == ["kernwaarden"]  # scale and text answers are never aggregated
    # Each option on its own (people may pick several): 1-4 people read "< 5".
    assert shown(choices["kernwaarden"]) == {
        "Rechtvaardigheid": "0",
        "Verbinding": "< 5",
        "Zorg voor anderen": "< 5",
        "Spanning en avontuur": "< 5",
        "Erkend worden": "0",
    }


async def test_group_choices_follow_the_push(app, review, world):
    push = await add_push(app, world.noord, world.tess)
    quiet = await add_push(app, world.noord, world.tess, show_group=False)
    names = ["anna", "bram", "chris", "dewi", "emre"]
    for name in names:
        await add_run(app, world.people[name], "zolder", zolder("benoemen"))
    pushed = await add_run(app, world.anna, "zolder", zolder("doorvragen"), push_id=push)
    found = await review.group_choices(world.anna, pushed)
    assert found is not None  # the push's group: Anna's latest run and four others
    assert str(found["keuze"][ZOLDER_NL["doorvragen"]]) == "< 5"
    hidden = await add_run(app, world.bram, "zolder", zolder("benoemen"), push_id=quiet)
    assert await review.group_choices(world.bram, hidden) is None  # the trainer turned it off
    # Gijs (Zuid) doing Noord's push sees nothing of Noord: he is not in that group.
    foreign = await add_run(app, world.gijs, "zolder", zolder("benoemen"), push_id=push)
    assert await review.group_choices(world.gijs, foreign) is None


async def test_group_choices_only_for_ones_own_finished_run(app, review, world):
    names = ["anna", "bram", "chris", "dewi", "emre"]
    runs = [await add_run(app, world.people[n], "zolder", zolder("benoemen")) for n in names]
    open_run = await add_run(app, world.anna, "zolder", zolder("benoemen"), status="active")
    assert await review.group_choices(world.anna, runs[0]) is not None
    await assert_denied(world, lambda v: review.group_choices(v, runs[0]))
    for viewer in (world.tess, world.uma):  # not even a trainer sees it for someone else
        with pytest.raises(AccessDenied):
            await review.group_choices(viewer, runs[0])
    with pytest.raises(AccessDenied):
        await review.group_choices(world.anna, open_run)
    with pytest.raises(AccessDenied):
        await review.group_choices(world.anna, 9999)
    # Ruud was removed from Noord: his own run is his, but Noord is no longer his group.
    removed = await add_run(app, world.ruud, "zolder", zolder("benoemen"))
    assert await review.group_choices(world.ruud, removed) is None


async def test_runs_link_to_pushes_through_the_run_row(app, world):
    """The push link the review relies on is the one the coach writes (Run.push_id)."""
    push = await add_push(app, world.noord, world.tess)
    who = await app.coach.identify("telegram", "anna", "Anna", "en")
    turn = await app.coach.start(who, "zolder", push_id=push)

    def linked(session: Any) -> int | None:
        return session.get(Run, turn.run_id).push_id

    assert await app.db.read(linked) == push


async def test_runs_of_a_dialogue_that_was_removed_stay_readable(app, review, world):
    """Old runs outlive their dialogue file: the id stands in for the title and
    stored option ids for their labels."""

    def work(session: Any) -> int:
        repo = Repository(session)
        run = repo.create_run(world.anna, RunState("verdwenen", "old", "slot"))
        repo.put_answer(run, Answer("keuze", "keuze", "choice", "links"))
        repo.put_answer(run, Answer("waarom", "waarom", "text", "Daarom."))
        return run.id

    run = await app.db.write(work)
    [seen] = await review.runs_of(world.tess, world.anna)
    assert (seen.run_id, seen.title) == (run, "verdwenen")
    assert [(a.key, a.shown) for a in seen.answers] == [("keuze", "links"), ("waarom", "Daarom.")]


async def test_answer_query_itself_filters_by_access(app, review, world):
    """Defence in depth: the shared answer query drops rows the viewer may not read,
    even when handed foreign run ids directly (as a forged callback would)."""
    run = await add_run(app, world.anna, "zolder", zolder("benoemen"))

    async def fetch(viewer: int) -> set[int]:
        def work(session: Any) -> set[int]:
            return set(review._answers(session, viewer, [run], "nl"))

        return await app.db.read(work)

    assert await fetch(world.tess) == {run}
    assert await fetch(world.anna) == {run}
    for viewer in outsiders(world).values():
        assert await fetch(viewer) == set()
