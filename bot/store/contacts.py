"""An organisation's local contacts: reading and writing its rows, and the one
read an exercise needs for a person.

Operators and trainers change contacts rarely, through the ORM (`ContactRepository`,
inside the caller's transaction). An exercise that names a contact reads them on
the update path, so that read is a compiled statement on the driver like the
others there (`local_contacts`, see bot/store/direct.py for why).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Executable, bindparam, case, delete, select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from bot.store.driver import Direct
from bot.store.models import Group, Membership, Organisation, OrganisationContact, Push, utcnow
from bot.store.repo import NotFound


@dataclass(frozen=True)
class ContactRow:
    """One contact as stored: its value and who last changed it, when."""

    key: str
    value: str
    updated_at: datetime
    updated_by: int | None


class ContactRepository:
    """The contact rows of organisations, within the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def organisation(self, ref: str) -> Organisation:
        """An organisation by id (all digits) or by name; NotFound otherwise.

        A number is tried as an id first and then as a name, so an organisation
        named "2024" stays reachable.
        """
        if ref.isdigit() and (found := self.session.get(Organisation, int(ref))) is not None:
            return found
        query = select(Organisation).where(Organisation.name == ref)
        org = self.session.execute(query).scalar_one_or_none()
        if org is None:
            raise NotFound(f"organisation '{ref}'")
        return org

    def organisation_by_id(self, organisation_id: int) -> Organisation:
        org = self.session.get(Organisation, organisation_id)
        if org is None:
            raise NotFound(f"organisation {organisation_id}")
        return org

    def group_organisation(self, group_id: int) -> Organisation:
        """The organisation a group belongs to; NotFound for an unknown group."""
        query = select(Organisation).join(Group, Group.organisation_id == Organisation.id)
        org = self.session.execute(query.where(Group.id == group_id)).scalar_one_or_none()
        if org is None:
            raise NotFound(f"group {group_id}")
        return org

    def contacts(self, organisation_id: int) -> dict[str, ContactRow]:
        """Key -> the stored contact, for every key the organisation has set."""
        query = select(OrganisationContact).where(
            OrganisationContact.organisation_id == organisation_id
        )
        return {
            row.key: ContactRow(row.key, row.value, row.updated_at, row.updated_by)
            for row in self.session.execute(query).scalars()
        }

    def put(self, organisation_id: int, key: str, value: str, by: int | None) -> None:
        """Set a contact, replacing its value: one upsert, so two people saving the
        same key at once both succeed (the last one wins) instead of one failing."""
        dialect = self.session.get_bind().dialect.name
        insert = postgres_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(OrganisationContact).values(
            organisation_id=organisation_id,
            key=key,
            value=value,
            updated_at=utcnow(),
            updated_by=by,
        )
        changed = {name: statement.excluded[name] for name in ("value", "updated_at", "updated_by")}
        self.session.execute(
            statement.on_conflict_do_update(index_elements=["organisation_id", "key"], set_=changed)
        )

    def drop(self, organisation_id: int, keys: Sequence[str]) -> None:
        """Clear contacts: those keys read as their national fallback again."""
        if keys:
            self.session.execute(
                delete(OrganisationContact).where(
                    OrganisationContact.organisation_id == organisation_id,
                    OrganisationContact.key.in_(keys),
                )
            )


def local_contacts(tx: Direct, person_id: int, push_id: int | None) -> dict[str, str]:
    """Key -> value of the contacts of the person's organisation.

    A person is nearly always in one organisation. When they are in several, the
    organisation of the push that opened the run wins (its trainer asked for the
    exercise), else the organisation they joined first: one organisation's set,
    never a mix of two.
    """
    return dict(tx.rows(_local_contacts, person_id=person_id, push_id=push_id))


def _local_contacts(_: str) -> Executable:
    pushed = aliased(Group)  # the push's group, apart from the person's groups below
    push_organisation = (
        select(pushed.organisation_id)
        .join(Push, Push.group_id == pushed.id)
        .where(Push.id == bindparam("push_id"))
        .scalar_subquery()
    )
    organisation = (
        select(Group.organisation_id)
        .join(Membership, Membership.group_id == Group.id)
        .where(Membership.person_id == bindparam("person_id"))
        .order_by(case((Group.organisation_id == push_organisation, 0), else_=1), Membership.id)
        .limit(1)
        .scalar_subquery()
    )
    return select(OrganisationContact.key, OrganisationContact.value).where(
        OrganisationContact.organisation_id == organisation
    )
