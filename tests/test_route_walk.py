"""Walk every route: CSRF on unsafe methods, reps refused on admin pages, anonymous sent to login,
unknown ids answer 404 — never a 500."""

from __future__ import annotations

import re

import pytest

from app import create_app

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
ADMIN_PREFIX = "/settings/"
PUBLIC = {"auth.login", "auth.language", "static", "health.healthz", "health.favicon"}
MAIL_LINKS = (
    "public.",
    "inbound.",
)  # mail links and the provider's inbound hook: no login, no CSRF (RFC 8058; token)


def _rules():
    app = create_app({"TESTING": True})
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def _url(rule, value: str = "1") -> str:
    def fill(match: re.Match[str]) -> str:
        converter, name = match.group(1), match.group(2)
        if converter and converter.startswith("any"):
            return "accounts"
        if converter == "int" or name.endswith("_id"):
            return value
        return "x"

    return re.sub(r"<(?:([a-z]+(?:\([^)]*\))?):)?([a-z_]+)>", fill, rule.rule)


RULES = _rules()
UNSAFE_RULES = [
    (r, m) for r in RULES for m in sorted(r.methods & UNSAFE) if not r.endpoint.startswith(MAIL_LINKS)
]
ADMIN_RULES = [r for r in RULES if r.rule.startswith(ADMIN_PREFIX)]
PRIVATE_RULES = [r for r in RULES if r.endpoint not in PUBLIC and not r.endpoint.startswith(MAIL_LINKS)]


def test_the_walk_covers_the_app():
    assert len(UNSAFE_RULES) >= 10 and len(ADMIN_RULES) >= 8


@pytest.mark.parametrize(("rule", "method"), UNSAFE_RULES, ids=lambda v: getattr(v, "rule", v))
def test_unsafe_request_without_csrf_token_is_refused(client, auth, admin, rule, method):
    auth.login(admin)
    for htmx in (False, True):
        response = client.open(_url(rule), method=method, data={"name": "x"}, csrf=False, htmx=htmx)
        assert response.status_code == 400, (rule.rule, htmx, response.status_code)


@pytest.mark.parametrize("rule", ADMIN_RULES, ids=lambda r: r.rule)
def test_rep_is_refused_on_every_admin_route(client, auth, rep, rule):
    auth.login(rep)
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        response = client.open(_url(rule), method=method, data={"name": "x"})
        assert response.status_code == 403, (rule.rule, method)
        assert "do not have access" in response.get_data(as_text=True)


@pytest.mark.parametrize("rule", PRIVATE_RULES, ids=lambda r: r.rule)
def test_anonymous_goes_to_login(client, rule):
    method = "GET" if "GET" in rule.methods else sorted(rule.methods & UNSAFE)[0]
    response = client.open(_url(rule), method=method)
    assert response.status_code == 302 and response.location.startswith("/login"), rule.rule
    response = client.open(_url(rule), method=method, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/login"), rule.rule


@pytest.mark.parametrize(
    "rule", [r for r in RULES if "_id>" in r.rule or "<key>" in r.rule], ids=lambda r: r.rule
)
def test_unknown_ids_answer_404(client, auth, admin, rule):
    auth.login(admin)
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        response = client.open(_url(rule, "987654"), method=method, data={"name": "x", "stage_id": "1"})
        assert response.status_code == 404, (rule.rule, method, response.status_code)
