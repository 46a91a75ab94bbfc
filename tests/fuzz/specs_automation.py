"""Fuzzed endpoints: Settings > scenarios and triggers."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.fuzz.spec import (
    Spec,
    effect_fields,
    step_fields,
    trigger_fields,
)
from tests.fuzz.values import (
    Field,
    blank_ok,
    choice,
    ids,
    moment,
    number,
    text,
    upload,
)

AUTOMATION: list[Spec] = [
    # Settings > Scenarios
    Spec("scenarios.index", form=lambda w: {"name": text("Nurture", "Brouillon")}, examples=8),
    Spec(
        "scenarios.show",
        "GET",
        lambda w: {"scenario_id": w.scenario},
        query=lambda w: {"block": choice("flow", "stats")},
        examples=4,
    ),
    Spec(
        "scenarios.rename",
        path=lambda w: {"scenario_id": w.scenario},
        form=lambda w: {"label": text("Nurture 2")},
        target=lambda w: [("scenarios", w.scenario)],
        examples=8,
    ),
    *[
        Spec(
            "scenarios.add",
            method,
            lambda w: {"scenario_id": w.scenario},
            **{
                "form" if method == "POST" else "query": (
                    lambda w, kind=kind, method=method: {
                        **(step_fields(kind, w) if method == "POST" else {}),
                        "kind": Field(st.just(kind), st.sampled_from(["", "bogus", "EMAIL", "\x00"])),
                        "after": ids(*w.steps.values(), blank=True),
                        "parent": ids(w.steps["if"], blank=True),
                        "branch": choice("yes", "no", ""),
                    }
                )
            },
            target=lambda w: [("scenarios", w.scenario), *[("scenario_steps", s) for s in w.steps.values()]],
            examples=(40 if kind == "pause" else 20) if method == "POST" else 6,
            variant=kind,
        )
        for kind in ("email", "pause", "if", "end")
        for method in ("GET", "POST")
    ],
    Spec(
        "step_files.upload_image",
        path=lambda w: {"scenario_id": w.scenario, "step_id": w.steps["email"]},
        form=lambda w: {"image": upload()},
        target=lambda w: [("scenario_steps", w.steps["email"])],
        examples=10,
        json=False,
    ),
    Spec(
        "step_files.add_attachment",
        path=lambda w: {"scenario_id": w.scenario, "step_id": w.steps["email"]},
        form=lambda w: {"file": upload()},
        target=lambda w: [("scenario_steps", w.steps["email"])],
        examples=10,
        json=False,
    ),
    Spec(
        "step_files.remove_attachment",
        path=lambda w: {"scenario_id": w.scenario, "step_id": w.steps["email"], "upload_id": w.upload},
        target=lambda w: [("scenario_steps", w.steps["email"]), ("uploads", w.upload)],
        examples=4,
    ),
    *[
        Spec(
            "scenarios.edit",
            path=lambda w, kind=kind: {"scenario_id": w.scenario, "step_id": w.steps[kind]},
            form=lambda w, kind=kind: step_fields(kind, w),
            target=lambda w, kind=kind: [("scenario_steps", w.steps[kind])],
            examples={"pause": 40, "end": 6}.get(kind, 20),
            variant=kind,
        )
        for kind in ("email", "pause", "if", "end")
    ],
    Spec(
        "scenarios.move",
        path=lambda w: {"scenario_id": w.scenario, "step_id": st.sampled_from(list(w.steps.values()))},
        form=lambda w: {"direction": choice("up", "down")},
        target=lambda w: [("scenario_steps", s) for s in w.steps.values()],
        examples=8,
    ),
    Spec(
        "scenarios.delete_step",
        path=lambda w: {"scenario_id": w.scenario, "step_id": st.sampled_from(list(w.steps.values()))},
        form=lambda w: {"people_go": choice("next", "end")},
        target=lambda w: [("scenario_steps", s) for s in w.steps.values()],
        examples=8,
    ),
    Spec(
        "scenarios.activate",
        path=lambda w: {"scenario_id": st.sampled_from([w.scenario, w.draft_scenario])},
        target=lambda w: [("scenarios", w.draft_scenario)],
        examples=4,
    ),
    Spec(
        "scenarios.deactivate",
        path=lambda w: {"scenario_id": w.scenario},
        target=lambda w: [("scenarios", w.scenario)],
        examples=4,
    ),
    Spec(
        "scenarios.delete",
        path=lambda w: {"scenario_id": st.sampled_from([w.scenario, w.draft_scenario])},
        form=lambda w: {"remove_people": choice("1", "0")},
        target=lambda w: [("scenarios", w.scenario), ("scenarios", w.draft_scenario)],
        examples=6,
    ),
    Spec(
        "scenario_runs.people",
        "GET",
        lambda w: {"scenario_id": w.scenario},
        query=lambda w: {
            "status": choice("active", "all", "completed"),
            "page": number(1, 3, decimals=False),
        },
        examples=6,
    ),
    Spec(
        "scenario_runs.replied",
        path=lambda w: {"scenario_id": w.scenario, "enrollment_id": w.enrollment},
        target=lambda w: [("enrollments", w.enrollment)],
        examples=4,
    ),
    Spec(
        "scenario_runs.remove",
        path=lambda w: {"scenario_id": w.scenario, "enrollment_id": w.enrollment},
        target=lambda w: [("enrollments", w.enrollment)],
        examples=4,
    ),
    Spec(
        "scenario_runs.simulate",
        "GET",
        lambda w: {"scenario_id": w.scenario},
        query=lambda w: {
            "record_type": choice("contact", "lead", "account"),
            "q": text("Doe", required=False),
            "block": choice("records", ""),
        },
        examples=8,
    ),
    Spec(
        "scenario_runs.simulate_start",
        path=lambda w: {"scenario_id": st.sampled_from([w.scenario, w.draft_scenario])},
        form=lambda w: {
            "record_type": choice("contact", "lead", "account"),
            "record_id": ids(w.contact, w.lead, w.account),
            "send_to": choice("person", "me", ""),
        },
        examples=10,
    ),
    Spec(
        "scenario_runs.simulate_step",
        path=lambda w: {
            "scenario_id": w.scenario,
            "enrollment_id": st.sampled_from([w.simulation, w.enrollment]),
        },
        form=lambda w: {"branch": choice("yes", "no", "")},
        target=lambda w: [("enrollments", w.simulation), ("enrollments", w.enrollment)],
        examples=10,
    ),
    Spec(
        "scenario_runs.preview",
        "GET",
        lambda w: {"scenario_id": w.scenario},
        query=lambda w: {
            "record_type": choice("contact", "lead", "account"),
            "record_id": ids(w.contact, w.lead, w.account),
            "start": blank_ok(moment()),
        },
        examples=25,
    ),
    # Settings > Pipelines > Triggers
    Spec(
        "triggers.create",
        path=lambda w: {"pipeline_id": w.pipeline},
        form=trigger_fields,
        examples=20,
    ),
    Spec(
        "triggers.edit",
        path=lambda w: {"pipeline_id": w.pipeline, "trigger_id": w.trigger},
        form=trigger_fields,
        target=lambda w: [("triggers", w.trigger)],
        examples=20,
    ),
    Spec(
        "triggers.toggle",
        path=lambda w: {"pipeline_id": w.pipeline, "trigger_id": w.trigger},
        target=lambda w: [("triggers", w.trigger)],
        examples=4,
    ),
    Spec(
        "triggers.delete",
        path=lambda w: {"pipeline_id": w.pipeline, "trigger_id": w.trigger},
        target=lambda w: [("triggers", w.trigger)],
        examples=4,
    ),
    Spec(
        "triggers.test",
        "GET",
        lambda w: {"pipeline_id": w.pipeline, "trigger_id": w.trigger},
        query=lambda w: {"opportunity_id": ids(w.opp, w.opp2, blank=True)},
        examples=6,
    ),
    *[
        Spec(
            "triggers.add_effect",
            path=lambda w: {"pipeline_id": w.pipeline, "trigger_id": w.trigger},
            form=lambda w, kind=kind: {
                **effect_fields(kind, w),
                "kind": Field(st.just(kind), st.sampled_from(["", "bogus", "\x00"])),
            },
            target=lambda w: [("triggers", w.trigger)],
            examples=12,
            variant=kind,
        )
        for kind in (
            "create_action",
            "post_note",
            "enroll",
            "unenroll",
            "send_email",
            "add_tag",
            "create_campaign",
        )
    ],
    Spec(
        "triggers.add_effect",
        "GET",
        lambda w: {"pipeline_id": w.pipeline, "trigger_id": w.trigger},
        query=lambda w: {
            "kind": choice(
                "create_action", "post_note", "enroll", "unenroll", "send_email", "add_tag", "create_campaign"
            )
        },
        examples=8,
    ),
    *[
        Spec(
            "triggers.edit_effect",
            path=lambda w, index=index: {
                "pipeline_id": w.pipeline,
                "trigger_id": w.trigger,
                "effect_id": w.effects[index],
            },
            form=lambda w, kind=kind: effect_fields(kind, w),
            target=lambda w, index=index: [("trigger_effects", w.effects[index])],
            examples=15,
            variant=kind,
        )
        for index, kind in enumerate(("create_action", "add_tag"))
    ],
    Spec(
        "triggers.move_effect",
        path=lambda w: {
            "pipeline_id": w.pipeline,
            "trigger_id": w.trigger,
            "effect_id": st.sampled_from(w.effects),
        },
        form=lambda w: {"direction": choice("up", "down")},
        target=lambda w: [("trigger_effects", e) for e in w.effects],
        examples=6,
    ),
    Spec(
        "triggers.delete_effect",
        path=lambda w: {
            "pipeline_id": w.pipeline,
            "trigger_id": w.trigger,
            "effect_id": st.sampled_from(w.effects),
        },
        target=lambda w: [("trigger_effects", e) for e in w.effects],
        examples=4,
    ),
    Spec(
        "trigger_runs.index",
        "GET",
        query=lambda w: {
            "status": choice("failed", "done", "running"),
            "pipeline": ids(w.pipeline, blank=True),
            "page": number(1, 3, decimals=False),
        },
        examples=8,
    ),
    Spec(
        "trigger_runs.retry",
        path=lambda w: {"run_id": w.run},
        target=lambda w: [("trigger_runs", w.run)],
        examples=4,
    ),
    Spec(
        "maillog.index",
        "GET",
        query=lambda w: {
            "status": choice("failed", "sent", "queued"),
            "kind": choice("transactional", "marketing"),
            "q": text("jane", required=False),
            "page": number(1, 3, decimals=False),
        },
        examples=8,
    ),
    Spec(
        "maillog.retry",
        path=lambda w: {"message_id": w.outbox},
        target=lambda w: [("outbox", w.outbox)],
        examples=4,
    ),
]
