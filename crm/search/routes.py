"""Find anything: the top bar's dialog (HTMX) and a whole page at /search?q= (its fallback)."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.forms import page_number
from crm.responses import render
from crm.search.queries import KINDS, LABELS, PER_KIND, SEE_ALL, Group, hit, query, see_all
from crm.security import protect
from crm.services.search import terms

bp = protect(Blueprint("search", __name__))
PER_PAGE = 25


def _groups(q: str) -> list[Group]:
    groups = []
    for kind in KINDS:
        rows = db.session.scalars(query(kind, q, current_user).limit(PER_KIND + 1)).unique().all()
        hits = [hit(kind, row) for row in rows[:PER_KIND]]
        if hits:
            more = len(rows) > PER_KIND
            groups.append(Group(kind, LABELS[kind], hits, more, see_all(kind, q), SEE_ALL[kind]))
    return groups


@bp.get("/search")
def show() -> Response:
    """Every kind, a few rows each; with ?kind= one kind, page by page."""
    q = " ".join(terms(request.args.get("q", "")))
    kind = request.args.get("kind", "")
    kind = kind if kind in KINDS else ""
    groups, page, hits = [], None, []
    if q and kind:
        stmt = query(kind, q, current_user)
        page = db.paginate(stmt, page=page_number(), per_page=PER_PAGE, error_out=False)
        hits = [hit(kind, row) for row in page.items]
    elif q:
        groups = _groups(q)
    return render(
        "search/show.html",
        block="results",
        q=q,
        kind=kind,
        groups=groups,
        page=page,
        hits=hits,
        labels=LABELS,
    )
