"""My profile: each user edits their own name, signature (sanitised), language, time zone and password."""

from __future__ import annotations

from crm.extensions import db
from crm.models import User
from tests.conftest import PASSWORD, Auth

FORM = {"name": "Remy Rep", "timezone": "America/Montreal", "locale": "fr"}


def test_a_rep_edits_their_own_profile_and_the_signature_is_cleaned(client, auth, rep):
    auth.login(rep)
    page = client.get("/profile/")
    assert page.status_code == 200 and rep.email in page.get_data(as_text=True)
    signature = '<p>Remy — <b>Acme</b></p><script>alert(1)</script><img src=x onerror="alert(2)">'
    response = client.post("/profile/", data={**FORM, "signature_html": signature})
    assert response.status_code == 302
    user = db.session.get(User, rep.id)
    assert (user.timezone, user.locale) == ("America/Montreal", "fr")
    assert "<b>Acme</b>" in user.signature_html
    assert "script" not in user.signature_html and "onerror" not in user.signature_html
    assert "Mon profil" in client.get("/profile/").get_data(as_text=True)  # the chosen language


def test_bad_profile_input_is_refused_and_changes_nothing(client, auth, rep):
    auth.login(rep)
    for bad in ({"name": ""}, {"timezone": "Mars/Olympus"}, {"locale": "xx"}, {"name": "x" * 200}):
        response = client.post("/profile/", data={**FORM, **bad}, htmx=True)
        assert response.status_code == 422, bad
    assert db.session.get(User, rep.id).timezone == rep.timezone


def test_changing_ones_password_needs_the_current_one_and_ends_the_other_sessions(app, client, auth, rep):
    auth.login(rep)
    other_browser = app.test_client()
    Auth(other_browser).login(rep)
    new = {**FORM, "new_password": "plum-ferry-quartz"}
    wrong = client.post("/profile/", data={**new, "current_password": "nope"}, htmx=True)
    assert wrong.status_code == 422 and "current password" in wrong.get_data(as_text=True)
    weak = client.post(
        "/profile/", data={**FORM, "current_password": PASSWORD, "new_password": "remyremyremy"}
    )
    assert weak.status_code == 422 and db.session.get(User, rep.id).check_password(PASSWORD)
    ok = client.post("/profile/", data={**new, "current_password": PASSWORD})
    assert ok.status_code == 302
    assert db.session.get(User, rep.id).check_password("plum-ferry-quartz")
    assert client.get("/profile/").status_code == 200  # this browser stays signed in
    assert other_browser.get("/profile/").status_code == 302  # the other one is signed out


def test_the_top_bar_links_to_the_profile(client, auth, rep):
    auth.login(rep)
    assert 'href="/profile/"' in client.get("/agenda/").get_data(as_text=True)
    assert client.get("/profile/", follow_redirects=False).status_code == 200
