"""Login, logout, throttling, safe redirects, cookies."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

from app import create_app
from crm.extensions import db
from crm.models import User
from crm.services.users import update_user
from tests.conftest import PASSWORD, Auth
from tests.factories import make_user


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


def test_failed_logins_throttle_the_account_for_a_while(client, rep, app):
    for _ in range(5):  # LOGIN_LIMIT_ACCOUNT: 5 per 15 minutes
        assert client.post("/login", data={"email": rep.email, "password": "wrong-one"}).status_code == 401
    for password in (PASSWORD, "wrong-again"):  # the answer does not tell whether it was right
        locked = client.post("/login", data={"email": rep.email, "password": password})
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
        assert "Too many login attempts. Try again in 15 minutes." in locked.get_data(as_text=True)
    # Per account: another user logs in fine from the same browser.
    other = make_user()
    assert client.post("/login", data={"email": other.email, "password": PASSWORD}).status_code == 302


def test_a_known_browser_is_never_locked_out_by_someone_else(app, rep):
    """Hammering a known address shuts out only browsers that never logged in to that account."""
    mine, attacker, new_laptop = (app.test_client() for _ in range(3))
    assert Auth(mine).login(rep) and mine.post("/logout").status_code == 302
    for _ in range(8):
        attacker.post("/login", data={"email": rep.email, "password": "guess"})
    assert attacker.post("/login", data={"email": rep.email, "password": PASSWORD}).status_code == 429
    assert new_laptop.post("/login", data={"email": rep.email, "password": PASSWORD}).status_code == 429
    assert mine.post("/login", data={"email": rep.email, "password": PASSWORD}).status_code == 302


def test_one_address_is_throttled_whatever_the_accounts_it_tries(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_IP", "3 per minute")
    statuses = [
        client.post("/login", data={"email": f"who{n}@example.com", "password": "x"}).status_code
        for n in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]


def test_concurrent_guesses_get_no_more_password_checks_than_the_limit(live_server, rep):
    """The count is atomic (Redis), taken before the password is checked: 40 guesses at once get at
    most 5 answers that a password was checked (401); every other one is refused unchecked (429)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{live_server}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = urlencode({"email": rep.email, "password": "guess", "csrf_token": token}).encode()

    def guess(_: int) -> int:
        try:
            return opener.open(f"{live_server}/login", data=body).status
        except urllib.error.HTTPError as err:
            return err.code

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(guess, range(40)))
    assert statuses.count(401) <= 5 and statuses.count(429) >= 35, statuses
    assert set(statuses) <= {401, 429}


def test_inactive_user_cannot_log_in_and_learns_nothing_about_the_password(client, rep):
    rep.active = False
    db.session.commit()
    answers = set()
    for password in (PASSWORD, "not-the-password"):
        response = client.post("/login", data={"email": rep.email, "password": password})
        assert response.status_code == 403
        assert "deactivated" in response.get_data(as_text=True)
        page = response.get_data(as_text=True).replace(password, "")
        # The CSRF tokens carry a timestamp: two requests a second apart differ there only.
        answers.add(re.sub(r'(csrf[-_]token"[^>]*(?:content|value)=")[^"]+', r"\1", page))
    assert len(answers) == 1


def _copy_cookies(source, target) -> None:  # type: ignore[no-untyped-def]
    for name in ("session", "remember_token"):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


@pytest.mark.parametrize("how", ["logout", "password reset by an admin"])
def test_copied_session_and_remember_cookies_die_with_logout_and_password_reset(app, rep, admin, how):
    browser, thief = app.test_client(), app.test_client()
    response = browser.post("/login", data={"email": rep.email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302 and browser.get_cookie("remember_token") is not None
    _copy_cookies(browser, thief)
    assert thief.get("/accounts/").status_code == 200  # a copied cookie works, as it would anywhere
    remember_only = app.test_client()
    remember_only.set_cookie("remember_token", browser.get_cookie("remember_token").value)
    assert remember_only.get("/accounts/").status_code == 200
    if how == "logout":
        assert browser.post("/logout").status_code == 302
    else:
        manager = app.test_client()
        Auth(manager).login(admin)
        edit = manager.get(f"/settings/users/{rep.id}/edit").get_data(as_text=True)
        assert rep.email in edit
        user = db.session.get(User, rep.id)
        update_user(user, actor=db.session.get(User, admin.id), password="a-brand-new-passphrase")
    for stale in (thief, remember_only):
        stale.delete_cookie("session") if stale is remember_only else None
        assert stale.get("/accounts/").status_code == 302, how


def test_the_csrf_token_changes_at_login(client, rep):
    before = client.csrf_token()
    assert client.post("/login", data={"email": rep.email, "password": PASSWORD}).status_code == 302
    with client.session_transaction() as sess:
        assert "csrf_token" not in sess or client.csrf_token() != before
    # The token of the anonymous page is no good once signed in.
    stale = client.post("/logout", headers={"X-CSRFToken": before}, csrf=False)
    assert stale.status_code == 400


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
