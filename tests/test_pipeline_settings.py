"""Settings > Processes: pipelines and their stages, edited inline."""

from __future__ import annotations

import json

from sqlalchemy import select

from crm.extensions import db
from crm.models import Pipeline, Stage
from crm.services.opportunities import set_result
from tests.factories import make_opportunity, make_pipeline


def _names(pipeline_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(Stage.name).where(Stage.pipeline_id == pipeline_id).order_by(Stage.position)
        )
    )


def test_add_pipeline_and_refuse_duplicate(client, auth, admin):
    auth.login(admin)
    response = client.post("/settings/pipelines/", data={"name": "Partners"}, htmx=True)
    pipeline = db.session.scalars(select(Pipeline)).one()
    assert response.headers["HX-Redirect"] == f"/settings/pipelines/{pipeline.id}"
    dup = client.post("/settings/pipelines/", data={"name": "partners"}, htmx=True)
    assert dup.status_code == 422 and "already exists" in dup.get_data(as_text=True)
    empty = client.post("/settings/pipelines/", data={"name": ""}, htmx=True)
    assert empty.status_code == 422
    assert db.session.scalars(select(Pipeline.name)).all() == ["Partners"]


def test_add_rename_reorder_and_delete_stages(client, auth, admin):
    pipeline = make_pipeline("Sales", ["New", "Won-ready"])
    auth.login(admin)
    response = client.post(f"/settings/pipelines/{pipeline.id}/stages", data={"name": "R2"}, htmx=True)
    assert response.status_code == 200 and "R2" in response.get_data(as_text=True)
    assert json.loads(response.headers["HX-Trigger"])["toast"]["message"] == "Stage “R2” added."
    assert _names(pipeline.id) == ["New", "Won-ready", "R2"]

    dup = client.post(f"/settings/pipelines/{pipeline.id}/stages", data={"name": "r2"}, htmx=True)
    assert dup.status_code == 422 and "already has a stage named" in dup.get_data(as_text=True)
    blank = client.post(f"/settings/pipelines/{pipeline.id}/stages", data={"name": ""}, htmx=True)
    assert blank.status_code == 422
    assert _names(pipeline.id) == ["New", "Won-ready", "R2"]

    stages = {s.name: s.id for s in db.session.get(Pipeline, pipeline.id).stages}
    client.post(
        f"/settings/pipelines/{pipeline.id}/stages/{stages['Won-ready']}/rename",
        data={"name": "Contract"},
        htmx=True,
    )
    assert _names(pipeline.id) == ["New", "Contract", "R2"]
    clash = client.post(
        f"/settings/pipelines/{pipeline.id}/stages/{stages['R2']}/rename", data={"name": "New"}, htmx=True
    )
    assert clash.status_code == 422
    assert _names(pipeline.id) == ["New", "Contract", "R2"]

    order = [stages["New"], stages["R2"], stages["Won-ready"]]
    client.post(f"/settings/pipelines/{pipeline.id}/stages/order", data={"stage": order}, htmx=True)
    assert _names(pipeline.id) == ["New", "R2", "Contract"]
    stale = client.post(
        f"/settings/pipelines/{pipeline.id}/stages/order", data={"stage": order[:2]}, htmx=True
    )
    assert stale.status_code == 409
    assert _names(pipeline.id) == ["New", "R2", "Contract"]

    client.post(f"/settings/pipelines/{pipeline.id}/stages/{stages['R2']}/delete", htmx=True)
    assert _names(pipeline.id) == ["New", "Contract"]


def test_delete_refused_while_opportunities_sit_in_the_stage(client, auth, admin):
    pipeline = make_pipeline("Sales", ["New", "Lost cause"])
    stage = pipeline.stages[1]
    opp = make_opportunity(stage)
    set_result(opp, "lost", actor=None)  # closed ones count too: they still point at the stage
    auth.login(admin)
    response = client.post(f"/settings/pipelines/{pipeline.id}/stages/{stage.id}/delete", htmx=True)
    assert response.status_code == 409
    assert (
        "“Lost cause” still holds 1 opportunity"
        in json.loads(response.headers["HX-Trigger"])["toast"]["message"]
    )
    assert _names(pipeline.id) == ["New", "Lost cause"]


def test_stage_of_another_pipeline_is_404(client, auth, admin):
    one, two = make_pipeline(), make_pipeline()
    auth.login(admin)
    response = client.post(f"/settings/pipelines/{one.id}/stages/{two.stages[0].id}/delete", htmx=True)
    assert response.status_code == 404
    assert len(_names(two.id)) == 5


def test_rename_pipeline(client, auth, admin):
    one, two = make_pipeline("One"), make_pipeline("Two")
    auth.login(admin)
    assert (
        client.post(f"/settings/pipelines/{one.id}/rename", data={"name": "Uno"}, htmx=True).status_code
        == 200
    )
    assert (
        client.post(f"/settings/pipelines/{two.id}/rename", data={"name": "uno"}, htmx=True).status_code
        == 422
    )
    assert sorted(db.session.scalars(select(Pipeline.name))) == ["Two", "Uno"]


def test_settings_page_lists_stages_with_counts(client, auth, admin):
    pipeline = make_pipeline("Sales", ["New", "Proposal"])
    make_opportunity(pipeline.stages[1])
    auth.login(admin)
    page = client.get(f"/settings/pipelines/{pipeline.id}").get_data(as_text=True)
    assert page.index("New") < page.index("Proposal")
    assert "1 opportunity" in page
