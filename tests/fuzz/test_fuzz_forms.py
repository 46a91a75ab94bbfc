"""Property-based fuzzing of every form and HTMX endpoint a logged-in user can reach.

Each endpoint gets its own small world (a pipeline, records, an opportunity with a quote, an
action, a sender, a template, a scenario, a trigger, a campaign…) and an admin and a rep already
logged in. Hypothesis then sends it requests mixing valid-looking values with hostile ones: empty,
10,000-character and unicode/NUL/control strings, negative, huge and not-a-number numbers, unknown
and non-numeric ids, lists where one value is expected, impossible dates. For every request:

* the answer is never a 5xx (nor an exception, which the test client raises instead of a 500);
* an answer the app refuses (4xx) wrote nothing: the row count of every table and the columns of
  the record the endpoint targets are the same before and after. Accepted requests may write.

Examples share the database (the tables are only emptied between test functions), so each
request is compared with a snapshot taken just before it. Runs are derandomized for CI.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import (
    FUZZ,
    FUZZ_SCALE,
    NOT_FUZZED,
    PAGES,
    SPECS,
    _diff,
    _files,
    _path,
    _rule,
    id_args,
    payload,
    snapshot,
)
from tests.fuzz.values import (
    HOSTILE_PATH_IDS,
)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
def test_fuzzed_requests_never_fail_and_refusals_write_nothing(app, world, clients, spec):
    rule = _rule(app, spec)
    path_values = spec.path(world)
    form_fields = spec.form(world)
    query_fields = spec.query(world)
    targets = spec.target(world)
    blueprint = spec.endpoint.split(".")[0]
    pages = PAGES[blueprint](world, spec.variant) if spec.method == "POST" and blueprint in PAGES else []
    int_args = id_args(rule)
    assert int_args == set(re.findall(r"<int(?:\([^)]*\))?:([a-z_]+)>", rule.rule)), rule.rule

    @settings(FUZZ, max_examples=max(1, round(spec.examples * FUZZ_SCALE)))
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        values = {}
        for name, value in path_values.items():
            if isinstance(value, st.SearchStrategy):
                value = data.draw(value, label=name)
            if name in int_args:
                value = data.draw(
                    st.one_of(
                        st.just(value), st.just(value), st.just(value), st.sampled_from(HOSTILE_PATH_IDS)
                    ),
                    label=name,
                )
            values[name] = value
        path = _path(rule, values)
        _query_mode, query = (
            data.draw(payload(query_fields), label="query") if query_fields else ("valid", {})
        )
        as_json = (
            spec.method == "POST"
            and spec.json
            and data.draw(st.sampled_from([False, False, False, True]), label="json")
        )
        form_mode, form = (
            data.draw(payload(form_fields, json=as_json), label="form")
            if spec.method == "POST"
            else ("valid", {})
        )
        htmx = data.draw(st.booleans(), label="htmx")
        user = data.draw(st.sampled_from(spec.users), label="user")
        kwargs: dict[str, Any] = {"json": form} if as_json else {"data": _files(form)}
        before = snapshot(targets)
        response = clients[user].open(path, method=spec.method, query_string=query, htmx=htmx, **kwargs)
        status = response.status_code
        assert status < 500, (
            f"{spec.method} {path} answered {status}: {response.get_data(as_text=True)[:500]}"
        )
        if 400 <= status < 500:
            after = snapshot(targets)
            assert after == before, (
                f"{spec.method} {path} refused with {status} but wrote: {_diff(before, after)}"
            )
        elif status < 400 and form_mode != "valid":  # plausible values are shown fine (other tests)
            for page in pages:
                shown = clients["admin"].get(page)
                assert shown.status_code < 500, (
                    f"after {spec.method} {path} ({form}), {page} answered {shown.status_code}"
                )

    run()


def test_every_post_endpoint_is_fuzzed(app):
    """A new form or HTMX endpoint must join SPECS (or NOT_FUZZED, with its reason)."""
    fuzzed = {(s.endpoint, s.method) for s in SPECS}
    missing = [
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"})
        if (rule.endpoint, method) not in fuzzed and rule.endpoint not in NOT_FUZZED
    ]
    assert missing == []
    assert set(NOT_FUZZED) <= {r.endpoint for r in app.url_map.iter_rules()}


# --------------------------------------------------------------------------------------------------
# What the fuzzer found, as plain examples
