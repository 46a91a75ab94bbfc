"""The files of a scenario's email step, from its editor: an image inserted in the message, and
attachments ("Pièces jointes au mail"). Uploads go through crm.uploads like templates' do."""

from __future__ import annotations

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import escape
from werkzeug.wrappers import Response

from automation.scenarios import files
from crm.extensions import db
from crm.models import Scenario, ScenarioStep, Upload
from crm.responses import render, toast
from crm.security import protect
from crm.services import ServiceError
from crm.uploads import save_upload

bp = protect(Blueprint("step_files", __name__, url_prefix="/settings/scenarios"), admin=True)


def _email_step(scenario_id: int, step_id: int) -> ScenarioStep:
    scenario = db.get_or_404(Scenario, scenario_id)
    step = db.get_or_404(ScenarioStep, step_id)
    if step.scenario_id != scenario.id or step.kind != "email":
        abort(404)
    return step


def _attachments(step: ScenarioStep, message: str, level: str = "success", status: int = 200) -> Response:
    response = render("scenarios/steps/_attachments.html", step=step, scenario=step.scenario, status=status)
    return toast(response, message, level)


@bp.post("/<int:scenario_id>/steps/<int:step_id>/images")
def upload_image(scenario_id: int, step_id: int) -> Response:
    """Upload an image for the message; answers the <img> tag the editor inserts at the cursor."""
    step = _email_step(scenario_id, step_id)
    file = request.files.get("image")
    try:
        if file is None:
            raise ServiceError(_("Choose an image file."), 422)
        upload = save_upload(file, images_only=True, user=current_user)
    except ServiceError as err:
        db.session.rollback()
        # The empty slot again (a 422 is swapped): the next image has somewhere to go.
        slot = render("scenarios/steps/_image.html", step=step, tag="", status=err.status)
        return toast(slot, str(err.message), "error")
    files.add_image(step, upload)
    src = url_for("files.show", upload_id=upload.id, name=upload.filename)
    tag = f'<img src="{src}" alt="{escape(upload.filename)}">'
    return toast(
        render("scenarios/steps/_image.html", step=step, tag=tag),
        _("Image uploaded: it was inserted at the cursor."),
    )


@bp.post("/<int:scenario_id>/steps/<int:step_id>/attachments")
def add_attachment(scenario_id: int, step_id: int) -> Response:
    step = _email_step(scenario_id, step_id)
    file = request.files.get("file")
    try:
        if file is None:
            raise ServiceError(_("Choose a file."), 422)
        files.check_room(step)
        upload = save_upload(file, user=current_user)
        files.add_attachment(step, upload)
    except ServiceError as err:
        db.session.rollback()
        return _attachments(step, str(err.message), "error", err.status)
    return _attachments(step, _("Attachment added: it goes with every email of this step."))


@bp.post("/<int:scenario_id>/steps/<int:step_id>/attachments/<int:upload_id>/remove")
def remove_attachment(scenario_id: int, step_id: int, upload_id: int) -> Response:
    step = _email_step(scenario_id, step_id)
    upload = db.get_or_404(Upload, upload_id)
    try:
        files.remove_attachment(step, upload)
    except LookupError:
        abort(404)
    return _attachments(step, _("Attachment removed."))
