"""Every GET URL a person can open in a new tab answers a whole page (the layout around it), a
redirect, a refusal or a file: never a bare HTMX fragment. HTMX requests keep their fragments."""

from __future__ import annotations

from typing import Any

import pytest

from app import create_app
from tests.fuzz.harness import _path
from tests.fuzz.world import clients, world
from tests.test_hostile_path_ids import _real_ids

__all__ = ["clients", "world"]  # fixtures

# Query strings the app's own links put on these URLs (the Won/Lost/Dormant links, new steps…).
QUERIES: dict[str, list[dict[str, str]]] = {
    "opportunities.result": [{"result": "won"}, {"result": "lost"}, {"result": "dormant"}, {}],
    "scenarios.add": [{"kind": kind} for kind in ("email", "pause", "if", "end")],
    "triggers.add_effect": [{"kind": "create_action"}, {"kind": "send_email"}],
    "board.more": [{"offset": "25"}, {}],
}


def _get_rules() -> list[Any]:
    app = create_app({"TESTING": True})
    return sorted(
        (r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"),
        key=lambda r: r.rule,
    )


GET_RULES = _get_rules()


def test_the_walk_covers_the_app():
    assert len(GET_RULES) >= 60


@pytest.mark.parametrize("rule", GET_RULES, ids=lambda r: r.rule)
def test_every_get_url_opened_in_a_new_tab_is_a_whole_page(world, clients, rule):
    path = _path(rule, {"token": "x", "key": "x", **_real_ids(world, rule.endpoint)})
    for query in QUERIES.get(rule.endpoint, [{}]):
        response = clients["admin"].get(path, query_string=query)
        status, mimetype = response.status_code, response.mimetype
        where = f"GET {path} {query or ''} -> {status} {mimetype}"
        assert status != 500, where
        if status != 200 or mimetype != "text/html":
            assert status in (200, 301, 302, 303, 304, 403, 404, 410), where
            continue
        body = response.get_data(as_text=True)
        assert "<html" in body and "</html>" in body, f"{where}: a fragment: {body[:200]!r}"


def test_the_edit_link_opened_alone_is_the_opportunity_page_with_its_form_open(world, clients):
    body = clients["admin"].get(f"/opportunities/{world.opp}/edit").get_data(as_text=True)
    assert "<html" in body and 'id="opp-feed"' in body  # the whole opportunity page…
    assert (
        f'<form id="opp-fields" class="panel stack" method="post" action="/opportunities/{world.opp}/edit"'
        in body
    )


def test_a_dialog_opened_alone_opens_on_its_host_page(world, clients):
    body = clients["admin"].get(f"/opportunities/{world.opp}/result?result=lost").get_data(as_text=True)
    assert 'id="opp-feed"' in body and '<div id="modal">\n<dialog data-open' in body.replace("  ", "")
    assert "as lost" in body


# What HTMX swaps in: still the bare fragment.
FRAGMENTS = [
    "/opportunities/{opp}/edit",
    "/opportunities/{opp}/result?result=won",
    "/actions/{action}",
    "/actions/{action}/edit",
    "/actions/new",
    "/agenda/badge",
    "/notifications/",
    "/notifications/bell",
    "/boards/{pipeline}/stages/{stage}/cards",
    "/people/contacts/{contact}/scenarios",
    "/quotes/{quote}/send",
    "/settings/pipelines/{pipeline}/triggers/",
    "/settings/pipelines/{pipeline}/triggers/new",
    "/settings/pipelines/{pipeline}/triggers/{trigger}",
    "/settings/pipelines/{pipeline}/triggers/{trigger}/effects/{effect}",
    "/settings/pipelines/{pipeline}/triggers/{trigger}/test",
    "/settings/scenarios/{scenario}/people",
    "/settings/scenarios/{scenario}/people/{enrollment}",
    "/settings/scenarios/{scenario}/steps/{step}",
]


@pytest.mark.parametrize("url", FRAGMENTS)
def test_htmx_requests_still_get_the_fragment(world, clients, url):
    ids = {
        "opp": world.opp,
        "action": world.action,
        "pipeline": world.pipeline,
        "stage": world.stages[0],
        "contact": world.contact,
        "quote": world.quote,
        "trigger": world.trigger,
        "effect": world.effects[0],
        "scenario": world.scenario,
        "enrollment": world.enrollment,
        "step": world.steps["pause"],
    }
    response = clients["admin"].get(url.format(**ids), htmx=True)
    assert response.status_code == 200, (url, response.status_code)
    assert "<html" not in response.get_data(as_text=True), url
