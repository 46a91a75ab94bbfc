"""Hostile ids in the URL of every route that has one, each request sent for sure (the fuzzer only
draws them at random): with every other part of the request plausible, an unknown or malformed id
answers 404 and writes nothing (the database is compared before the first and after the last; on
a difference, request by request); the same request with the real id is found."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import create_app
from crm.extensions import db
from tests.fuzz.harness import FUZZ, SPECS, _diff, _files, _path, id_args, snapshot
from tests.fuzz.values import UNKNOWN_PATH_IDS
from tests.fuzz.world import World, clients, world

__all__ = ["clients", "world"]  # fixtures


def _id_routes() -> list[tuple[str, str]]:
    """(endpoint, method) of every route with a number in its path, read from the URL map."""
    app = create_app({"TESTING": True})
    return sorted(
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if "<int:" in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


ID_ROUTES = _id_routes()


def _real_ids(w: World, endpoint: str) -> dict[str, Any]:
    """Path values that exist and belong together, by argument name."""
    values = {
        "kind": "contacts",
        "record_id": w.contact,
        "lead_id": w.lead,
        "opportunity_id": w.opp,
        "tag_id": w.tags[1],
        "quote_id": w.quote,
        "line_id": w.line,
        "action_id": w.action,
        "pipeline_id": w.pipeline,
        "stage_id": w.stages[0],
        "type_id": w.types[0],
        "run_id": w.run,
        "campaign_id": w.campaign,
        "message_id": w.outbox,
        "trigger_id": w.trigger,
        "effect_id": w.effects[0],
        "scenario_id": w.scenario,
        "enrollment_id": w.simulation if endpoint == "scenario_runs.simulate_step" else w.enrollment,
        # Files hang on email steps only: those routes need one to answer anything but 404.
        "step_id": w.steps["email"] if endpoint.startswith("step_files.") else w.steps["pause"],
        "sender_id": w.sender,
        "template_id": w.template,
        "upload_id": w.upload,
        "name": "pixel.png",
        "user_id": w.other,
    }
    if endpoint == "notifications.open_one":
        values["notification_id"] = _notification(w)
    if endpoint == "step_files.remove_attachment":
        _attach(w)
    return values


def _attach(w: World) -> None:
    """The upload attached to the email step, so that removing it is a real request."""
    from crm.models import StepFile

    if db.session.get(StepFile, (w.steps["email"], w.upload, "attachment")) is None:
        db.session.add(StepFile(step_id=w.steps["email"], upload_id=w.upload, role="attachment"))
        db.session.commit()


def _notification(w: World) -> int:
    from crm.models import Notification

    notification = Notification(user_id=w.admin, opportunity_id=w.opp, author_id=w.rep, text="@ada")
    db.session.add(notification)
    db.session.commit()
    return notification.id


def test_every_route_with_an_id_is_covered(app):
    """If the id detection breaks (it once looked for werkzeug's class by name and found none of
    the app's own IdConverter), this fails instead of silently drawing no hostile id."""
    assert len(ID_ROUTES) >= 90
    rules = {(r.endpoint, m): r for r in app.url_map.iter_rules() for m in r.methods}
    for endpoint, method in ID_ROUTES:
        names = set(re.findall(r"<int:([a-z_]+)>", rules[endpoint, method].rule))
        assert id_args(rules[endpoint, method]) == names != set(), endpoint
    specs_with_ids = {(s.endpoint, s.method) for s in SPECS if id_args(rules[s.endpoint, s.method])}
    assert len(specs_with_ids) >= 60 and specs_with_ids <= set(ID_ROUTES)


@pytest.mark.parametrize(("endpoint", "method"), ID_ROUTES, ids=lambda v: v)
def test_unknown_and_malformed_path_ids_answer_404_and_write_nothing(app, world, clients, endpoint, method):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and method in r.methods)
    spec = next((s for s in SPECS if (s.endpoint, s.method) == (endpoint, method)), None)
    real = _real_ids(world, endpoint)
    admin = clients["admin"]

    @settings(FUZZ, max_examples=1)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        fields = {**spec.form(world), **spec.query(world)} if spec else {}
        plausible = {name: data.draw(field.valid, label=name) for name, field in fields.items()}
        form = {k: v for k, v in plausible.items() if spec and k in spec.form(world)}
        query = {k: v for k, v in plausible.items() if k not in form}
        targets = spec.target(world) if spec else []

        def send(values: dict[str, Any]) -> Any:
            path = _path(rule, {**real, **values})
            return admin.open(path, method=method, query_string=query, data=_files(dict(form)))

        hostile = [{name: bad} for name in sorted(id_args(rule)) for bad in UNKNOWN_PATH_IDS]
        before = snapshot(targets)
        for values in hostile:
            response = send(values)
            assert response.status_code == 404, (
                f"{method} {_path(rule, {**real, **values})} answered {response.status_code}: "
                f"{response.get_data(as_text=True)[:300]}"
            )
        after = snapshot(targets)
        if after != before:  # one of them wrote: say which
            for values in hostile:
                first = snapshot(targets)
                send(values)
                then = snapshot(targets)
                assert then == first, f"{method} {endpoint} with {values}: {_diff(first, then)}"
        assert after == before, f"{method} {endpoint}: {_diff(before, after)}"
        response = send({})
        assert response.status_code not in (404, 500), (method, _path(rule, real), response.status_code)

    run()
