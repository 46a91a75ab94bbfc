"""Per-step statistics of a scenario (simulations left out): entered, sent, opened, clicked,
replied, skipped — and the same as a funnel chart."""

from __future__ import annotations

from collections import defaultdict

from markupsafe import Markup
from sqlalchemy import String, cast, distinct, func, literal, select

from automation.scenarios.steps import step_label
from crm.charts import Bar, funnel
from crm.extensions import db
from crm.models import Enrollment, EnrollmentEvent, OutboxMessage, Scenario


def step_stats(scenario: Scenario) -> dict[str, object]:
    real = select(Enrollment.id).where(
        Enrollment.scenario_id == scenario.id, Enrollment.simulation.is_(False)
    )
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    entered = db.session.execute(
        select(EnrollmentEvent.step_id, func.count(distinct(EnrollmentEvent.enrollment_id)))
        .where(EnrollmentEvent.enrollment_id.in_(real), EnrollmentEvent.step_id.is_not(None))
        .group_by(EnrollmentEvent.step_id)
    ).all()
    for step_id, count in entered:
        counts[step_id]["entered"] = count
    kinds = db.session.execute(
        select(EnrollmentEvent.step_id, EnrollmentEvent.kind, func.count())
        .where(
            EnrollmentEvent.enrollment_id.in_(real), EnrollmentEvent.kind.in_(("sent", "skipped", "replied"))
        )
        .group_by(EnrollmentEvent.step_id, EnrollmentEvent.kind)
    ).all()
    for step_id, kind, count in kinds:
        if step_id is not None:
            counts[step_id][kind] = count
    # Opens and clicks of the emails each step sent.
    sent = db.session.execute(
        select(EnrollmentEvent.step_id, OutboxMessage.opened_at, OutboxMessage.clicked_at)
        .join(OutboxMessage, OutboxMessage.enrollment_id == EnrollmentEvent.enrollment_id)
        .where(
            EnrollmentEvent.enrollment_id.in_(real),
            EnrollmentEvent.kind == "sent",
            OutboxMessage.idempotency_key
            == literal("scenario:")
            + cast(EnrollmentEvent.enrollment_id, String)
            + literal(":step:")
            + cast(EnrollmentEvent.step_id, String),
        )
    ).all()
    for step_id, opened, clicked in sent:
        counts[step_id]["opened"] += 1 if opened else 0
        counts[step_id]["clicked"] += 1 if clicked else 0
    emails = [
        s
        for s in sorted(scenario.steps, key=lambda s: (s.parent_id or 0, s.branch or "", s.position))
        if s.kind == "email"
    ]
    chart: Markup = (
        funnel(
            [
                Bar(
                    step_label(s),
                    counts[s.id]["entered"],
                    f"{counts[s.id]['sent']} / {counts[s.id]['opened']} / {counts[s.id]['clicked']} / {counts[s.id]['replied']}",
                    title=step_label(s),
                )
                for s in emails
            ],
            row=20,
        )
        if emails
        else Markup("")
    )
    empty = not any(c.get("entered") for c in counts.values())  # nobody yet: say so, draw nothing
    return {"by_step": counts, "chart": Markup("") if empty else chart, "empty": empty}
