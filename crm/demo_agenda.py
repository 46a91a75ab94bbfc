"""Demo actions for `make run`: a working day in each rep's Agenda."""

from __future__ import annotations

import random
from datetime import date, timedelta

from crm.extensions import db
from crm.models import Opportunity


def demo_agenda(opportunities: list[Opportunity], rnd: random.Random) -> None:
    """A few actions per rep on their open deals: one overdue, some today, some this week, so the
    Agenda and its badge show what a working day looks like."""
    from datetime import time

    from crm.services.actions import create_action, ensure_default_action_types, type_named

    ensure_default_action_types()
    today = date.today()
    plans = [
        ("Call", "Follow up on the proposal", -2, time(10, 0)),
        ("Call", "Check the budget with the buyer", 0, time(9, 30)),
        ("Meeting", "Demo with the team", 0, time(14, 0)),
        ("Email", "Send the case studies", 0, None),
        ("Meeting", "Negotiation meeting", 2, time(11, 0)),
        ("To-do", "Prepare the contract draft", 4, None),
    ]
    open_deals = [o for o in opportunities if o.is_open and o.owner is not None]
    for owner in {o.owner for o in open_deals}:
        deals = [o for o in open_deals if o.owner is owner]
        for type_name, title, days, at in plans:
            action_type = type_named(type_name)
            if action_type is None or not deals:
                continue
            create_action(
                actor=owner,
                type=action_type,
                title=title,
                assignee=owner,
                due_date=today + timedelta(days=days),
                due_time=at,
                opportunity=rnd.choice(deals),
                commit=False,
            )
    db.session.commit()
