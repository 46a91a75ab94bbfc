"""Notes with @mentions and the bell, first-class tags (colour, rename, merge), the feed's filters."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from automation.mailing.compose import queue_email
from crm.extensions import db
from crm.models import Contact, DomainEvent, Notification, Opportunity, Tag
from crm.services.pipelines import set_access
from crm.services.records import save_record
from tests.conftest import PASSWORD, Auth
from tests.factories import make_action, make_contact, make_opportunity, make_pipeline, make_user


def test_a_mention_notifies_the_person_named_and_the_bell_links_back(client, auth, rep, app):
    alice = make_user(name="Alice Martin", email="alice@ourco.example")
    opp = make_opportunity(make_pipeline().stages[0], name="Big deal")
    auth.login(rep)
    response = client.post(
        f"/opportunities/{opp.id}/notes",
        data={"text": "@alice can you call them? <script>x</script>"},
        htmx=True,
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert '<span class="mention">@alice</span> can you call them? &lt;script&gt;' in body
    [note] = db.session.scalars(select(Notification)).all()
    assert (note.user_id, note.opportunity_id, note.author_id, note.read_at) == (
        alice.id,
        opp.id,
        rep.id,
        None,
    )
    alice_client = app.test_client()
    alice_client.post("/login", data={"email": alice.email, "password": PASSWORD})
    assert '<span class="count"' in alice_client.get("/notifications/bell", htmx=True).get_data(as_text=True)
    menu = alice_client.get("/notifications/", htmx=True).get_data(as_text=True)
    assert "Remy Rep mentioned you on Big deal" in menu
    opened = alice_client.get(f"/notifications/{note.id}")
    assert opened.status_code == 302 and opened.location.startswith(f"/opportunities/{opp.id}")
    assert db.session.get(Notification, note.id).read_at is not None
    assert '<span class="count"' not in alice_client.get("/notifications/bell", htmx=True).get_data(
        as_text=True
    )
    assert client.get(f"/notifications/{note.id}").status_code == 404  # not the rep's notification


def test_a_mention_never_tells_anyone_about_a_deal_hidden_from_them(client, auth, admin, app):
    """Named in a note on a restricted pipeline they are not a member of: no notification, no bell;
    one made before the pipeline was restricted is no longer shown either."""
    outsider = make_user(name="Olga Outsider", email="olga@ourco.example")
    member = make_user(name="Mia Member", email="mia@ourco.example")
    secret = make_pipeline("Key accounts", ["Approach"])
    opp = make_opportunity(secret.stages[0], name="Secret deal")
    auth.login(admin)
    client.post(
        f"/opportunities/{opp.id}/notes", data={"text": "@olga before the lock: price 90k"}, htmx=True
    )
    set_access(secret, restricted=True, members=[member])
    client.post(f"/opportunities/{opp.id}/notes", data={"text": "@olga @mia price is 80k"}, htmx=True)
    assert {n.user_id for n in db.session.scalars(select(Notification))} == {outsider.id, member.id}
    assert db.session.scalar(select(func.count()).where(Notification.user_id == outsider.id)) == 1
    olga = app.test_client()
    Auth(olga).login(outsider)
    menu = olga.get("/notifications/", htmx=True).get_data(as_text=True)
    assert "Secret deal" not in menu and "90k" not in menu and "80k" not in menu
    assert '<span class="count"' not in olga.get("/notifications/bell", htmx=True).get_data(as_text=True)
    [early] = db.session.scalars(select(Notification).where(Notification.user_id == outsider.id))
    assert olga.get(f"/notifications/{early.id}").status_code == 404
    mia = app.test_client()
    Auth(mia).login(member)
    assert "Secret deal" in mia.get("/notifications/", htmx=True).get_data(as_text=True)


def test_empty_note_is_refused(client, auth, rep):
    opp = make_opportunity(make_pipeline().stages[0])
    auth.login(rep)
    assert client.post(f"/opportunities/{opp.id}/notes", data={"text": "   "}, htmx=True).status_code == 422
    assert db.session.scalars(select(Notification)).first() is None


def test_tags_added_and_removed_inline_fire_tag_added(client, auth, rep):
    opp = make_opportunity(make_pipeline().stages[0])
    auth.login(rep)
    response = client.post(f"/opportunities/{opp.id}/tags/add", data={"name": "Hot lead"}, htmx=True)
    assert json.loads(response.headers["HX-Trigger"])["boardChanged"]
    tag = db.session.scalars(select(Tag)).one()
    [event] = db.session.scalars(select(DomainEvent).where(DomainEvent.kind == "tag_added")).all()
    assert event.payload == {"tag_id": tag.id, "tag": "Hot lead"} and event.opportunity_id == opp.id
    client.post(f"/opportunities/{opp.id}/tags/add", data={"name": "hot LEAD"}, htmx=True)  # same tag
    assert len(db.session.scalars(select(DomainEvent).where(DomainEvent.kind == "tag_added")).all()) == 1
    client.post(f"/opportunities/{opp.id}/tags/{tag.id}/remove", htmx=True)
    assert db.session.get(Opportunity, opp.id).tags == []
    assert client.post(f"/opportunities/{opp.id}/tags/add", data={"name": ""}, htmx=True).status_code == 422


def test_tag_colour_rename_and_merge(client, auth, admin):
    pipeline = make_pipeline()
    one = make_opportunity(pipeline.stages[0], tags=["Vip"])
    both = make_opportunity(pipeline.stages[0], tags=["Vip", "VIP customers"])
    contact = make_contact()
    save_record(contact, {"tags": "Vip"})
    vip, customers = (
        db.session.scalars(select(Tag).where(Tag.name == n)).one() for n in ("Vip", "VIP customers")
    )
    customers_id = customers.id
    auth.login(admin)
    bad = client.post(f"/settings/tags/{vip.id}", data={"name": "Vip", "color": "red"}, htmx=True)
    assert bad.status_code == 422 and "#2f5bea" in bad.headers["HX-Trigger"]
    client.post(f"/settings/tags/{vip.id}", data={"name": "VIP", "color": "#E11D48"}, htmx=True)
    assert (db.session.get(Tag, vip.id).name, db.session.get(Tag, vip.id).color) == ("VIP", "#e11d48")
    clash = client.post(f"/settings/tags/{customers.id}", data={"name": "vip", "color": "#000000"}, htmx=True)
    assert (
        clash.status_code == 422
        and "merge them instead" in json.loads(clash.headers["HX-Trigger"])["toast"]["message"]
    )
    merged = client.post(f"/settings/tags/{customers_id}/merge", data={"into": vip.id}, htmx=True)
    assert "merged into “VIP”" in json.loads(merged.headers["HX-Trigger"])["toast"]["message"]
    assert db.session.get(Tag, customers_id) is None
    assert [t.name for t in db.session.get(Opportunity, one.id).tags] == ["VIP"]
    assert [t.name for t in db.session.get(Opportunity, both.id).tags] == ["VIP"]
    assert [t.name for t in db.session.get(Contact, contact.id).tags] == ["VIP"]


def test_feed_interleaves_everything_and_filters_by_kind(client, auth, rep):
    opp = make_opportunity(make_pipeline().stages[0], name="Mixed feed", actor=rep)
    auth.login(rep)
    client.post(f"/opportunities/{opp.id}/notes", data={"text": "A note"}, htmx=True)
    make_action(rep, title="Call them", opportunity=opp)
    queue_email(
        key="f1",
        kind="transactional",
        to_email="x@example.com",
        subject="Your offer",
        html="<p>x</p>",
        opportunity=opp,
    )
    db.session.commit()
    full = client.get(f"/opportunities/{opp.id}").get_data(as_text=True).split('id="opp-feed"', 1)[1]
    for kind in (
        'data-kind="created"',
        'data-kind="note"',
        'data-kind="action_created"',
        'data-kind="email"',
    ):
        assert kind in full
    assert full.index('data-kind="email"') < full.index('data-kind="created"')  # newest first
    notes = client.get(f"/opportunities/{opp.id}?block=feed&feed=notes", htmx=True).get_data(as_text=True)
    assert (
        'data-kind="note"' in notes
        and 'data-kind="created"' not in notes
        and 'data-kind="email"' not in notes
    )
    emails = client.get(f"/opportunities/{opp.id}?block=feed&feed=emails", htmx=True).get_data(as_text=True)
    assert "Email “Your offer” to x@example.com" in emails and 'data-kind="note"' not in emails


def test_board_header_draws_the_funnel(client, auth, rep):
    pipeline = make_pipeline("Sales", ["New", "Won-ready"])
    make_opportunity(pipeline.stages[0], amount=1000)
    make_opportunity(pipeline.stages[0], amount=500)
    auth.login(rep)
    page = client.get(f"/boards/{pipeline.id}").get_data(as_text=True)
    chart = page.split('<ol class="funnel-rows"', 1)[1].split("</ol>", 1)[0]
    assert '<span class="funnel-label">New</span>' in chart and "2 · €1,500" in chart
    assert '<span class="funnel-label">Won-ready</span>' in chart and "0 · €0" in chart
