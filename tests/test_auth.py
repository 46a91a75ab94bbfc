"""Login, logout, throttling, safe redirects, cookies."""

from __future__ import annotations

import pytest

from app import create_app
from crm.extensions import db
from crm.models import User
from tests.conftest import PASSWORD


def test_login_then_logout(client, rep):
    response = client.post("/login", data={"email": rep.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/accounts/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/accounts/").status_code == 302


def test_wrong_password_says_so_and_stays_anonymous(client, rep):
    response = client.post("/login", data={"email": rep.email, "password": "nope-nope"})
    assert response.status_code == 401
    assert "Invalid email or password." in response.get_data(as_text=True)
    assert client.get("/accounts/").status_code == 302


def test_failed_logins_lock_the_account_for_a_while(client, rep, app):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert client.post("/login", data={"email": rep.email, "password": "wrong-one"}).status_code == 401
    locked = client.post("/login", data={"email": rep.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.get_data(as_text=True)
    assert db.session.get(User, rep.id).locked_until is not None
    # The lock is per account: another user logs in fine.
    from tests.factories import make_user

    other = make_user()
    assert client.post("/login", data={"email": other.email, "password": PASSWORD}).status_code == 302


def test_inactive_user_cannot_log_in(client, rep):
    rep.active = False
    db.session.commit()
    response = client.post("/login", data={"email": rep.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "deactivated" in response.get_data(as_text=True)


def test_invalid_login_form_shows_errors(client):
    response = client.post("/login", data={"email": "not-an-email", "password": ""})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Invalid email address." in body
    assert "This field is required." in body


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/%0d%0a",
    ],
)
def test_next_only_redirects_to_local_paths(client, rep, target):
    response = client.post(f"/login?next={target}", data={"email": rep.email, "password": PASSWORD})
    assert response.status_code == 302
    location = response.location
    assert "evil" not in location and "javascript" not in location
    assert location.startswith("/")


def test_next_keeps_a_local_path(client, rep):
    response = client.post("/login?next=/contacts/?q=x", data={"email": rep.email, "password": PASSWORD})
    assert response.location == "/contacts/?q=x"


def test_anonymous_is_sent_to_login_and_htmx_gets_hx_redirect(client):
    response = client.get("/accounts/")
    assert response.status_code == 302 and response.location.startswith("/login?next=")
    response = client.get("/accounts/", htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/login?next=")


def test_session_cookie_is_httponly_and_lax(client, rep):
    response = client.post("/login", data={"email": rep.email, "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development/test only


def test_cookies_are_secure_outside_development(monkeypatch):
    monkeypatch.setenv("CRM_ENV", "production")
    assert create_app().config["SESSION_COOKIE_SECURE"] is True


def test_login_without_csrf_token_is_refused(client, rep):
    response = client.post("/login", data={"email": rep.email, "password": PASSWORD}, csrf=False)
    assert response.status_code == 400


def test_passwords_are_stored_as_scrypt_hashes_by_default(app, monkeypatch):
    from crm.config import Config

    monkeypatch.delenv("PASSWORD_HASH_METHOD", raising=False)
    assert Config().PASSWORD_HASH_METHOD == "scrypt"
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", "scrypt")
    user = User(email="hash@example.com", name="Hash", role="rep")
    user.set_password("a-long-secret-phrase")
    assert user.password_hash.startswith("scrypt:")
    assert "a-long-secret-phrase" not in user.password_hash
    assert user.check_password("a-long-secret-phrase") and not user.check_password("wrong")
