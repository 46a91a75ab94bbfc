#!/usr/bin/env python3
"""Trigger budgets (issue: pipeline triggers).

- worker idle: from the stage move's HTTP response to every effect done (action row, feed entry,
  mail accepted by the SMTP sink) ≤ 1 s at p95;
- a burst of 1,000 stage moves is processed at ≥ 100 events per second by one worker.
Usage: .venv/bin/python bench/triggers.py [--moves 50] [--burst 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from _common import Environment, emit, percentile, summary
from mail import start_sink, start_worker


def setup(sender_email: str = "crm@bench.example"):  # type: ignore[no-untyped-def]
    from automation.triggers import editor
    from crm.extensions import db
    from crm.models import EmailTemplate, SenderAddress, utcnow
    from crm.services.actions import ensure_default_action_types, type_named
    from crm.services.pipelines import create_pipeline
    from crm.services.users import create_user

    ensure_default_action_types()
    rep = create_user(email="rep0@bench.example", name="Rep", password="bench-pass-1")
    sender = SenderAddress(email=sender_email, display_name="CRM", verified_at=utcnow())
    template = EmailTemplate(
        name="Form", subject="Form for [[!OpportunityName]]", body_html="<p>Hello [[!RepName]]</p>"
    )
    db.session.add_all([sender, template])
    db.session.commit()
    pipeline = create_pipeline("Bench", ["A", "B", "C"])
    trigger = editor.create_trigger(
        pipeline, "enter_stage", {"stage_id": pipeline.stages[1].id}, "B → three effects"
    )
    editor.save_effect(
        trigger,
        "create_action",
        {
            "type_id": type_named("Call").id,
            "title": "Call [[!OpportunityName]]",
            "description": "",
            "assignee": "owner",
            "user_ids": [],
            "due_days": 0,
            "due_time": "",
        },
        None,
    )
    editor.save_effect(trigger, "post_note", {"text": "Entered B", "mention_id": None}, None)
    editor.save_effect(
        trigger,
        "send_email",
        {"template_id": template.id, "sender_id": sender.id, "recipients": "[[!AssignedToId]]"},
        None,
    )
    light = editor.create_trigger(pipeline, "enter_stage", {"stage_id": pipeline.stages[2].id}, "C → tag")
    editor.save_effect(light, "add_tag", {"tag": "Reached C"}, None)
    return pipeline, rep


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=50)
    parser.add_argument("--burst", type=int, default=1000)
    args = parser.parse_args()
    env = Environment()
    from crm.procs import free_port

    port = free_port()
    sink = start_sink(port)
    worker = None
    try:
        from sqlalchemy import func, insert, select

        from crm.extensions import db
        from crm.models import DomainEvent, Opportunity, OutboxMessage, TriggerRun, utcnow
        from crm.services.opportunities import move_opportunity

        pipeline, rep = setup()
        a, b, c = pipeline.stages
        now = utcnow()
        db.session.execute(
            insert(Opportunity),
            [
                {
                    "name": f"Deal {i}",
                    "pipeline_id": pipeline.id,
                    "stage_id": a.id,
                    "amount": 1000,
                    "owner_id": rep.id,
                    "result": "open",
                    "stage_entered_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(args.moves + args.burst)
            ],
        )
        db.session.commit()
        ids = list(db.session.scalars(select(Opportunity.id).order_by(Opportunity.id)))
        worker = start_worker({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port)})
        time.sleep(2)
        client = env.app.test_client()
        client.post("/login", data={"email": "rep0@bench.example", "password": "bench-pass-1"})

        latencies = []
        for opp_id in ids[: args.moves]:
            started = time.perf_counter()
            response = client.post(
                f"/opportunities/{opp_id}/move", data={"stage_id": b.id}, headers={"HX-Request": "true"}
            )
            assert response.status_code == 200
            while True:
                db.session.rollback()
                run = db.session.scalar(select(TriggerRun.status).where(TriggerRun.opportunity_id == opp_id))
                mail = db.session.scalar(
                    select(OutboxMessage.status).where(OutboxMessage.opportunity_id == opp_id)
                )
                if run == "done" and mail == "sent":
                    break
                time.sleep(0.005)
            latencies.append((time.perf_counter() - started) * 1000)

        first_burst_event = (db.session.scalar(select(func.max(DomainEvent.id))) or 0) + 1
        burst_ids = ids[args.moves :]
        for opp_id in burst_ids:
            move_opportunity(db.session.get(Opportunity, opp_id), c, actor=None, commit=False)
        started = time.perf_counter()
        db.session.commit()  # 1,000 events, enqueued together after this commit
        while db.session.scalar(
            select(func.count()).select_from(DomainEvent).where(DomainEvent.processed_at.is_(None))
        ):
            db.session.rollback()
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        processed = db.session.scalar(
            select(func.count()).select_from(DomainEvent).where(DomainEvent.id >= first_burst_event)
        )
        engine = os.environ["DATABASE_URL"].split(":")[0]
        print(f"Trigger benchmark on {engine}")
        print(f"  move → action, feed and mail accepted   {summary(latencies)}   budget: p95 ≤ 1000 ms")
        print(
            f"  burst of {args.burst} moves (each fires a tag trigger, whose tag_added event follows): "
            f"{processed} events in {elapsed:.1f} s = {processed / elapsed:.0f} events/s   budget: ≥ 100/s"
        )
        effects = db.session.scalar(
            select(func.count()).select_from(TriggerRun).where(TriggerRun.event_id >= first_burst_event)
        )
        print(f"  effects run in the burst: {effects} in {elapsed:.1f} s = {effects / elapsed:.0f} effects/s")
        emit(
            trigger_p50_ms=statistics.median(latencies),
            trigger_p95_ms=percentile(latencies, 95),
            events_s=processed / elapsed,
            effects_s=effects / elapsed,
        )
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait()
        sink.terminate()
        env.close()


if __name__ == "__main__":
    main()
