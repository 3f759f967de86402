"""Who may see or do what: the one place the trainer and coordinator rules are written.

"Nobody sees anything of a group they are not in" (DESIGN.md, contracts) is
enforced in the queries, not in the menus that call them: every query that
returns a person's answers carries the rule below as a join or EXISTS on
Membership, and a guard query decides between AccessDenied and an empty answer.
Telegram and the dashboard call the same services, and those services call
these helpers: there is no second copy of the rule in an adapter.

- Only the trainer role opens individual answers; a coordinator's membership
  does not, and neither does being a professional in the same group.
- A coordinator sees aggregates of the groups they coordinate (through the
  reports service) and the audit log of those groups' organisations.
- Memberships are read in the same transaction as the data, so a removed member
  (whose Membership row is deleted) loses access with the very next call.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, literal, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from bot.store.models import Group, Membership, Organisation

TRAINER = "trainer"
COORDINATOR = "coordinator"
PROFESSIONAL = "professional"
ROLES = (PROFESSIONAL, TRAINER, COORDINATOR)
#: Roles that have something to see on the dashboard.
DASHBOARD_ROLES = (TRAINER, COORDINATOR)


class AccessDenied(Exception):
    """The viewer may not see or do this."""


class Gone(Exception):
    """The thing (answer, member, group, push) does not exist (anymore)."""


# -- the rule as SQL, for queries that must carry it ----------------------------------


def trained_groups(viewer_id: int) -> Select[int]:
    """Ids of the groups the viewer is a trainer of: the root of every access rule.

    It reads its own alias of Membership, so it never correlates with a query on
    Membership it is nested in (that would silently test the outer row instead).
    """
    own = aliased(Membership)
    return select(own.group_id).where(own.person_id == viewer_id, own.role == TRAINER)


def trains(viewer_id: int, person: InstrumentedAttribute[int] | int) -> ColumnElement[bool]:
    """True when `person` is a member (any role) of a group the viewer trains."""
    other = aliased(Membership)
    return (
        select(other.id)
        .where(other.person_id == person, other.group_id.in_(trained_groups(viewer_id)))
        .exists()
    )


def reviewable(viewer_id: int, person: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """True for rows about a person whose answers the viewer may read: themselves,
    or a member of a group the viewer trains."""
    return or_(person == viewer_id, trains(viewer_id, person))


def coordinates(viewer_id: int, organisation_id: int) -> ColumnElement[bool]:
    """True when the viewer coordinates at least one group of the organisation."""
    return (
        select(Membership.id)
        .join(Group, Group.id == Membership.group_id)
        .where(
            Membership.person_id == viewer_id,
            Membership.role == COORDINATOR,
            Group.organisation_id == organisation_id,
        )
        .exists()
    )


# -- guards, inside a service's transaction -------------------------------------------


def trains_person(session: Session, viewer_id: int, person_id: int) -> bool:
    found = session.execute(select(trains(viewer_id, person_id)))
    return bool(found.scalar())


def require_trainer(session: Session, viewer_id: int, group_id: int, lock: bool = False) -> None:
    """Gone for a group that does not exist, AccessDenied unless the viewer trains it.

    With `lock`, PostgreSQL holds the viewer's membership until commit, so two
    trainers removing each other at the same moment cannot both succeed: one
    waits, the deadlock is retried, and the retry finds its own access gone.
    (SQLite's BEGIN IMMEDIATE already runs writes one at a time.)
    """
    if session.get(Group, group_id) is None:
        raise Gone(f"group {group_id}")
    if lock and session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Membership.id)
            .where(Membership.person_id == viewer_id, Membership.group_id == group_id)
            .with_for_update()
        )
    trained = session.execute(select(literal(group_id).in_(trained_groups(viewer_id))))
    if not trained.scalar():
        raise AccessDenied(f"person {viewer_id} is not a trainer of group {group_id}")


def require_coordinator(session: Session, viewer_id: int, organisation_id: int) -> None:
    """AccessDenied unless the viewer coordinates a group of the organisation."""
    if not session.execute(select(coordinates(viewer_id, organisation_id))).scalar():
        raise AccessDenied(
            f"person {viewer_id} is not a coordinator of organisation {organisation_id}"
        )


def coordinated_groups(
    session: Session, viewer_id: int, organisation_id: int
) -> tuple[str, tuple[tuple[int, str], ...]]:
    """The organisation's name and the groups in it the viewer coordinates (their
    whole coordinator scope there); AccessDenied when there are none."""
    org = session.get(Organisation, organisation_id)
    rows = session.execute(
        select(Group.id, Group.name)
        .join(Membership, Membership.group_id == Group.id)
        .where(
            Group.organisation_id == organisation_id,
            Membership.person_id == viewer_id,
            Membership.role == COORDINATOR,
        )
        .order_by(Group.name, Group.id)
    )
    groups = tuple((gid, name) for gid, name in rows.all())
    if org is None or not groups:
        raise AccessDenied(f"person {viewer_id} coordinates nothing in {organisation_id}")
    return org.name, groups


def organisation_groups(session: Session, organisation_id: int) -> tuple[tuple[int, str], ...]:
    """Every group of the organisation, by name (for figures decided over all of them)."""
    rows = session.execute(
        select(Group.id, Group.name)
        .where(Group.organisation_id == organisation_id)
        .order_by(Group.name, Group.id)
    )
    return tuple((gid, name) for gid, name in rows.all())


def shared_groups(session: Session, viewer_id: int, person_id: int) -> list[int]:
    """Groups the viewer trains that the person is a member of: the groups whose
    answers a trainer's look at this person is counted against in the audit log."""
    query = select(Membership.group_id).where(
        Membership.person_id == person_id, Membership.group_id.in_(trained_groups(viewer_id))
    )
    return list(session.execute(query.order_by(Membership.group_id)).scalars())


def is_member(session: Session, person_id: int, group_id: int, role: str) -> bool:
    query = select(Membership.id).where(
        Membership.person_id == person_id,
        Membership.group_id == group_id,
        Membership.role == role,
    )
    return session.execute(query).first() is not None


# -- the rule on memberships already loaded (menus and pages) -------------------------


@dataclass(frozen=True)
class Place:
    """One of a person's memberships, with names for menus and pages."""

    group_id: int
    group: str
    organisation_id: int
    organisation: str
    role: str


def places_of(session: Session, person_id: int) -> tuple[Place, ...]:
    """Every membership of the person, by organisation and group name."""
    rows = session.execute(
        select(Group.id, Group.name, Organisation.id, Organisation.name, Membership.role)
        .join(Membership, Membership.group_id == Group.id)
        .join(Organisation, Organisation.id == Group.organisation_id)
        .where(Membership.person_id == person_id)
        .order_by(Organisation.name, Group.name, Group.id)
    )
    return tuple(Place(*row) for row in rows.all())


@dataclass(frozen=True)
class Places:
    """A person's memberships, asked the same questions the SQL rule answers.

    Only for choosing what to show (which menus, which links); every read of
    data goes through a service that applies the SQL rule in its own query.
    """

    all: tuple[Place, ...]

    def trains(self, group_id: int) -> bool:
        return any(p.group_id == group_id and p.role == TRAINER for p in self.all)

    def place(self, group_id: int) -> Place | None:
        return next((p for p in self.all if p.group_id == group_id), None)

    def coordinated(self, organisation_id: int) -> list[Place]:
        """The groups of an organisation this person coordinates."""
        return [
            p for p in self.all if p.organisation_id == organisation_id and p.role == COORDINATOR
        ]

    @property
    def trainer_places(self) -> list[Place]:
        return [p for p in self.all if p.role == TRAINER]

    @property
    def organisations(self) -> list[tuple[int, str]]:
        """Organisations in which the person coordinates at least one group."""
        seen: dict[int, str] = {}
        for p in self.all:
            if p.role == COORDINATOR:
                seen.setdefault(p.organisation_id, p.organisation)
        return sorted(seen.items(), key=lambda item: item[1].casefold())

    @property
    def has_dashboard(self) -> bool:
        return any(p.role in DASHBOARD_ROLES for p in self.all)
