"""Settings > Marketing > Email templates: subject and HTML body with shortcodes, inline images,
attachments, tracking options, and a preview rendered for a chosen contact."""

from __future__ import annotations

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import escape
from sqlalchemy import select
from werkzeug.wrappers import Response

from automation.mailing import shortcodes
from automation.mailing.compose import merge_values, render_template_for
from automation.mailing.render import display_html
from crm.extensions import db
from crm.html import sanitize_html
from crm.marketing.forms import PreviewForm, TemplateForm
from crm.models import Contact, EmailTemplate, Upload
from crm.responses import done, refused, render, toast
from crm.security import protect
from crm.services import ServiceError, same_name
from crm.uploads import save_upload

bp = protect(Blueprint("templates", __name__, url_prefix="/settings/templates"), admin=True)


def _contacts() -> list[tuple[object, str]]:
    rows = db.session.execute(
        select(Contact.id, Contact.first_name, Contact.last_name).order_by(Contact.last_name).limit(500)
    )
    return [("", _("— sample values —"))] + [(r.id, f"{r.first_name} {r.last_name}".strip()) for r in rows]


def _form(obj: EmailTemplate | None = None) -> PreviewForm:
    form = PreviewForm(obj=obj)
    form.contact_id.choices = _contacts()
    return form


def _save(template: EmailTemplate, form: TemplateForm) -> None:
    clash = db.session.scalar(
        select(EmailTemplate.id).where(
            same_name(EmailTemplate.name, form.name.data.strip()),
            EmailTemplate.id != (template.id or 0),
        )
    )
    if clash:
        raise ServiceError(_("A template with this name already exists."), 422, field="name")
    template.name = form.name.data.strip()
    template.subject = form.subject.data.strip()
    template.body_html = sanitize_html(form.body_html.data)
    template.track_opens = bool(form.track_opens.data)
    template.track_clicks = bool(form.track_clicks.data)
    if template.id is None:
        db.session.add(template)
    db.session.commit()


def _page(
    template: EmailTemplate | None, form: PreviewForm, status: int = 200, block: str = "form"
) -> Response:
    return render(
        "marketing/template_form.html",
        block=block,
        tpl=template,
        form=form,
        shortcodes=shortcodes.SHORTCODES,
        status=status,
    )


@bp.get("/")
def index() -> Response:
    templates = db.session.scalars(select(EmailTemplate).order_by(EmailTemplate.name)).all()
    return render("marketing/templates.html", templates=templates)


@bp.route("/new", methods=["GET", "POST"])
def create() -> Response:
    form = _form()
    if form.validate_on_submit():
        template = EmailTemplate()
        try:
            _save(template, form)
        except ServiceError as err:
            db.session.rollback()
            form.name.errors.append(err.message)
        else:
            return done(url_for("templates.edit", template_id=template.id), _("Template saved."))
    return _page(None, form, 422 if form.is_submitted() else 200)


@bp.route("/<int:template_id>", methods=["GET", "POST"])
def edit(template_id: int) -> Response:
    template = db.get_or_404(EmailTemplate, template_id)
    form = _form(template)
    if form.validate_on_submit():
        try:
            _save(template, form)
        except ServiceError as err:
            db.session.rollback()
            form.name.errors.append(err.message)
        else:
            return done(url_for("templates.edit", template_id=template.id), _("Template saved."))
    return _page(template, form, 422 if form.is_submitted() else 200)


@bp.post("/preview")
def preview() -> Response:
    """Render what is in the form now (saved or not) for a chosen contact, or sample values."""
    form = _form()
    if not (form.subject.data or "").strip() and not (form.body_html.data or "").strip():
        return render("marketing/_preview.html", empty=True)
    form.validate()
    errors = form.subject.errors + form.body_html.errors
    if errors:
        return render("marketing/_preview.html", errors=errors)
    contact = db.session.get(Contact, form.contact_id.data) if form.contact_id.data else None
    values = merge_values(recipient=contact, rep=current_user) if contact else _samples()
    draft = EmailTemplate(subject=form.subject.data or "", body_html=sanitize_html(form.body_html.data or ""))
    subject, html = render_template_for(draft, values)
    html = shortcodes.substitute(html, {shortcodes.UNSUBSCRIBE: "#unsubscribe"}, html=True)
    return render("marketing/_preview.html", subject=subject, html=display_html(html))


def _samples() -> dict[str, str]:
    return {
        "AssignedToId": current_user.email,
        "RepName": current_user.name,
        "RepSignature": current_user.signature_html,
        "ContactFirstName": "Camille",
        "ContactLastName": "Durand",
        "ContactEmail": "camille@example.com",
        "AccountName": "Inked Studio",
        "OpportunityName": "Website redesign",
        "OpportunityAmount": "€12,000",
    }


@bp.post("/images")
def upload_image() -> Response:
    """Upload an image to insert in a body; answers the <img> tag to insert."""
    file = request.files.get("image")
    if file is None:
        return refused(_("Choose an image file."), 422)
    try:
        upload = save_upload(file, images_only=True, user=current_user)
    except ServiceError as err:
        return refused(str(err.message), err.status)
    src = url_for("files.show", upload_id=upload.id, name=upload.filename)
    tag = f'<img src="{src}" alt="{escape(upload.filename)}">'
    return toast(
        render("marketing/_image.html", tag=tag), _("Image uploaded: it was inserted at the cursor.")
    )


@bp.post("/<int:template_id>/attachments")
def add_attachment(template_id: int) -> Response:
    template = db.get_or_404(EmailTemplate, template_id)
    file = request.files.get("file")
    if file is None:
        return refused(_("Choose a file."), 422)
    try:
        upload = save_upload(file, user=current_user)
    except ServiceError as err:
        return refused(str(err.message), err.status)
    template.attachments.append(upload)
    db.session.commit()
    return toast(_page(template, _form(template), block="attachments"), _("Attachment added."))


@bp.post("/<int:template_id>/attachments/<int:upload_id>/remove")
def remove_attachment(template_id: int, upload_id: int) -> Response:
    template = db.get_or_404(EmailTemplate, template_id)
    upload = db.get_or_404(Upload, upload_id)
    if upload not in template.attachments:
        abort(404)
    template.attachments.remove(upload)
    db.session.commit()
    return toast(_page(template, _form(template), block="attachments"), _("Attachment removed."))
