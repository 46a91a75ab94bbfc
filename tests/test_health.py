"""/healthz, the favicon, and static files cached for a year under URLs that change with them."""

from __future__ import annotations

import hashlib
import re

from app import create_app
from crm.procs import free_port
from tests.services import ROOT


def test_healthz_says_ok_without_login_or_session(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "redis": "ok"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_never_throttled(client):
    assert {client.get("/healthz").status_code for _ in range(60)} == {200}


def test_healthz_names_what_failed(app, tmp_path):
    redis_down = create_app({"TESTING": True, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    response = redis_down.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json() == {"database": "ok", "redis": "failed"}
    no_database = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/crm.sqlite3"}
    )
    response = no_database.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json() == {"database": "failed", "redis": "ok"}


def test_static_urls_carry_the_files_hash_and_are_cached_for_a_year(client, auth, rep):
    auth.login(rep)
    page = client.get("/").get_data(as_text=True) + client.get("/login").get_data(as_text=True)
    links = dict(re.findall(r'(?:href|src)="/static/([^"?]+)\?v=([0-9a-f]+)"', page))
    assert {"css/app.css", "vendor/htmx.min.js", "js/app.js", "favicon.svg"} <= set(links)
    assert not re.search(r'(?:href|src)="/static/[^"?]+"', page)  # none left unversioned
    for name, version in links.items():
        assert version == hashlib.sha256((ROOT / "static" / name).read_bytes()).hexdigest()[:12]
    response = client.get(f"/static/css/app.css?v={links['css/app.css']}")
    assert response.status_code == 200  # signed in, yet not no-store: a static file, not a page
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get("/static/css/app.css").headers["Cache-Control"] == "public, max-age=3600"
    assert client.get("/").headers["Cache-Control"] == "no-store"  # pages still never kept


def test_the_favicon_is_linked_and_favicon_ico_finds_it(client):
    assert 'rel="icon" href="/static/favicon.svg?v=' in client.get("/login").get_data(as_text=True)
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.location.startswith("/static/favicon.svg?v=")
    icon = client.get(response.location)
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
