#!/usr/bin/env python3
"""Scenario budgets (issue: sales-automation scenarios).

- 100,000 enrollments of which 10,000 are due: one worker sends ≥ 100 scenario emails per second;
- 1,000,000 enrollments of which 1,000 are due: finding the due ones takes ≤ 100 ms, by an index
  range scan (the query plan is printed on PostgreSQL).
Usage: .venv/bin/python bench/scenarios.py [--enrollments 100000 --due 10000] [--big 1000000 --big-due 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import timedelta

from _common import Environment, emit, percentile, summary, timed
from mail import start_sink, start_worker


def make_scenario():  # type: ignore[no-untyped-def]
    from automation.scenarios import admin
    from crm.services.users import create_user

    rep = create_user(
        email="rep@bench.example",
        name="Bench Rep",
        password="bench-pass-1",
        signature_html="<p>Bench Rep</p>",
    )
    from crm.extensions import db
    from crm.models import SenderAddress, utcnow

    db.session.add(SenderAddress(email=rep.email, display_name=rep.name, verified_at=utcnow()))
    db.session.commit()
    scenario = admin.create_scenario("Bench sequence", None)
    email = admin.add_step(
        scenario,
        "email",
        config={
            "subject": "Hello [[!ContactFirstName]]",
            "message": "Hi [[!ContactFirstName]],\n\nShall we talk?",
            "sender_id": None,
            "window_start": "",
            "window_end": "",
            "skip_weekends": False,
            "track_opens": False,
            "track_clicks": False,
        },
    )
    pause = admin.add_step(scenario, "pause", after=email, config={"days": 7, "hours": 0, "until": None})
    admin.add_step(scenario, "end", after=pause)
    admin.activate(scenario)
    return scenario, email, pause, rep


def fill(scenario, email, pause, rep, total: int, due: int) -> None:  # type: ignore[no-untyped-def]
    """`due` people on the email step now (real contacts), the rest waiting in a week-long pause."""
    from sqlalchemy import insert, select

    from crm.extensions import db
    from crm.models import Contact, Enrollment, utcnow

    now = utcnow()
    for start in range(0, due, 5000):
        db.session.execute(
            insert(Contact),
            [
                {
                    "first_name": f"P{i}",
                    "last_name": "Bench",
                    "email": f"p{i}@client.example",
                    "opt_in": True,
                    "unsubscribed": False,
                    "owner_id": rep.id,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(start, min(start + 5000, due))
            ],
        )
    db.session.commit()
    contact_ids = list(db.session.scalars(select(Contact.id).order_by(Contact.id)))
    later = now + timedelta(days=7)
    base = {
        "scenario_id": scenario.id,
        "person_type": "contact",
        "status": "active",
        "version": 1,
        "simulation": False,
        "source": "bench",
        "started_at": now,
        "step_entered_at": now,
    }
    for start in range(0, total, 20000):
        rows = []
        for i in range(start, min(start + 20000, total)):
            if i < due:
                rows.append(
                    {
                        **base,
                        "person_id": contact_ids[i],
                        "current_step_id": email.id,
                        "next_run_at": now,
                        "enqueued_at": now - timedelta(hours=1),
                    }
                )
            else:  # no contact row needed: they wait a week and nobody looks at them
                rows.append(
                    {
                        **base,
                        "person_id": 10_000_000 + i,
                        "current_step_id": pause.id,
                        "next_run_at": later,
                        "enqueued_at": later,
                    }
                )
        db.session.execute(insert(Enrollment), rows)
        db.session.commit()


def due_query_ms(runs: int = 20) -> tuple[list[float], int, str]:
    from sqlalchemy import text

    from automation.sweep import due_enrollments
    from crm.extensions import db
    from crm.models import utcnow

    now = utcnow() + timedelta(seconds=1)
    found = len(due_enrollments(now, limit=1000))
    samples = timed(lambda: due_enrollments(now, limit=1000), runs)
    plan = ""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        from automation.sweep import due_query

        sql = due_query(now, 1000).compile(
            dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
        )
        plan = "\n".join(r[0] for r in db.session.execute(text(f"EXPLAIN ANALYZE {sql}")))
    return samples, found, plan


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enrollments", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--big-due", type=int, default=1_000)
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args()
    env = Environment()
    from crm.procs import free_port

    port = free_port()
    sink = start_sink(port)
    try:
        from sqlalchemy import func, select

        from automation.queues import enqueue_enrollments
        from automation.sweep import due_enrollments
        from crm.extensions import db
        from crm.models import OutboxMessage, utcnow

        scenario, email, pause, rep = make_scenario()
        started = time.perf_counter()
        fill(scenario, email, pause, rep, args.enrollments, args.due)
        print(f"filled {args.enrollments} enrollments in {time.perf_counter() - started:.0f} s")
        ids = due_enrollments(utcnow() + timedelta(seconds=1), limit=args.due + 10)
        enqueue_enrollments(ids)
        worker = start_worker({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "SWEEP_INTERVAL": "5"})
        started = time.perf_counter()
        while True:
            db.session.rollback()
            sent = db.session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")
            )
            if sent >= args.due:
                break
            if time.perf_counter() - started > 900:
                raise SystemExit(f"only {sent} sent after 15 minutes")
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
        worker.terminate()
        worker.wait()
        engine_name = os.environ["DATABASE_URL"].split(":")[0]
        print(f"Scenario benchmark on {engine_name}")
        print(
            f"  {args.enrollments} enrollments, {args.due} due: {args.due / elapsed:6.0f} scenario emails/s "
            f"({elapsed:.1f} s, one worker)   budget: ≥ 100/s"
        )
        emit(scenario_emails_s=args.due / elapsed)
        if args.skip_big:
            return
        started = time.perf_counter()
        fill(scenario, email, pause, rep, 0, 0)
        extra = args.big - args.enrollments
        fill_more(scenario, pause, extra, args.big_due, email, rep)
        print(f"  grew to {args.big} enrollments in {time.perf_counter() - started:.0f} s")
        samples, found, plan = due_query_ms()
        print(
            f"  due-steps query at {args.big} enrollments ({found} due, limit 1000): {summary(samples)}   budget: ≤ 100 ms"
        )
        emit(
            due_query_ms=statistics.median(samples),
            due_query_p95_ms=percentile(samples, 95),
            due_query_enrollments=args.big,
            due_query_plan=plan,
        )
        if plan:
            print("  PostgreSQL plan:")
            print("    " + plan.replace("\n", "\n    "))
    finally:
        sink.terminate()
        env.close()


def fill_more(scenario, pause, count: int, due: int, email, rep) -> None:  # type: ignore[no-untyped-def]
    """More people waiting a week, plus `due` more due now (fake person ids: the query never joins them)."""
    from sqlalchemy import insert

    from crm.extensions import db
    from crm.models import Enrollment, utcnow

    now = utcnow()
    base = {
        "scenario_id": scenario.id,
        "person_type": "lead",
        "status": "active",
        "version": 1,
        "simulation": False,
        "source": "bench",
        "started_at": now,
        "step_entered_at": now,
    }
    for start in range(0, count, 50000):
        rows = [
            {
                **base,
                "person_id": 20_000_000 + i,
                "current_step_id": email.id if i < due else pause.id,
                "next_run_at": now - timedelta(minutes=1) if i < due else now + timedelta(days=7),
                "enqueued_at": now - timedelta(hours=1) if i < due else now + timedelta(days=7),
            }
            for i in range(start, min(start + 50000, count))
        ]
        db.session.execute(insert(Enrollment), rows)
        db.session.commit()


if __name__ == "__main__":
    main()
