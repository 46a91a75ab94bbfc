"""Fuzzed endpoints: Settings > pipelines, stages, lists, users, senders, templates, campaigns."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.fuzz.spec import (
    BOTH,
    Spec,
    _stage_order,
    campaign_fields,
    template_fields,
    user_fields,
)
from tests.fuzz.values import (
    Field,
    blank_ok,
    choice,
    email,
    ids,
    many,
    moment,
    number,
    text,
    upload,
)

SETTINGS: list[Spec] = [
    # Settings > Pipelines and stages
    Spec(
        "pipelines.index",
        form=lambda w: {"name": text("Partners", "Ventes Été", "VENTES ÉTÉ", "Ébène")},
        examples=15,
    ),
    Spec(
        "pipelines.access",
        path=lambda w: {"pipeline_id": w.pipeline},
        form=lambda w: {"restricted": choice("0", "1"), "members": many([w.rep, w.other])},
        target=lambda w: [("pipelines", w.pipeline)],
        examples=15,
    ),
    Spec(
        "pipelines.rename",
        path=lambda w: {"pipeline_id": w.pipeline},
        form=lambda w: {"name": text("Sales", "Ébène", "ÉBÈNE")},
        target=lambda w: [("pipelines", w.pipeline)],
        examples=15,
    ),
    Spec(
        "pipelines.add",
        path=lambda w: {"pipeline_id": w.pipeline},
        form=lambda w: {"name": text("Negotiation", "New", "NEW", "Qualified")},
        target=lambda w: [("pipelines", w.pipeline)],
        examples=15,
    ),
    Spec(
        "pipelines.reorder",
        path=lambda w: {"pipeline_id": w.pipeline},
        form=lambda w: {"stage": _stage_order(w)},
        target=lambda w: [("stages", s) for s in w.stages],
        examples=15,
    ),
    Spec(
        "pipelines.rename_one",
        path=lambda w: {"pipeline_id": w.pipeline, "stage_id": st.sampled_from(w.stages)},
        form=lambda w: {"name": text("Won-ready", "New", "QUALIFIED")},
        target=lambda w: [("stages", s) for s in w.stages],
        examples=15,
    ),
    Spec(
        "pipelines.limits",
        path=lambda w: {"pipeline_id": w.pipeline, "stage_id": st.sampled_from(w.stages)},
        form=lambda w: {
            "idle_days": blank_ok(number(0, 3650, decimals=False)),
            "probability": blank_ok(number(0, 100, decimals=False)),
        },
        target=lambda w: [("stages", s) for s in w.stages],
        examples=20,
    ),
    Spec(
        "pipelines.delete",
        path=lambda w: {"pipeline_id": w.pipeline, "stage_id": st.sampled_from(w.stages)},
        target=lambda w: [("stages", s) for s in w.stages],
        examples=6,
    ),
    # Settings > lists, users, senders, templates, campaigns
    Spec("settings_lists.action_types", form=lambda w: {"name": text("Visit", "Call", "CALL")}, examples=12),
    Spec(
        "settings_lists.action_type",
        path=lambda w: {"type_id": st.sampled_from(w.types)},
        form=lambda w: {"name": text("Phone call", "Email"), "active": choice("1", "0")},
        target=lambda w: [("action_types", t) for t in w.types],
        examples=15,
    ),
    Spec(
        "settings_lists.tag",
        path=lambda w: {"tag_id": st.sampled_from(w.tags)},
        form=lambda w: {
            "name": text("Hot", *w.tag_names, "ÉMERAUDE"),
            "color": Field(
                st.sampled_from(["#2f5bea", "#ABCDEF"]),
                st.sampled_from(["", "red", "#12345", "#1234567", "#GGGGGG", "\x00"]),
            ),
        },
        target=lambda w: [("tags", t) for t in w.tags],
        examples=15,
    ),
    Spec(
        "settings_lists.merge",
        path=lambda w: {"tag_id": st.sampled_from(w.tags)},
        form=lambda w: {"into": ids(*w.tags)},
        target=lambda w: [("tags", t) for t in w.tags],
        examples=8,
    ),
    Spec("users.create", form=user_fields, examples=20),
    Spec(
        "profile.edit",
        form=lambda w: {
            "name": text("Zoé Ŝecond", "Bob"),
            "timezone": choice("Europe/Paris", "America/New_York"),
            "locale": choice("", "en", "fr"),
            "signature_html": text("<p>Zoé</p>", "<b onclick=x()>Hi</b>", required=False),
            "current_password": text("not-the-password", required=False),
            "new_password": text("plum-ferry-quartz", required=False),
        },
        target=lambda w: [("users", w.admin)],
        users=BOTH,
        examples=15,
    ),
    Spec(
        "users.edit",
        path=lambda w: {"user_id": st.sampled_from([w.other, w.admin])},
        form=user_fields,
        target=lambda w: [("users", w.other), ("users", w.admin)],
        examples=20,
    ),
    Spec(
        "senders.index",
        form=lambda w: {
            "email": email(),
            "display_name": text("Sales", required=False),
            "rate_per_minute": number(1, 10000, decimals=False),
        },
        examples=15,
    ),
    Spec(
        "senders.resend",
        path=lambda w: {"sender_id": st.sampled_from([w.sender, w.unverified_sender])},
        target=lambda w: [("sender_addresses", w.sender), ("sender_addresses", w.unverified_sender)],
        examples=4,
    ),
    Spec("templates.create", form=template_fields, examples=20),
    Spec(
        "templates.edit",
        path=lambda w: {"template_id": w.template},
        form=template_fields,
        target=lambda w: [("email_templates", w.template)],
        examples=20,
    ),
    Spec("templates.preview", form=template_fields, examples=15),
    Spec("templates.upload_image", form=lambda w: {"image": upload()}, examples=10, json=False),
    Spec(
        "templates.add_attachment",
        path=lambda w: {"template_id": w.template},
        form=lambda w: {"file": upload()},
        target=lambda w: [("email_templates", w.template)],
        examples=10,
        json=False,
    ),
    Spec(
        "templates.remove_attachment",
        path=lambda w: {"template_id": w.template, "upload_id": w.upload},
        target=lambda w: [("email_templates", w.template), ("uploads", w.upload)],
        examples=4,
    ),
    Spec("campaigns.create", form=campaign_fields, examples=20),
    Spec(
        "campaigns.show",
        "GET",
        lambda w: {"campaign_id": w.campaign},
        query=lambda w: {"block": choice("progress", "detail")},
        examples=5,
    ),
    Spec(
        "campaigns.start",
        path=lambda w: {"campaign_id": w.campaign},
        form=lambda w: {"send_at": blank_ok(moment())},
        target=lambda w: [("campaigns", w.campaign)],
        examples=30,
    ),
    Spec(
        "campaigns.pause",
        path=lambda w: {"campaign_id": w.campaign},
        target=lambda w: [("campaigns", w.campaign)],
        examples=4,
    ),
    Spec(
        "campaigns.resume",
        path=lambda w: {"campaign_id": w.campaign},
        target=lambda w: [("campaigns", w.campaign)],
        examples=4,
    ),
]
