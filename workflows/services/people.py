"""Looking people up and deciding who may act on a task (shared by the use cases)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session, joinedload

from ..errors import Forbidden, NotAuthenticated, NotFound
from ..models import HumanTask, PartyOrg, Person, RoleAssignment, Unit
from ..prepared import Prepared
from ..roles import Candidates

OVERSIGHT_ROLES = {"admin", "party_office", "discipline"}


def person_by_username(session: Session, username: str) -> Person:
    # roles in the same query (a join) rather than the relationship's default second SELECT: every use case
    # and request starts here
    person = session.scalars(select(Person).where(Person.username == username)
                             .options(joinedload(Person.roles))).unique().one_or_none()
    if person is None:
        raise NotFound(f"用户 {username} 不存在")
    return person


@dataclass(frozen=True)
class Actor:
    """The person acting in a step use case: what the step needs of them, read with one plain query."""

    id: int
    username: str
    name: str
    status: str
    unit_id: int | None
    role_scopes: frozenset[tuple[str, str]] = frozenset()  # (role, scope) of every role they hold


_ACTOR_COLUMNS = (Person.id, Person.username, Person.name, Person.status, Person.unit_id, RoleAssignment.role, RoleAssignment.scope)
_ACTOR = Prepared(select(*_ACTOR_COLUMNS).outerjoin(RoleAssignment, RoleAssignment.person_id == Person.id)
                  .where(Person.username == bindparam("username")))
_ACTOR_BY_ID = Prepared(select(*_ACTOR_COLUMNS).outerjoin(RoleAssignment, RoleAssignment.person_id == Person.id)
                        .where(Person.id == bindparam("person_id")))

# who acts in a use case: a username (CLI, web pages, tests), or the person id of a checked API token
Who = str | int


def actor_by_username(session: Session, username: Who) -> Actor:
    """Like :func:`person_by_username` but plain rows, roles included (no ORM objects): the step use cases'
    first query, so it is kept cheap. Given a person id (an API token's), an account that no longer exists or
    has left is refused as unauthenticated (401), as the API's own account check would."""
    if isinstance(username, int):
        rows = _ACTOR_BY_ID.all(session, {"person_id": username})
        if not rows or rows[0][3] == "left":
            raise NotAuthenticated("账号不存在或已停用")
    else:
        rows = _ACTOR.all(session, {"username": username})
        if not rows:
            raise NotFound(f"用户 {username} 不存在")
    first = rows[0]
    return Actor(first[0], first[1], first[2], first[3], first[4], frozenset((r[5], r[6]) for r in rows if r[5] is not None))


def unit_names(session: Session, unit_id: int | None) -> tuple[str, str]:
    """(unit name, its Party organisation's name) in one query; empty strings when unknown."""
    found = _UNIT_NAMES.first(session, {"unit_id": unit_id}) if unit_id else None
    return (found[0], found[1]) if found else ("", "")


def person_id_lookup(session: Session):  # type: ignore[no-untyped-def]
    def lookup(username: str) -> int | None:
        return _PERSON_ID.scalar(session, {"username": username}) if username else None
    return lookup


def party_org_of(session: Session, unit_id: int | None) -> int | None:
    return _PARTY_ORG.scalar(session, {"unit_id": unit_id}) if unit_id else None


# statements of the lookups above, built once (building one costs more than running it)
_UNIT_NAMES = Prepared(select(Unit.name, PartyOrg.name).join(PartyOrg, PartyOrg.id == Unit.party_org_id)
                       .where(Unit.id == bindparam("unit_id")))
_PERSON_ID = Prepared(select(Person.id).where(Person.username == bindparam("username")))
_PARTY_ORG = Prepared(select(Unit.party_org_id).where(Unit.id == bindparam("unit_id")))
# who holds a role in a scope and has not left (also the source of writes.notify_holders' INSERT ... SELECT)
HOLDERS = (select(RoleAssignment.person_id).join(Person, Person.id == RoleAssignment.person_id)
            .where(RoleAssignment.role == bindparam("role"), RoleAssignment.scope == bindparam("scope"), Person.status != "left"))


def may_act(session: Session, person: Person | Actor, task: HumanTask) -> bool:
    """The assignee, or (unassigned) a holder of the candidate role in the candidate scope."""
    if person.status == "left":
        return False
    if task.assignee_id is not None:
        return task.assignee_id == person.id
    if isinstance(person, Actor):
        return (task.candidate_role, task.candidate_scope) in person.role_scopes
    return bool(session.scalar(select(exists().where(
        RoleAssignment.person_id == person.id,
        RoleAssignment.role == task.candidate_role,
        RoleAssignment.scope == task.candidate_scope,
    ))))


def holders(session: Session, candidates: Candidates) -> list[int]:
    """Person ids a task's candidates resolve to (for notifications)."""
    if candidates.assignee_id is not None:
        return [candidates.assignee_id]
    return list(session.scalars(HOLDERS, {"role": candidates.role, "scope": candidates.scope}).all())


def require_admin(session: Session, username: str, what: str) -> Person:
    """The person named ``username`` if they hold the ``admin`` role; Forbidden ("只有系统管理员可以{what}") otherwise."""
    actor = person_by_username(session, username)
    if "admin" not in actor.role_names:
        raise Forbidden(f"只有系统管理员可以{what}")
    return actor


def is_overseer(person: Person) -> bool:
    return bool(person.role_names & OVERSIGHT_ROLES)
