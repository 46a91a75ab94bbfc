"""CSV export of accounts, contacts, leads and a board's deals; CSV import of accounts, contacts
and leads: upload, preview with each row's errors, confirm (nothing is written before).

Admins and reps may both import: a rep's rows are theirs (owner_email empty or their own), an
admin's may name any active user in owner_email; an empty owner_email means the importer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import Blueprint, abort, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from crm.board.routes import board_filter
from crm.extensions import db
from crm.files import content_disposition
from crm.models import RESULTS
from crm.records.csv_export import deal_rows, record_rows
from crm.records.csv_format import COLUMNS, DEAL_COLUMNS, READ_ONLY, REQUIRED, export_columns, stream
from crm.records.csv_forms import ConfirmForm, ImportForm
from crm.records.csv_import import MAX_BYTES, MAX_ROWS, Preview, check_rows, read_table
from crm.records.csv_pending import forget, keep, load
from crm.records.kinds import KINDS, Kind
from crm.records.lists import parse
from crm.responses import done, refused, render
from crm.security import protect
from crm.services import ServiceError
from crm.services.access import pipeline_or_404
from crm.services.records import create_records

bp = protect(Blueprint("csvio", __name__))
KIND = "<any(accounts, contacts, leads):kind>"


def _download(filename: str, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Response:
    body = stream_with_context(stream(header, rows))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = content_disposition("attachment", filename)
    return response


@bp.get(f"/{KIND}/export.csv")
def export_records(kind: str) -> Response:
    """The records the list shows (its search and filters included), every page of them."""
    listing = parse(KINDS[kind], request.args)
    return _download(f"{kind}-{date.today().isoformat()}.csv", export_columns(kind), record_rows(listing))


@bp.get("/boards/<int:pipeline_id>/export.csv")
def export_deals(pipeline_id: int) -> Response:
    """The deals of a pipeline the user may see: the open ones the board shows (?mine=, ?tag=),
    or ?result=won|lost|dormant as the closed lists show them."""
    pipeline = pipeline_or_404(current_user, pipeline_id)
    result = request.args.get("result", "open")
    if result not in RESULTS:
        abort(404)
    rows = deal_rows(current_user._get_current_object(), pipeline, result, board_filter())
    name = f"deals-{pipeline.id}-{result}-{date.today().isoformat()}.csv"
    return _download(name, DEAL_COLUMNS, rows)


def _page(kind: Kind, form: ImportForm, *, status: int = 200, **context: Any) -> Response:
    return render(
        "records/import.html",
        block="import",
        kind=kind,
        form=form,
        columns=COLUMNS[kind.slug],
        required=REQUIRED[kind.slug],
        read_only=READ_ONLY,
        max_mb=MAX_BYTES // (1024 * 1024),
        max_rows=MAX_ROWS,
        status=status,
        **context,
    )


@bp.route(f"/{KIND}/import", methods=["GET", "POST"])
def import_upload(kind: str) -> Response:
    """Upload a file; answer its preview. A file without errors is kept for the Confirm."""
    spec = KINDS[kind]
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(spec, form, status=422 if form.is_submitted() else 200)
    forget(current_user)  # a new file replaces the one waiting, if any
    upload = form.file.data
    data = upload.read(MAX_BYTES + 1)
    filename = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
    try:
        header, records = read_table(data, kind)
    except ServiceError as err:
        form.file.errors = [str(err.message)]
        return _page(spec, form, status=422)
    preview = check_rows(spec, header, records, current_user._get_current_object())
    token = keep(kind, data, filename, current_user) if not preview.failed else None
    return _preview(spec, form, preview, token, filename)


def _preview(kind: Kind, form: ImportForm, preview: Preview, token: str | None, filename: str) -> Response:
    failed = preview.failed
    confirm = None
    if token:
        confirm = ConfirmForm(formdata=None)
        confirm.token.data = token
    return _page(
        kind,
        form,
        status=422 if failed else 200,
        preview=preview,
        shown=preview.shown(),
        failed_rows=", ".join(str(r.number) for r in failed[:20]) + (" …" if len(failed) > 20 else ""),
        confirm=confirm,
        filename=filename,
    )


@bp.post(f"/{KIND}/import/confirm")
def import_confirm(kind: str) -> Response:
    """Check the kept file again (the database may have changed), then write every row in one
    transaction, or none if any row has an error now."""
    spec = KINDS[kind]
    confirm = ConfirmForm()
    pending = load(kind, confirm.token.data or "", current_user) if confirm.validate_on_submit() else None
    if pending is None:
        return refused(_("This import is no longer waiting for you: upload the file again."), 409)
    data, filename = pending
    form = ImportForm(formdata=None)
    try:
        header, records = read_table(data, kind)
    except ServiceError as err:
        forget(current_user)
        return refused(str(err.message), 422)
    preview = check_rows(spec, header, records, current_user._get_current_object())
    if preview.failed:
        forget(current_user)
        return _preview(spec, form, preview, None, filename)
    created = create_records(spec.model, [row.values for row in preview.rows])
    forget(current_user)
    db.session.expire_all()
    message = ngettext("%(num)d record imported.", "%(num)d records imported.", len(created))
    return done(url_for("records.index", kind=kind), message)
