"""Undo of a board move: the toast's button moves the card back, through the same move route.

The previous stage and the time the opportunity had entered it travel in a signed token, so an
undo restores the card's place in its column (the columns are ordered by that time) and its
days in the stage, and nobody can set that time to anything else.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer

from crm.models import Opportunity, Stage

MAX_AGE = 3600  # seconds: long after the toast is gone


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="board-undo")


def undo_action(opp: Opportunity, before: Stage, entered_at: datetime, filters: dict[str, str]) -> dict:  # type: ignore[type-arg]
    """What the move toast's Undo button posts: back to `before`, entered at `entered_at`."""
    token = _serializer().dumps([opp.id, before.id, entered_at.isoformat()])
    return {
        "label": _("Undo"),
        "url": url_for("opportunities.move", opportunity_id=opp.id),
        "values": {"stage_id": before.id, "from_stage_id": opp.stage_id, "undo": token, **filters},
    }


def undo_entered_at(token: str, opp: Opportunity, stage: Stage) -> datetime:
    """The time to restore, if `token` was made for moving `opp` back to `stage`; else ValueError."""
    try:
        opp_id, stage_id, entered = _serializer().loads(token, max_age=MAX_AGE)
        if opp_id != opp.id or stage_id != stage.id:
            raise ValueError("another move")
        return datetime.fromisoformat(entered)
    except (BadData, TypeError, ValueError) as err:
        raise ValueError("no such undo") from err
