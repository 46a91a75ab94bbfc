"""The trigger editor, inline on a pipeline's settings page (HTMX partials, no page reload)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from automation.mailing.senders import verified_senders
from automation.triggers import editor
from automation.triggers.effects import EFFECTS
from crm.extensions import db, htmx
from crm.forms import optional_int, user_choices
from crm.models import ActionType, EmailTemplate, Opportunity, Pipeline, Scenario, Trigger, TriggerEffect
from crm.pages import dialog_html, fragment_or_redirect
from crm.responses import refused, render, retarget, toast
from crm.security import protect
from crm.triggers.forms import EFFECT_FORMS, TriggerForm

bp = protect(
    Blueprint("triggers", __name__, url_prefix="/settings/pipelines/<int:pipeline_id>/triggers"), admin=True
)


def _pipeline(pipeline_id: int) -> Pipeline:
    return db.get_or_404(Pipeline, pipeline_id)


def _trigger(pipeline_id: int, trigger_id: int) -> Trigger:
    trigger = db.get_or_404(Trigger, trigger_id)
    if trigger.pipeline_id != pipeline_id:
        abort(404)
    return trigger


def _effect(trigger: Trigger, effect_id: int) -> TriggerEffect:
    effect = db.get_or_404(TriggerEffect, effect_id)
    if effect.trigger_id != trigger.id:
        abort(404)
    return effect


def _editor_page(pipeline_id: int, trigger_id: int | None = None) -> Response | None:
    """None for HTMX; otherwise a redirect to the pipeline's settings page, where the editor is
    (its forms open from there: they swap into the trigger list)."""
    anchor = f"#trigger-{trigger_id}" if trigger_id else "#triggers"
    return fragment_or_redirect(url_for("pipelines.show", pipeline_id=pipeline_id) + anchor)


def listing(pipeline: Pipeline, status: int = 200) -> Response:
    triggers = db.session.scalars(
        select(Trigger).where(Trigger.pipeline_id == pipeline.id).order_by(Trigger.position, Trigger.id)
    ).all()
    return render(
        "triggers/_list.html",
        pipeline=pipeline,
        triggers=triggers,
        effects=EFFECTS,
        editor=editor,
        status=status,
    )


def _trigger_form(pipeline: Pipeline, trigger: Trigger | None = None) -> TriggerForm:
    form = TriggerForm()
    stages = [("", "—")] + [(s.id, s.name) for s in pipeline.stages]
    form.stage_id.choices = form.from_stage_id.choices = form.to_stage_id.choices = stages
    form.type_id.choices = [("", "—")] + [
        (t.id, t.name) for t in db.session.scalars(select(ActionType).order_by(ActionType.position))
    ]
    if trigger is not None and request.method == "GET":
        form.name.data, form.event.data = trigger.name, trigger.event
        for key, value in trigger.params.items():
            form[key].data = value
    return form


@bp.get("/")
def index(pipeline_id: int) -> Response:
    pipeline = _pipeline(pipeline_id)
    return _editor_page(pipeline.id) or listing(pipeline)


@bp.route("/new", methods=["GET", "POST"])
def create(pipeline_id: int) -> Response:
    pipeline = _pipeline(pipeline_id)
    if request.method == "GET" and (page := _editor_page(pipeline.id)):
        return page
    form = _trigger_form(pipeline)
    if request.method == "POST" and form.validate():
        editor.create_trigger(pipeline, form.event.data, form.params(), form.name.data or "")
        return retarget(toast(listing(pipeline), _("Trigger added: now add its effects.")), "#triggers")
    return render(
        "triggers/_trigger_form.html",
        pipeline=pipeline,
        form=form,
        trigger=None,
        status=422 if request.method == "POST" else 200,
    )


@bp.route("/<int:trigger_id>", methods=["GET", "POST"])
def edit(pipeline_id: int, trigger_id: int) -> Response:
    pipeline = _pipeline(pipeline_id)
    trigger = _trigger(pipeline_id, trigger_id)
    if request.method == "GET" and (page := _editor_page(pipeline.id, trigger.id)):
        return page
    form = _trigger_form(pipeline, trigger)
    if request.method == "POST" and form.validate():
        editor.update_trigger(trigger, form.event.data, form.params(), form.name.data or "")
        return retarget(toast(listing(pipeline), _("Trigger saved.")), "#triggers")
    return render(
        "triggers/_trigger_form.html",
        pipeline=pipeline,
        form=form,
        trigger=trigger,
        status=422 if request.method == "POST" else 200,
    )


@bp.post("/<int:trigger_id>/toggle")
def toggle(pipeline_id: int, trigger_id: int) -> Response:
    trigger = _trigger(pipeline_id, trigger_id)
    trigger.enabled = not trigger.enabled
    db.session.commit()
    message = (
        _("Trigger enabled.")
        if trigger.enabled
        else _("Trigger disabled: it does nothing until enabled again.")
    )
    return toast(listing(_pipeline(pipeline_id)), message)


@bp.post("/<int:trigger_id>/delete")
def delete(pipeline_id: int, trigger_id: int) -> Response:
    trigger = _trigger(pipeline_id, trigger_id)
    db.session.delete(trigger)
    db.session.commit()
    return toast(listing(_pipeline(pipeline_id)), _("Trigger deleted."))


def effect_form(kind: str, effect: TriggerEffect | None = None):  # type: ignore[no-untyped-def]
    form = EFFECT_FORMS[kind]()
    choices: dict[str, Any] = {
        "type_id": lambda: (
            [("", "—")]
            + [
                (t.id, t.name)
                for t in db.session.scalars(
                    select(ActionType).where(ActionType.active.is_(True)).order_by(ActionType.position)
                )
            ]
        ),
        "user_ids": lambda: user_choices(),
        "mention_id": lambda: user_choices(blank="—"),
        "scenario_id": lambda: (
            [("", "—")]
            + [
                (s.id, s.label + ("" if s.active else f" ({_('inactive')})"))
                for s in db.session.scalars(select(Scenario).order_by(Scenario.label))
            ]
        ),
        "template_id": lambda: (
            [("", "—")]
            + [(t.id, t.name) for t in db.session.scalars(select(EmailTemplate).order_by(EmailTemplate.name))]
        ),
        "sender_id": lambda: [("", "—")] + [(s.id, s.email) for s in verified_senders()],
    }
    for name, make in choices.items():
        if name in form:
            form[name].choices = make()
    if effect is not None and request.method == "GET":
        for key, value in effect.config.items():
            if key in form and value not in (None, ""):
                if form[key].type == "TimeField":
                    from datetime import time

                    value = time.fromisoformat(value)
                form[key].data = value
    return form


@bp.route("/<int:trigger_id>/effects/new", methods=["GET", "POST"])
def add_effect(pipeline_id: int, trigger_id: int) -> Response:
    trigger = _trigger(pipeline_id, trigger_id)
    kind = request.values.get("kind", "")
    if kind not in EFFECTS:
        abort(404)
    return _effect_form(trigger, kind, None)


@bp.route("/<int:trigger_id>/effects/<int:effect_id>", methods=["GET", "POST"])
def edit_effect(pipeline_id: int, trigger_id: int, effect_id: int) -> Response:
    trigger = _trigger(pipeline_id, trigger_id)
    effect = _effect(trigger, effect_id)
    return _effect_form(trigger, effect.kind, effect)


def _effect_form(trigger: Trigger, kind: str, effect: TriggerEffect | None) -> Response:
    if request.method == "GET" and (page := _editor_page(trigger.pipeline_id, trigger.id)):
        return page
    form = effect_form(kind, effect)
    if request.method == "POST" and form.validate():
        config = EFFECTS[kind].config_from(form)
        problems = EFFECTS[kind].check(config)
        if problems:
            form.form_errors.extend(problems)
        else:
            editor.save_effect(trigger, kind, config, effect)
            warnings = editor.warnings(trigger)
            message = (
                _("Effect saved.")
                if not warnings
                else _("Effect saved. Warning: %(w)s", w="; ".join(warnings))
            )
            level = "warning" if warnings else "success"
            return retarget(toast(listing(trigger.pipeline), message, level), "#triggers")
    return render(
        f"triggers/effects/{kind}.html",
        form=form,
        trigger=trigger,
        effect=effect,
        kind=kind,
        spec=EFFECTS[kind],
        status=422 if request.method == "POST" else 200,
    )


@bp.post("/<int:trigger_id>/effects/<int:effect_id>/move")
def move_effect(pipeline_id: int, trigger_id: int, effect_id: int) -> Response:
    trigger = _trigger(pipeline_id, trigger_id)
    editor.move_effect(_effect(trigger, effect_id), -1 if request.form.get("direction") == "up" else 1)
    return listing(trigger.pipeline)


@bp.post("/<int:trigger_id>/effects/<int:effect_id>/delete")
def delete_effect(pipeline_id: int, trigger_id: int, effect_id: int) -> Response:
    trigger = _trigger(pipeline_id, trigger_id)
    editor.delete_effect(_effect(trigger, effect_id))
    return toast(listing(trigger.pipeline), _("Effect removed."))


@bp.get("/<int:trigger_id>/test")
def test(pipeline_id: int, trigger_id: int) -> Response:
    """ "Test this trigger": what each effect would do for an opportunity; nothing changes."""
    trigger = _trigger(pipeline_id, trigger_id)
    opportunities = db.session.scalars(
        select(Opportunity)
        .where(Opportunity.pipeline_id == pipeline_id)
        .order_by(Opportunity.updated_at.desc())
        .limit(50)
    ).all()
    chosen = db.session.get(Opportunity, optional_int(request.args.get("opportunity_id")) or 0)
    if chosen is not None and chosen.pipeline_id != pipeline_id:
        return refused(_("Choose an opportunity of this pipeline."), 422)
    results = editor.dry_run(trigger, chosen) if chosen else []
    context = {"trigger": trigger, "opportunities": opportunities, "chosen": chosen, "results": results}
    if not htmx:  # the pipeline's settings page with the dialog open
        from crm.settings.pipelines import page

        return page(trigger.pipeline, modal=dialog_html("triggers/_test.html", **context))
    return render("triggers/_test.html", **context)
