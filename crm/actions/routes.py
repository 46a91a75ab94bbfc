"""Actions: created, edited and closed inline from the opportunity page and from the agenda."""

from __future__ import annotations

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from crm.actions.forms import ActionForm
from crm.extensions import db
from crm.forms import optional_int, user_choices
from crm.models import Account, Action, ActionType, Contact, Opportunity, User
from crm.pages import fragment_or_page, fragment_or_redirect
from crm.responses import refused, render, toast
from crm.security import protect
from crm.services import ServiceError
from crm.services.access import can_see, opportunity_or_404
from crm.services.actions import close_action, create_action, reopen_action, today_for, update_action

bp = protect(Blueprint("actions", __name__, url_prefix="/actions"))


def type_choices(include: int | None = None) -> list[tuple[object, str]]:
    types = db.session.scalars(select(ActionType).order_by(ActionType.position, ActionType.name)).all()
    return [("", "—")] + [(t.id, t.name) for t in types if t.active or t.id == include]


def _form(action: Action | None = None) -> ActionForm:
    form = ActionForm(obj=action)
    form.type_id.choices = type_choices(action.type_id if action else None)
    form.assignee_id.choices = user_choices()
    return form


def _mine(action: Action) -> bool:
    return current_user.is_admin or current_user.id in (action.assignee_id, action.created_by_id)


def _action(action_id: int, *, edit: bool) -> Action:
    """The action, if the current user may read it (edit=False) or change it (edit=True).

    Its assignee, its author and admins may do both; anyone who sees its opportunity may read it
    (the opportunity page lists them). An action on a hidden opportunity answers 404, as the
    opportunity does; someone else's action, 403."""
    action = db.get_or_404(Action, action_id)
    if _mine(action):
        return action
    opportunity = action.opportunity
    if opportunity is not None and not can_see(current_user, opportunity.pipeline):
        abort(404)
    if edit or opportunity is None:
        abort(403)
    return action


def _host(opportunity: Opportunity | None, record: Contact | Account | None = None) -> str:
    """The page that shows an action: its opportunity's, else its contact's or account's, else the agenda."""
    if opportunity is not None:
        return url_for("opportunities.show", opportunity_id=opportunity.id) + "#opp-actions"
    if record is not None:
        kind = "contacts" if isinstance(record, Contact) else "accounts"
        return url_for("records.show", kind=kind, record_id=record.id) + "#record-timeline"
    return url_for("agenda.show")


def _record() -> Contact | Account | None:
    """The contact or account an action is created from (?contact_id= / ?account_id=), if any."""
    if contact_id := optional_int(request.values.get("contact_id")):
        return db.get_or_404(Contact, contact_id)
    if account_id := optional_int(request.values.get("account_id")):
        return db.get_or_404(Account, account_id)
    return None


def _form_page(
    form: ActionForm,
    action: Action | None,
    opportunity: Opportunity | None,
    status: int = 200,
    record: Contact | Account | None = None,
) -> Response:
    """The action form: inline for HTMX, on a page of its own otherwise."""
    title = _l("New action") if action is None else _l("Edit the action")
    back_label = (
        opportunity.name
        if opportunity is not None
        else (record.display_name if record is not None else str(_l("Agenda")))
    )
    return fragment_or_page(
        "actions/_form.html",
        title=str(title),
        back_url=_host(opportunity, record),
        back_label=back_label,
        list_item=True,
        status=status,
        form=form,
        action=action,
        opportunity=opportunity,
    )


def _done(message: str, action: Action) -> Response:
    response = render("actions/_row.html", action=action, today=today_for(current_user))
    return toast(response, message, actionsChanged=True, opportunityChanged=action.opportunity_id or 0)


@bp.route("/new", methods=["GET", "POST"])
def create() -> Response:
    form = _form()
    opportunity_id = optional_int(request.values.get("opportunity_id"))
    opportunity = opportunity_or_404(current_user, opportunity_id) if opportunity_id else None
    record = _record() if opportunity is None else None
    if request.method == "GET":
        form.assignee_id.data = current_user.id
        form.due_date.data = today_for(current_user)
        form.opportunity_id.data = opportunity.id if opportunity else ""
        form.contact_id.data = record.id if isinstance(record, Contact) else ""
        form.account_id.data = record.id if isinstance(record, Account) else ""
        return _form_page(form, None, opportunity, record=record)
    if form.validate_on_submit():
        try:
            action = create_action(
                actor=current_user,
                type=db.session.get(ActionType, form.type_id.data),
                title=form.title.data,
                assignee=db.session.get(User, form.assignee_id.data),
                due_date=form.due_date.data,
                due_time=form.due_time.data,
                notes=form.notes.data or "",
                opportunity=opportunity,
                contact_id=record.id if isinstance(record, Contact) else None,
                account_id=record.account_id
                if isinstance(record, Contact)
                else (record.id if isinstance(record, Account) else None),
            )
        except ServiceError as err:
            db.session.rollback()
            form.type_id.errors.append(err.message)
        else:
            return _done(_("Action created."), action)
    return _form_page(form, None, opportunity, status=422, record=record)


@bp.route("/<int:action_id>/edit", methods=["GET", "POST"])
def edit(action_id: int) -> Response:
    action = _action(action_id, edit=True)
    form = _form(action)
    if form.validate_on_submit():
        update_action(
            action,
            actor=current_user,
            type_id=form.type_id.data,
            title=form.title.data.strip(),
            notes=(form.notes.data or "").strip(),
            assignee_id=form.assignee_id.data,
            due_date=form.due_date.data,
            due_time=form.due_time.data,
        )
        return _done(_("Action saved."), action)
    status = 422 if form.is_submitted() else 200
    return _form_page(form, action, action.opportunity, status)


@bp.get("/<int:action_id>")
def row(action_id: int) -> Response:
    action = _action(action_id, edit=False)
    if page := fragment_or_redirect(_host(action.opportunity)):
        return page
    return render("actions/_row.html", action=action, today=today_for(current_user))


@bp.post("/<int:action_id>/close")
def close(action_id: int) -> Response:
    action = _action(action_id, edit=True)
    try:
        close_action(action, actor=current_user)
    except ServiceError as err:
        return refused(str(err.message), err.status)
    return _done(_("Action closed."), action)


@bp.post("/<int:action_id>/reopen")
def reopen(action_id: int) -> Response:
    action = _action(action_id, edit=True)
    reopen_action(action, actor=current_user)
    return _done(_("Action reopened."), action)
