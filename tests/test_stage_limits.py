"""Settings > Processes: each stage's "idle after N days" and win probability."""

from __future__ import annotations

import json

import pytest

from crm.extensions import db
from crm.models import Stage
from tests.factories import make_pipeline


@pytest.fixture
def pipeline():
    return make_pipeline("Sales", ["New", "Offer"])


def _limits(stage_id: int) -> tuple[int | None, int | None]:
    db.session.expire_all()
    stage = db.session.get(Stage, stage_id)
    return stage.idle_days, stage.probability


def _url(pipeline, stage) -> str:  # type: ignore[no-untyped-def]
    return f"/settings/pipelines/{pipeline.id}/stages/{stage.id}/limits"


def test_admin_sets_and_clears_the_limits(client, auth, admin, pipeline):
    stage = pipeline.stages[1]
    auth.login(admin)
    page = client.get(f"/settings/pipelines/{pipeline.id}").get_data(as_text=True)
    assert f'id="stage-idle-{stage.id}"' in page and f'id="stage-probability-{stage.id}"' in page
    response = client.post(_url(pipeline, stage), data={"idle_days": "14", "probability": "60"}, htmx=True)
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"])["toast"]["message"] == "Stage “Offer” saved."
    assert f'id="stage-idle-{stage.id}" min="0" max="3650" step="1" value="14"' in response.get_data(
        as_text=True
    )
    assert _limits(stage.id) == (14, 60)
    assert _limits(pipeline.stages[0].id) == (None, None)
    client.post(_url(pipeline, stage), data={"idle_days": " ", "probability": ""}, htmx=True)
    assert _limits(stage.id) == (None, None)
    # Without JavaScript: the form posts and comes back to the page.
    plain = client.post(_url(pipeline, stage), data={"idle_days": "0", "probability": "100"})
    assert plain.status_code == 302 and plain.headers["Location"].endswith(
        f"/settings/pipelines/{pipeline.id}"
    )
    assert _limits(stage.id) == (0, 100)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"idle_days": "-3", "probability": "50"}, "Idle after: enter a number of days from 0 to 3650."),
        ({"idle_days": "99999", "probability": ""}, "Idle after: enter a number of days from 0 to 3650."),
        ({"idle_days": "7", "probability": "101"}, "Probability: enter a percentage from 0 to 100."),
        ({"idle_days": "", "probability": "-1"}, "Probability: enter a percentage from 0 to 100."),
        ({"idle_days": "abc", "probability": "50"}, "Enter a whole number, or leave it blank."),
        ({"idle_days": "2.5", "probability": "50"}, "Enter a whole number, or leave it blank."),
        ({"idle_days": "1e9", "probability": "50"}, "Enter a whole number, or leave it blank."),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(client, auth, admin, pipeline, data, message):
    stage = pipeline.stages[0]
    stage.idle_days, stage.probability = 10, 20
    db.session.commit()
    auth.login(admin)
    response = client.post(_url(pipeline, stage), data=data, htmx=True)
    assert response.status_code == 422
    toast = json.loads(response.headers["HX-Trigger"])["toast"]
    assert toast["level"] == "error" and message in toast["message"]
    assert _limits(stage.id) == (10, 20)
    plain = client.post(_url(pipeline, stage), data=data)  # without HTMX: the message as a page
    assert plain.status_code == 422 and message in plain.get_data(as_text=True)
    assert _limits(stage.id) == (10, 20)


def test_only_admins_with_csrf_and_the_right_ids(client, auth, admin, rep, pipeline):
    stage = pipeline.stages[0]
    other = make_pipeline("Other", ["Solo"])
    data = {"idle_days": "5", "probability": "50"}
    auth.login(rep)
    assert client.post(_url(pipeline, stage), data=data, htmx=True).status_code == 403
    auth.logout()
    auth.login(admin)
    assert client.post(_url(pipeline, stage), data=data, htmx=True, csrf=False).status_code == 400
    assert client.post(_url(other, stage), data=data, htmx=True).status_code == 404  # another pipeline's
    assert (
        client.post(f"/settings/pipelines/{pipeline.id}/stages/999999/limits", data=data).status_code == 404
    )
    assert _limits(stage.id) == (None, None)
