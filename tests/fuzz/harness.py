"""Sending one fuzzed request and checking that a refusal wrote nothing; every spec in one list."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from crm.extensions import db
from tests.fuzz.spec import (
    Spec,
)
from tests.fuzz.specs_automation import AUTOMATION
from tests.fuzz.specs_sales import RECORDS, SALES
from tests.fuzz.specs_settings import SETTINGS
from tests.fuzz.values import (
    MISSING,
    Field,
)
from tests.fuzz.world import (
    World,
)

SPECS: list[Spec] = [*SALES, *SETTINGS, *AUTOMATION, *RECORDS]

# After an accepted write, the pages showing what was written must still render (a value may be
# accepted and then break its page, a PDF, a preview that computes dates from it…).
PAGES: dict[str, Callable[[World, str], list[str]]] = {
    "opportunities": lambda w, v: [f"/opportunities/{w.opp}", f"/boards/{w.pipeline}", "/agenda/"],
    "quotes": lambda w, v: [f"/quotes/{w.quote}", f"/quotes/{w.quote}.pdf", f"/opportunities/{w.opp}"],
    "records": lambda w, v: [f"/{v}/", f"/{v}/{w.records[v]}", f"/people/{v}/{w.records[v]}/scenarios"],
    "conversion": lambda w, v: [f"/leads/{w.lead}", "/leads/?converted=1", "/contacts/", "/accounts/"],
    "actions": lambda w, v: [
        "/agenda/",
        f"/agenda/?user={w.rep}",
        f"/actions/{w.action}",
        f"/opportunities/{w.opp}",
    ],
    "enroll": lambda w, v: [
        f"/people/contacts/{w.contact}/scenarios",
        f"/settings/scenarios/{w.scenario}/people",
    ],
    "pipelines": lambda w, v: [
        "/settings/pipelines/",
        f"/settings/pipelines/{w.pipeline}",
        f"/boards/{w.pipeline}",
    ],
    "settings_lists": lambda w, v: [
        "/settings/action-types",
        "/settings/tags",
        "/actions/new",
        f"/boards/{w.pipeline}",
    ],
    "users": lambda w, v: ["/settings/users/", f"/settings/users/{w.other}/edit", f"/agenda/?user={w.other}"],
    "senders": lambda w, v: ["/settings/senders/"],
    "templates": lambda w, v: ["/settings/templates/", f"/settings/templates/{w.template}"],
    "campaigns": lambda w, v: ["/settings/campaigns/", f"/settings/campaigns/{w.campaign}"],
    "scenarios": lambda w, v: [
        "/settings/scenarios/",
        f"/settings/scenarios/{w.scenario}",
        f"/settings/scenarios/{w.scenario}/preview?record_type=contact&record_id={w.contact}",
    ],
    "triggers": lambda w, v: [
        f"/settings/pipelines/{w.pipeline}/triggers/",
        f"/settings/pipelines/{w.pipeline}/triggers/{w.trigger}/test?opportunity_id={w.opp}",
    ],
}

# POST endpoints deliberately left out, with the reason.
NOT_FUZZED = {
    "auth.login": "anonymous; a refused login records the failed attempt by design (lockout counter)",
    "auth.logout": "no input; it would log the fuzzing client out",
    "public.unsubscribe": "mail link, no login (tests/test_mail_public.py)",
    "inbound.inbound": "the mail provider's hook, token-protected, no login (tests/test_mail_public.py)",
}


# --------------------------------------------------------------------------------------------------
# Requests and the properties


JSON_VALUES = [None, True, 12, -1.5, {"a": 1}, [], [["x"]], "x"]


MODES = ["valid", "one", "extreme", "extremes", "chaos"]


@st.composite
def payload(draw: st.DrawFn, fields: dict[str, Field], json: bool = False) -> tuple[str, dict[str, Any]]:
    """A mode, and the fields filled for it: all plausible ("valid"); one hostile ("one"); one at
    an extreme, the others plausible, so the value goes deep ("extreme"); all at their extremes
    ("extremes"); or each anything: hostile, extreme, absent, several values ("chaos")."""
    names = sorted(fields)
    mode = draw(st.sampled_from(MODES))
    bad: set[str] = set()
    if mode in ("one", "extreme") and names:
        extremes = [n for n in names if fields[n].extreme is not None] if mode == "extreme" else names
        bad = {draw(st.sampled_from(extremes or names))}
    elif mode in ("extremes", "chaos"):
        bad = set(names)
    out: dict[str, Any] = {}
    for name in names:
        spec = fields[name]
        extreme = spec.extreme if spec.extreme is not None else spec.hostile
        if name not in bad:
            value = draw(spec.valid)
        elif mode in ("extreme", "extremes"):
            value = draw(extreme if spec.extreme is not None or mode == "extreme" else spec.valid)
        else:
            options = [
                extreme,
                spec.hostile,
                st.just(MISSING),
                st.lists(st.one_of(spec.valid, spec.hostile), min_size=2, max_size=3),
            ]
            if json:
                options.append(st.sampled_from(JSON_VALUES))
            value = draw(st.one_of(*options))
        if value is not MISSING:
            out[name] = value
    return mode, out


def _path(rule: Any, values: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        return str(values[match.group(1)])

    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", fill, rule.rule)


def id_args(rule: Any) -> set[str]:
    """The rule's numeric path arguments (`<int:…>`: the app's IdConverter, a subclass)."""
    return {name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)}


def _rule(app: Any, spec: Spec) -> Any:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == spec.endpoint and spec.method in r.methods]
    assert len(rules) == 1, spec.id
    return rules[0]


def _files(form: dict[str, Any]) -> dict[str, Any]:
    """(bytes, filename) pairs become uploaded files."""

    def one(value: Any) -> Any:
        if isinstance(value, tuple):
            return (io.BytesIO(value[0]), value[1])
        if isinstance(value, list):
            return [one(v) for v in value]
        return value

    return {k: one(v) for k, v in form.items()}


def snapshot(targets: list[tuple[str, int]]) -> tuple[dict[str, int], dict[tuple[str, int], Any]]:
    """Row counts of every table (one query), and every column of the targeted rows."""
    tables = db.metadata.sorted_tables
    counts = db.session.execute(
        select(*(select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables))
    ).one()
    rows = {}
    for name, row_id in targets:
        table = db.metadata.tables[name]
        row = db.session.execute(select(table).where(table.c.id == row_id)).first()
        rows[(name, row_id)] = tuple(row) if row is not None else None
    db.session.commit()
    return dict(zip([t.name for t in tables], counts, strict=True)), rows


def _diff(before: Any, after: Any) -> str:
    counts = {k: (before[0][k], after[0][k]) for k in before[0] if before[0][k] != after[0][k]}
    rows = {k: (before[1][k], after[1][k]) for k in before[1] if before[1][k] != after[1][k]}
    return f"counts changed: {counts}; rows changed: {rows}"


FUZZ_SCALE = float(os.environ.get("FUZZ_SCALE", "1.25"))
FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
