"""The opportunity board of a pipeline: what reps use all day."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from crm import cache
from crm.board.queries import SORTS, BoardFilter, board_columns, closed_opportunities, more_cards
from crm.extensions import db
from crm.formatting import money_formatter
from crm.forms import optional_int, page_number
from crm.models import CLOSED_RESULTS, Pipeline, Stage, Tag
from crm.pages import fragment_or_redirect
from crm.responses import render
from crm.security import protect
from crm.services.access import pipeline_or_404, pipeline_visible, visible_pipeline_rows
from crm.services.actions import today_for

bp = protect(Blueprint("board", __name__))
# What the board section shows: a commit to any of these renders it again.
BOARD_TABLES = (
    "opportunities",
    "opportunity_tags",
    "accounts",
    "users",
    "tags",
    "stages",
    "pipelines",
    "actions",
)


def board_filter() -> BoardFilter:
    """Filters come from the query string: ?mine=1 and ?tag=<id>."""
    return BoardFilter(
        owner_id=current_user.id if request.values.get("mine") == "1" else None,
        tag_id=optional_int(request.values.get("tag")),
    )


def filter_args() -> dict[str, str]:
    """What the board's links and requests carry along: the filters and a non-default sort."""
    args = {k: v for k in ("mine", "tag") if (v := request.values.get(k))}
    if board_sort() != "manual":
        args["sort"] = board_sort()
    return args


def board_sort() -> str:
    """?sort=urgency orders each column overdue first; anything else keeps the manual order."""
    sort = request.values.get("sort", "manual")
    return sort if sort in SORTS else "manual"


def card_kit() -> dict[str, dict[str, object]]:
    """What every card needs, computed once per response instead of once per card."""
    base = url_for("opportunities.show", opportunity_id=0)[:-1]
    titles = {"won": _("Mark won"), "lost": _("Mark lost"), "dormant": _("Mark dormant")}
    return {
        "kit": {
            "base": base,
            "money": money_formatter(),
            "today": today_for(current_user),
            # Memoized per response: many cards share a date or a number of days.
            "day": _memo(lambda d: format_date(d, "d MMM")),
            "days_label": _memo(lambda n: ngettext("%(num)d d in stage", "%(num)d d in stage", n)),
            "idle_title": _memo(
                lambda n: ngettext(
                    "Idle: more than %(num)d day in this stage",
                    "Idle: more than %(num)d days in this stage",
                    n,
                )
            ),
            "close_title": _("Expected close"),
            "idle_word": _("Idle"),
            "status": {
                "overdue": ("⚠", _("Next action overdue")),
                "today": ("●", _("Next action due today")),
                "later": ("◷", _("Next action planned later")),
                "none": ("○", _("No next action planned")),
            },
            "quick": _stamped(render_template("board/_quick.html", base=base, titles=titles)),
        }
    }


def _memo(fn: Callable[[Any], str]) -> Callable[[Any], str]:
    """`fn` computed once per distinct argument (within one response)."""
    seen: dict[Any, str] = {}

    def cached(value: Any) -> str:
        if value not in seen:
            seen[value] = fn(value)
        return seen[value]

    return cached


def _stamped(html: str) -> Callable[[int], Markup]:
    """The quick buttons rendered once; each card gets them with its id (a join, not a
    Markup.replace, which escapes and rescans the whole snippet on every card)."""
    parts = html.split("__ID__")
    return lambda card_id: Markup(str(card_id).join(parts))


@bp.get("/")
def home() -> Response:
    first = db.session.scalar(
        select(Pipeline.id)
        .where(pipeline_visible(current_user))
        .order_by(Pipeline.position, Pipeline.id)
        .limit(1)
    )
    if first is None:
        return render("board/empty.html")
    return redirect(url_for("board.show", pipeline_id=first))


@bp.get("/boards/<int:pipeline_id>")
def show(pipeline_id: int) -> Response:
    visible = visible_pipeline_rows(current_user)
    name = dict(visible).get(pipeline_id)
    if name is None:
        abort(404)
    flt, filters = board_filter(), filter_args()
    key = (
        "board",
        pipeline_id,
        flt.owner_id,
        flt.tag_id,
        str(get_locale()),
        tuple(sorted(filters.items())),
        current_user.is_admin,
        visible,
        request.script_root,
        today_for(current_user),  # the cards' next-action status and days in stage
    )
    section = cache.cached(key, BOARD_TABLES, lambda: _section_html(pipeline_id, visible, flt, filters))
    return render("board/show.html", block="board", pipeline_name=name, section=section)


def _section_html(
    pipeline_id: int, visible: tuple[tuple[int, str], ...], flt: BoardFilter, filters: dict[str, str]
) -> Markup:
    """Everything on the board but the page around it: the head, the funnel, the columns."""
    pipeline = db.session.get_one(Pipeline, pipeline_id)
    kit = card_kit()
    columns = board_columns(
        pipeline, flt, current_app.config["BOARD_PAGE_SIZE"], board_sort(), kit["kit"]["today"]
    )
    html = render_template(
        "board/_section.html",
        pipeline=pipeline,
        pipelines=visible,
        tags=db.session.scalars(select(Tag).order_by(Tag.name)).all(),
        flt=flt,
        filters=filters,
        columns=columns,
        totals={col.stage.id: (col.count, col.total) for col in columns},
        sort=board_sort(),
        **kit,
    )
    return Markup(html)


@bp.get("/boards/<int:pipeline_id>/stages/<int:stage_id>/cards")
def more(pipeline_id: int, stage_id: int) -> Response:
    stage = db.get_or_404(Stage, stage_id)
    if stage.pipeline_id != pipeline_or_404(current_user, pipeline_id).id:
        abort(404)
    if page := fragment_or_redirect(url_for("board.show", pipeline_id=pipeline_id, **filter_args())):
        return page
    limit = current_app.config["BOARD_PAGE_SIZE"]
    offset = max(optional_int(request.args.get("offset")) or 0, 0)
    kit = card_kit()
    cards = more_cards(
        pipeline_id, stage_id, board_filter(), offset, limit + 1, board_sort(), kit["kit"]["today"]
    )
    return render(
        "board/_more.html",
        stage=stage,
        cards=cards[:limit],
        next_offset=offset + limit if len(cards) > limit else None,
        filters=filter_args(),
        **kit,
    )


@bp.get("/boards/<int:pipeline_id>/closed")
def closed(pipeline_id: int) -> Response:
    pipeline = pipeline_or_404(current_user, pipeline_id)
    result = request.args.get("result", "won")
    if result not in CLOSED_RESULTS:
        abort(404)
    page = closed_opportunities(pipeline.id, result, board_filter(), page_number())
    return render(
        "board/closed.html",
        block="results",
        pipeline=pipeline,
        result=result,
        page=page,
        filters=filter_args(),
    )
