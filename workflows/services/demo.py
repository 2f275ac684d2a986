"""Use case ``groupgov demo load``: the demo university, every account with password ``demo``."""

from __future__ import annotations

from sqlalchemy import Engine, update

from ..db import unit_of_work
from ..demo import UNIVERSITY_CSV
from ..models import Person
from ..security import hash_password
from .org_import import ImportReport, apply_org_rows, parse_org_file

DEMO_PASSWORD = "demo"


def load_demo(engine: Engine | None = None) -> ImportReport:
    """Import ``workflows/demo/university.csv`` and set every demo person's password to ``demo``.

    One transaction. Safe to run again: the roster is upserted and the passwords reset; people who are not in
    the demo file keep their data and passwords. ``engine`` defaults to the configured database.
    """
    rows = parse_org_file(UNIVERSITY_CSV)
    password_hash = hash_password(DEMO_PASSWORD)  # one Argon2 hash for everyone: hashing is deliberately slow
    with unit_of_work(engine=engine) as session:
        report = apply_org_rows(session, rows)
        usernames = [row.username for row in rows]
        for start in range(0, len(usernames), 500):
            session.execute(update(Person).where(Person.username.in_(usernames[start:start + 500]))
                            .values(password_hash=password_hash).execution_options(synchronize_session=False))
        return report
