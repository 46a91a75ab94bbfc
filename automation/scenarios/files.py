"""The files of an email step: its attachments, and the images inserted in its message.

Each is a StepFile row, so the files a step uses can be listed (and their readers decided) in the
database rather than by reading messages."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from automation.mailing.render import INLINE_IMAGE
from crm.extensions import db
from crm.models import ScenarioStep, StepFile, Upload, utcnow
from crm.services import ServiceError

MAX_ATTACHMENTS = 10


def check_room(step: ScenarioStep) -> None:
    """Refuse one more attachment (before its upload is stored) when the step has enough."""
    if len(step.attachments) >= MAX_ATTACHMENTS:
        raise ServiceError(_("An email carries at most %(num)d attachments.", num=MAX_ATTACHMENTS), 422)


def add_attachment(step: ScenarioStep, upload: Upload) -> None:
    check_room(step)
    step.files.append(StepFile(upload_id=upload.id, upload=upload, role="attachment"))
    _touch(step)
    db.session.commit()


def remove_attachment(step: ScenarioStep, upload: Upload) -> None:
    """Take an attachment off the step (404 for the caller when it is not one of them)."""
    link = next((f for f in step.files if f.role == "attachment" and f.upload_id == upload.id), None)
    if link is None:
        raise LookupError(upload.id)
    step.files.remove(link)
    _touch(step)
    db.session.commit()


def add_image(step: ScenarioStep, upload: Upload) -> None:
    """An image uploaded from the step's editor: linked now, so the editor can show it before the
    message that shows it is saved (saving the message then keeps the images it still shows)."""
    step.files.append(StepFile(upload_id=upload.id, upload=upload, role="image"))
    db.session.commit()


def link_images(step: ScenarioStep) -> None:
    """Make the step's image links those its message shows (in the caller's transaction)."""
    wanted = {int(i) for i in INLINE_IMAGE.findall(step.config.get("message") or "")}
    found = select(Upload.id).where(Upload.id.in_(wanted), Upload.content_type.startswith("image/"))
    images = set(db.session.scalars(found)) if wanted else set()
    for link in [f for f in step.files if f.role == "image" and f.upload_id not in images]:
        step.files.remove(link)
    have = {f.upload_id for f in step.files if f.role == "image"}
    for upload_id in sorted(images - have):
        step.files.append(StepFile(upload_id=upload_id, role="image"))


def _touch(step: ScenarioStep) -> None:
    step.scenario.updated_at = utcnow()
