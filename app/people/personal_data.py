"""A person's data on request: export everything about them as JSON, or erase them.

Erasure pseudonymises instead of deleting: the person row stays (with a pseudonym for name,
e-mail and HR number, no password, deactivated), so assignments, attempts, completions and
statements keep counting in readiness figures and item statistics exactly as before. The
identity inside stored xAPI statements (the actor's name and `mbox`) and in audit details is
replaced by the pseudonym; links that identify the person elsewhere (sign-in identities,
tokens, invitations, queued e-mails) are removed. Both actions are audited; erasure cannot
be undone.
"""

from __future__ import annotations

import base64
import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, case, cast, delete, or_, select, update
from sqlalchemy.orm import Session

from app.db import Base, utcnow
from app.people.field_rules import PeopleError
from app.people.models import Role, User
from app.people.operations import deactivate_user
from app.people.role_operations import revoke_role
from app.platform.audit import AuditEvent, record_event

# Columns never exported: secrets (hashes of passwords and tokens), stored files, and e-mail
# bodies (an invitation or reset e-mail holds a live link that would let its reader choose
# the person's password; subject and dates are exported).
SECRET_COLUMNS = frozenset(
    {"password_hash", "token_hash", "secret", "content", "body_text", "body_html"}
)
# Tables handled by name below rather than by the generic "rows with user_id" walk.
_SPECIAL_TABLES = frozenset({"users", "audit_events", "import_uploads"})
# Rows that only exist to reach or identify the person: removed on erasure.
_REMOVED_ON_ERASURE = (
    "api_tokens",
    "calendar_tokens",
    "invitations",
    "user_identities",
    "outbox_emails",
    "notification_preferences",
)
ERASED_DOMAIN = "erased.invalid"  # RFC 2606: can never be a real mailbox
# Free text a person wrote (a question, a problem report, a follow-up) may name them or
# others, and no pattern finds every name: erasure blanks it and keeps the row, so counts
# and timelines stay. (table, column naming the writer, text columns)
_FREE_TEXT = (
    ("problem_reports", "user_id", ("subject", "comment", "audience")),
    ("request_events", "actor_id", ("text",)),
)
ERASED_TEXT = "–"


def _plain(value: Any) -> Any:
    """Turn a column value into something JSON can hold."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _row_dict(table: Any, row: Any) -> dict[str, Any]:
    """Return a row's columns by name, secrets left out."""
    return {
        column.name: _plain(row._mapping[column])
        for column in table.columns
        if column.name not in SECRET_COLUMNS
    }


def _tables_pointing_at_people(column_name: str) -> list[Any]:
    """Every table whose `column_name` points at users (features add tables over time):
    `user_id` rows are about a person, `actor_id` rows were written by one."""
    tables = []
    for table in Base.metadata.sorted_tables:
        column = table.columns.get(column_name)
        if column is None or table.name in _SPECIAL_TABLES:
            continue
        if any(fk.column.table.name == "users" for fk in column.foreign_keys):
            tables.append(table)
    return sorted(tables, key=lambda t: t.name)


def export_person_data(session: Session, person: User, *, now: datetime | None = None) -> dict:
    """Return everything stored about one person as JSON-ready data.

    Profile, roles, and every row of every table tied to the person (assignments, attempts
    with their answers, progress, completions, certificates, statements, feedback, notices,
    invitations ...), plus the audit rows about them or by them. Secrets are left out.
    """
    users = Base.metadata.tables["users"]
    profile = _row_dict(users, session.execute(select(users).where(users.c.id == person.id)).one())
    return {
        "format": "counter-ready.personal-data.v1",
        "exported_at": (now or utcnow()).isoformat(),
        "profile": profile,
        "unit": person.unit.code if person.unit else None,
        "roles": [
            {
                "role": a.role.value,
                "unit": a.unit.code if a.unit else None,
                "provider": a.provider.slug if a.provider else None,
                "granted_at": _plain(a.created_at),
            }
            for a in person.roles
        ],
        "records": _records_of(session, person),
        "audit": _audit_of(session, person),
    }


def _records_of(session: Session, person: User) -> dict[str, list[dict[str, Any]]]:
    """Every row about the person or written by them, by table, and their quiz answers."""
    records: dict[str, list[dict[str, Any]]] = {}
    for table in _tables_pointing_at_people("user_id"):
        if table.name == "role_assignments":
            continue
        rows = session.execute(
            select(table).where(table.c.user_id == person.id).order_by(*table.primary_key.columns)
        ).all()
        records[table.name] = [_row_dict(table, row) for row in rows]
    for table in _tables_pointing_at_people("actor_id"):
        rows = session.execute(
            select(table).where(table.c.actor_id == person.id).order_by(*table.primary_key.columns)
        ).all()
        records[f"{table.name} (written by this person)"] = [_row_dict(table, r) for r in rows]
    # Answers point at an attempt, not at the person: reached through their attempts.
    answers = Base.metadata.tables["attempt_answers"]
    attempts = Base.metadata.tables["attempts"]
    rows = session.execute(
        select(answers)
        .join(attempts, attempts.c.id == answers.c.attempt_id)
        .where(attempts.c.user_id == person.id)
        .order_by(answers.c.id)
    ).all()
    records["attempt_answers"] = [_row_dict(answers, row) for row in rows]
    return records


def _audit_of(session: Session, person: User) -> list[dict[str, Any]]:
    """The audit rows about the person or by them, oldest first."""
    audit = session.scalars(
        select(AuditEvent)
        .where(
            or_(
                AuditEvent.actor_id == person.id,
                (AuditEvent.object_type == "user") & (AuditEvent.object_id == person.id),
            )
        )
        .order_by(AuditEvent.id)
    )
    return [
        {
            "occurred_at": _plain(event.occurred_at),
            "action": event.action,
            "by_this_person": event.actor_id == person.id,
            "actor_id": event.actor_id,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "ip_address": event.ip_address,
            "details": event.details,
        }
        for event in audit
    ]


def record_data_export(
    session: Session, person: User, *, actor: User | None, ip: str | None
) -> None:
    """Audit that someone exported a person's data."""
    record_event(
        session,
        "user.data_exported",
        actor_id=actor.id if actor is not None else None,
        object_type="user",
        object_id=person.id,
        ip_address=ip,
    )


def pseudonym(person: User) -> tuple[str, str, str]:
    """Return the (first name, last name, e-mail) that replace an erased person's identity."""
    return "Erased", f"person {person.id}", f"erased-{person.id}@{ERASED_DOMAIN}"


def is_erased(person: User) -> bool:
    """Tell whether a person has been erased."""
    return person.email.endswith("@" + ERASED_DOMAIN)


def _replace_strings(value: Any, exact: dict[str, Any], email: str, new_email: str) -> Any:
    """Replace the person's identity inside JSON details: any text holding the e-mail address,
    and values equal to a name or the HR number (equal only: a short HR number such as "12"
    must not blank unrelated text)."""
    if isinstance(value, str):
        if email and email.lower() in value.lower():
            return new_email
        return exact.get(value, value)
    if isinstance(value, dict):
        return {k: _replace_strings(v, exact, email, new_email) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_strings(v, exact, email, new_email) for v in value]
    return value


def erase_person(
    session: Session,
    person: User,
    *,
    confirm_email: str,
    actor: User | None,
    ip: str | None,
    now: datetime | None = None,
) -> None:
    """Erase a person by pseudonymising them everywhere and deactivating them (irreversible).

    `confirm_email` must repeat the person's e-mail address. Counts stay the same: the rows
    that feed readiness and item statistics keep their person id; only who it was is gone.
    """
    if is_erased(person):
        raise PeopleError("person: already erased")
    if confirm_email.strip().lower() != person.email.lower():
        raise PeopleError("confirmation: type the person's e-mail address exactly")
    if actor is not None and actor.id == person.id:
        raise PeopleError("person: nobody erases themselves")
    now = now or utcnow()
    deactivate_user(session, person, actor=actor, ip=ip, now=now)
    for assignment in [a for a in person.roles if a.role != Role.LEARNER]:
        revoke_role(session, assignment, actor=actor, ip=ip, now=now)
    old_email = person.email
    first, last, email = pseudonym(person)
    exact: dict[str, Any] = {
        person.display_name: f"{first} {last}",
        person.first_name: first,
        person.last_name: last,
    }
    if person.hr_number:
        exact[person.hr_number] = None
    _pseudonymise_statements(session, person, f"{first} {last}", email)
    _pseudonymise_audit(session, person, exact, old_email, email)
    _blank_free_texts(session, person)
    _remove_links(session, person, old_email)
    person.first_name, person.last_name, person.email = first, last, email
    person.hr_number = None
    person.password_hash = None
    person.preferred_language = None
    person.extra_time_percent = 0
    person.last_login_at = None
    session.flush()
    record_event(
        session,
        "user.erased",
        actor_id=actor.id if actor is not None else None,
        object_type="user",
        object_id=person.id,
        ip_address=ip,
        now=now,
    )


def _pseudonymise_statements(session: Session, person: User, name: str, email: str) -> None:
    """Put the pseudonym as the actor of every xAPI statement about the person."""
    statements = Base.metadata.tables["statements"]
    agent = {"objectType": "Agent", "name": name, "mbox": f"mailto:{email}"}
    rows = session.execute(
        select(statements.c.id, statements.c.payload).where(statements.c.user_id == person.id)
    ).all()
    # Statements are append-only for every other purpose (the ORM refuses updates);
    # erasure is the one legal exception, so it writes through Core on purpose.
    for statement_id, payload in rows:
        changed = dict(payload or {})
        changed["actor"] = agent
        session.execute(
            update(statements).where(statements.c.id == statement_id).values(payload=changed)
        )


def _pseudonymise_audit(
    session: Session, person: User, exact: dict[str, Any], old_email: str, email: str
) -> None:
    """Replace the person's identity in the details of audit rows by, about or naming them."""
    events = session.execute(
        select(AuditEvent.id, AuditEvent.details).where(
            or_(
                AuditEvent.actor_id == person.id,
                (AuditEvent.object_type == "user") & (AuditEvent.object_id == person.id),
                cast(AuditEvent.details, String).contains(old_email, autoescape=True),
            )
        )
    ).all()
    for event_id, details in events:
        cleaned = _replace_strings(details, exact, old_email, email)
        if cleaned != details:
            session.execute(
                update(AuditEvent.__table__)
                .where(AuditEvent.__table__.c.id == event_id)
                .values(details=cleaned)
            )


def _blank_free_texts(session: Session, person: User) -> None:
    """Blank the texts the person wrote (empty ones stay empty), keeping the rows."""
    for name, writer, columns in _FREE_TEXT:
        table = Base.metadata.tables[name]
        session.execute(
            update(table)
            .where(table.c[writer] == person.id)
            .values(
                {
                    column: case((table.c[column].is_(None), None), else_=ERASED_TEXT)
                    for column in columns
                    if column in table.c
                }
            )
        )


def _remove_links(session: Session, person: User, old_email: str) -> None:
    """Delete the rows that only reach or identify the person (tokens, identities, e-mails)."""
    for name in _REMOVED_ON_ERASURE:
        table = Base.metadata.tables[name]
        condition = table.c.user_id == person.id
        if name == "outbox_emails":
            condition = or_(condition, table.c.to_address == old_email)
        session.execute(delete(table).where(condition))
