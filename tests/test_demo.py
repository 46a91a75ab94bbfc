"""`make run`'s demo data: loads on an empty database and shows a working day at first look."""

from __future__ import annotations

from sqlalchemy import func, select

from crm.demo import DEMO_LOGINS, load_demo
from crm.extensions import db
from crm.models import DomainEvent


def test_the_demo_loads_and_each_rep_opens_an_agenda_with_work_in_it(client, app):
    load_demo()
    assert db.session.scalar(select(func.count()).where(DomainEvent.processed_at.is_(None))) == 0
    for email, password, role in DEMO_LOGINS:
        if role != "rep":
            continue
        assert client.post("/login", data={"email": email, "password": password}).status_code == 302
        page = client.get("/agenda/").get_data(as_text=True)
        assert "Follow up on the proposal" in page  # overdue
        assert "Check the budget with the buyer" in page  # today
        assert "Prepare the contract draft" in page  # this week
        client.post("/logout")
