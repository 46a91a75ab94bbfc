"""Pure logic, without a database, Redis or a worker: which events fire which trigger, how long
a failed mail waits before its next try, what a reply header quotes, what counts as the same person."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_string
from email.policy import compat32

import pytest
from flask import Flask

from automation.mailing.send import retry_delay
from automation.triggers.engine import retry_delay as trigger_retry_delay
from automation.triggers.events import matches
from crm.models import DomainEvent, Trigger
from crm.public.inbound import _same_person, quoted_ids


def _trigger(event: str, **params: object) -> Trigger:
    return Trigger(event=event, params=params)


def _event(kind: str, **payload: object) -> DomainEvent:
    return DomainEvent(kind=kind, payload=payload)


@pytest.mark.parametrize(
    ("trigger", "event", "fires"),
    [
        (_trigger("result", result="won"), _event("result_changed", to="won"), True),
        (_trigger("result", result="won"), _event("result_changed", to="lost"), False),
        (_trigger("enter_stage", stage_id=3), _event("stage_changed", from_stage_id=2, to_stage_id=3), True),
        (_trigger("enter_stage", stage_id=3), _event("stage_changed", from_stage_id=3, to_stage_id=4), False),
        (_trigger("enter_stage", stage_id=3), _event("opportunity_created", stage_id=3), True),
        (_trigger("enter_stage", stage_id=3), _event("opportunity_created", stage_id=1), False),
        # X→Y never fires for Z→Y.
        (
            _trigger("stage_change", from_stage_id=1, to_stage_id=3),
            _event("stage_changed", from_stage_id=1, to_stage_id=3),
            True,
        ),
        (
            _trigger("stage_change", from_stage_id=1, to_stage_id=3),
            _event("stage_changed", from_stage_id=2, to_stage_id=3),
            False,
        ),
        (_trigger("quote_sent"), _event("quote_sent"), True),
        (_trigger("quote_sent"), _event("quote_reopened"), False),
        (_trigger("action_created", type_id=5), _event("action_created", type_id=5), True),
        (_trigger("action_created", type_id=5), _event("action_created", type_id=6), False),
        (_trigger("action_closed", type_id=5), _event("action_created", type_id=5), False),
        (_trigger("no-such-event"), _event("stage_changed"), False),
    ],
)
def test_which_domain_event_fires_which_trigger(trigger, event, fires):  # type: ignore[no-untyped-def]
    assert matches(trigger, event) is fires


def test_a_failed_mail_waits_twice_as_long_each_time_up_to_an_hour():
    app = Flask(__name__)
    app.config["MAIL_RETRY_BASE_SECONDS"] = 30
    with app.app_context():
        delays = [retry_delay(n) for n in range(0, 10)]
    assert delays[:5] == [timedelta(seconds=s) for s in (30, 30, 60, 120, 240)]
    assert delays[-1] == timedelta(hours=1) and max(delays) == timedelta(hours=1)


def test_a_failed_trigger_effect_waits_three_times_as_long_each_time_up_to_an_hour():
    app = Flask(__name__)
    app.config["TRIGGER_RETRY_BASE_SECONDS"] = 5
    with app.app_context():
        delays = [trigger_retry_delay(n) for n in range(0, 10)]
    assert delays[:5] == [timedelta(seconds=s) for s in (5, 5, 15, 45, 135)]
    assert delays[-1] == timedelta(hours=1) and max(delays) == timedelta(hours=1)


def test_a_reply_quotes_in_reply_to_first_then_the_newest_references():
    references = " ".join(f"<{n}@x>" for n in range(100))
    msg = message_from_string(f"In-Reply-To: <last@x>\r\nReferences: {references}\r\n\r\n", policy=compat32)
    ids = quoted_ids(msg)
    assert ids[0] == "<last@x>" and ids[1:] == [f"<{n}@x>" for n in range(80, 100)]


@pytest.mark.parametrize(
    ("sender", "recipient", "same"),
    [
        ("camille@client.example", "Camille@Client.example", True),
        ("dominique@client.example", "camille@client.example", True),  # a colleague answers
        ("eve@elsewhere.example", "camille@client.example", False),
        ("someone@gmail.com", "camille@gmail.com", False),  # a public webmail is nobody's company
        ("camille@gmail.com", "camille@gmail.com", True),
        ("not-an-address", "camille@client.example", False),
    ],
)
def test_who_counts_as_the_person_written_to(sender, recipient, same):  # type: ignore[no-untyped-def]
    assert _same_person(sender, recipient) is same
