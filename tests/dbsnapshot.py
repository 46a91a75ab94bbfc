"""Take the rows of every table, and put them back: a world built once per test process, then
restored before each test that asks for it, instead of rebuilt through the app's services.

The restored tables hold exactly the rows the build left (same ids, same columns); the id
sequences continue after them. What the build left outside the database (uploaded files, which
are stored by content and stay on disk) is still there; what it left in Redis is not: each test
starts on an empty Redis anyway (tests/conftest.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text

from crm.extensions import db

Rows = list[tuple[Any, list[dict[str, Any]]]]


def take() -> Rows:
    """Every row of every table that has some, parents before children."""
    db.session.commit()
    taken: Rows = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = [dict(row) for row in conn.execute(select(table)).mappings()]
            if rows:
                taken.append((table, rows))
    return taken


def restore(taken: Rows) -> None:
    """Empty the tables, then insert `taken` back and move the id sequences past it."""
    from tests.conftest import _truncate

    db.session.rollback()
    db.session.expunge_all()
    _truncate(db)
    with db.engine.connect() as conn:
        postgresql = conn.dialect.name == "postgresql"
        if postgresql:  # foreign keys point both ways (outbox <-> enrollments)
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        for table, rows in taken:
            conn.execute(table.insert(), rows)
        if postgresql:
            for table, _rows in taken:
                if "id" in table.c and table.c.id.autoincrement is not False:
                    top = select(func.max(table.c.id)).scalar_subquery()
                    conn.execute(
                        select(func.setval(func.pg_get_serial_sequence(table.name, "id"), top)).where(
                            func.pg_get_serial_sequence(table.name, "id").is_not(None)
                        )
                    )
        conn.commit()
        if not postgresql:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
