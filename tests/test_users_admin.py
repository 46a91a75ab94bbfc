"""Settings > Users, and the create-user command."""

from __future__ import annotations

import re

from sqlalchemy import select

from crm.extensions import db
from crm.models import User
from tests.conftest import PASSWORD

FORM = {
    "email": "new@example.com",
    "name": "New Rep",
    "role": "rep",
    "timezone": "America/New_York",
    "locale": "fr",
}


def test_admin_creates_a_user_who_can_log_in(client, auth, admin, app):
    auth.login(admin)
    response = client.post(
        "/settings/users/new",
        data={
            **FORM,
            "password": "long-enough-pw",
            "active": "y",
            "signature_html": '<p onclick="steal()">Best,<br><b>New</b><script>alert(1)</script>'
            '<a href="javascript:alert(2)">x</a><span hx-get="/x">y</span></p>',
        },
        htmx=True,
    )
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/settings/users/"
    user = db.session.scalars(select(User).where(User.email == "new@example.com")).one()
    assert (user.role, user.timezone, user.locale, user.active) == ("rep", "America/New_York", "fr", True)
    assert user.signature_html == (
        '<p>Best,<br><b>New</b><a rel="noopener noreferrer">x</a><span>y</span></p>'
    )
    auth.logout()
    other = app.test_client()
    assert (
        other.post("/login", data={"email": "new@example.com", "password": "long-enough-pw"}).status_code
        == 302
    )


def _selected(html: str, name: str) -> list[str]:
    select_html = re.search(rf'<select[^>]* name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select_html, name
    return re.findall(r'<option selected value="([^"]*)"', select_html.group(1))


def test_new_user_form_starts_as_a_rep_in_the_company_time_zone(client, auth, admin, app, monkeypatch):
    """Not the first choices (Administrator, Africa/Abidjan), nor the admin's own time zone."""
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_TIMEZONE", "America/Montreal")
    auth.login(admin)  # in Europe/Paris
    for htmx in (False, True):
        html = client.get("/settings/users/new", htmx=htmx).get_data(as_text=True)
        assert _selected(html, "role") == ["rep"]
        assert _selected(html, "timezone") == ["America/Montreal"]
    # What the admin picks stays picked when the form comes back with an error.
    response = client.post("/settings/users/new", data={**FORM, "role": "admin", "password": "short"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert _selected(html, "role") == ["admin"] and _selected(html, "timezone") == ["America/New_York"]


def test_invalid_user_form_saves_nothing(client, auth, admin):
    auth.login(admin)
    for bad in ({"email": "nope"}, {"role": "god"}, {"timezone": "Mars/Olympus"}, {"password": "short"}):
        response = client.post(
            "/settings/users/new", data={**FORM, "password": "long-enough-pw", **bad}, htmx=True
        )
        assert response.status_code == 422, bad
    dup = client.post(
        "/settings/users/new", data={**FORM, "email": admin.email, "password": "long-enough-pw"}
    )
    assert dup.status_code == 422 and "already exists" in dup.get_data(as_text=True)
    assert db.session.scalars(select(User.email)).all() == [admin.email]


def test_edit_keeps_password_when_empty_and_changes_it_when_given(client, auth, admin, rep, app):
    auth.login(admin)
    data = {
        "email": rep.email,
        "name": "Renamed",
        "role": "rep",
        "timezone": "Europe/Paris",
        "locale": "",
        "active": "y",
    }
    assert client.post(f"/settings/users/{rep.id}/edit", data=data).status_code == 302
    assert db.session.get(User, rep.id).check_password(PASSWORD)
    client.post(f"/settings/users/{rep.id}/edit", data={**data, "password": "brand-new-secret"})
    user = db.session.get(User, rep.id)
    assert user.name == "Renamed" and user.check_password("brand-new-secret")


def test_last_admin_stays_an_active_admin(client, auth, admin):
    auth.login(admin)
    data = {
        "email": admin.email,
        "name": admin.name,
        "role": "rep",
        "timezone": "Europe/Paris",
        "locale": "",
        "active": "y",
    }
    response = client.post(f"/settings/users/{admin.id}/edit", data=data, htmx=True)
    assert response.status_code == 422 and "last active administrator" in response.get_data(as_text=True)
    assert db.session.get(User, admin.id).role == "admin"


def test_deactivated_user_is_logged_out(client, auth, admin, rep, app):
    rep_client = app.test_client()
    rep_client.post("/login", data={"email": rep.email, "password": PASSWORD})
    assert rep_client.get("/accounts/").status_code == 200
    auth.login(admin)
    data = {"email": rep.email, "name": rep.name, "role": "rep", "timezone": "Europe/Paris", "locale": ""}
    client.post(f"/settings/users/{rep.id}/edit", data=data)
    assert db.session.get(User, rep.id).active is False
    assert rep_client.get("/accounts/").status_code == 302


def test_create_user_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "boss@example.com",
            "--name",
            "Boss",
            "--password",
            "plum-ferry-quartz",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User).where(User.email == "boss@example.com")).one()
    assert user.role == "admin" and user.check_password("plum-ferry-quartz")
    assert user.timezone == app.config["BABEL_DEFAULT_TIMEZONE"]  # COMPANY_TIMEZONE
    again = runner.invoke(
        args=["create-user", "--email", "boss@example.com", "--name", "B", "--password", "plum-ferry-quartz"]
    )
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(
        args=["create-user", "--email", "x@example.com", "--name", "X", "--password", "short"]
    )
    assert short.exit_code != 0
