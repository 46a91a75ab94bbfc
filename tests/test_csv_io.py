"""CSV export (accounts, contacts, leads, a board's deals) and import (upload, preview, confirm)."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from crm.extensions import db
from crm.models import Account, Contact, Lead, User, contact_tags, lead_tags, utcnow
from crm.records import csv_export
from crm.services.opportunities import set_result
from crm.services.pipelines import set_access
from crm.services.records import save_record
from tests.factories import make_account, make_contact, make_lead, make_opportunity, make_pipeline, make_user
from tests.test_board import count_queries

CONTACT_HEADER = "first_name,last_name,account,job_title,email,phone,owner_email,opt_in,unsubscribed,tags"


def rows_of(body: bytes) -> list[dict[str, str]]:
    assert body.startswith("\ufeff".encode()), "UTF-8 with a BOM, for Excel"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def export(client, url: str):  # type: ignore[no-untyped-def]
    return client.get(url)


def upload(client, kind: str, text: str | bytes, name: str = "file.csv", **kw):  # type: ignore[no-untyped-def]
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        f"/{kind}/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data", **kw
    )


def token_of(html: str) -> str:
    return html.split('name="token" type="hidden" value="', 1)[1].split('"', 1)[0]


def count(model) -> int:  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def pending_files(app) -> list[Path]:  # type: ignore[no-untyped-def]
    folder = Path(app.config["UPLOAD_DIR"]) / "csv-imports"
    return list(folder.glob("*.csv")) if folder.is_dir() else []


@pytest.fixture(autouse=True)
def _no_pending_files(app):  # type: ignore[no-untyped-def]
    for path in pending_files(app):
        path.unlink()


# --------------------------------------------------------------------------------------------------
# Export


def test_contacts_export_is_utf8_with_bom_english_columns_and_every_page(client, auth, rep):
    account = make_account(name="Établissements Lumière")
    contact = make_contact(account, first_name="Héloïse", last_name="Dürr", email="heloise@lumiere.example")
    save_record(contact, {"tags": "vip, Émeraude", "owner_id": rep.id, "opt_in": True})
    for n in range(30):  # more than a page of the list
        make_contact(last_name=f"Zed{n:02}")
    auth.login(rep)
    response = export(client, "/contacts/export.csv")
    assert response.status_code == 200 and "Content-Length" not in response.headers  # streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="contacts-')
    body = response.get_data()
    assert body.decode("utf-8-sig").splitlines()[0] == f"id,{CONTACT_HEADER},created_at"
    rows = rows_of(body)
    assert len(rows) == 31
    first = rows[0]
    assert first["first_name"] == "Héloïse" and first["last_name"] == "Dürr"
    assert first["account"] == "Établissements Lumière" and first["owner_email"] == rep.email
    assert first["tags"] == "vip, Émeraude" and first["opt_in"] == "1" and first["unsubscribed"] == "0"


def test_the_column_names_stay_in_english_for_a_french_user(client, auth):
    user = make_user(locale="fr")
    make_lead(last_name="Moreau")
    auth.login(user)
    header = export(client, "/leads/export.csv").get_data().decode("utf-8-sig").splitlines()[0]
    assert header.startswith("id,first_name,last_name,company,source,email,phone,owner_email")


def test_the_export_honours_the_lists_search(client, auth, rep):
    make_account(name="Acme Rockets")
    make_account(name="Boulangerie Martin")
    auth.login(rep)
    rows = rows_of(export(client, "/accounts/export.csv?q=rock").get_data())
    assert [r["name"] for r in rows] == ["Acme Rockets"]


def test_the_export_follows_the_lists_filters_and_leaves_converted_leads_out(client, auth, rep):
    other = make_user(name="Other Rep")
    acme = make_account(name="Acme")
    make_contact(last_name="Mine", account=acme, owner=rep)
    make_contact(last_name="Theirs", account=acme, owner=other)
    make_contact(last_name="Elsewhere", owner=rep)
    auth.login(rep)
    rows = rows_of(export(client, f"/contacts/export.csv?owner={rep.id}&account={acme.id}").get_data())
    assert [r["last_name"] for r in rows] == ["Mine"]

    make_lead(last_name="Open")
    converted = make_lead(last_name="Converted")
    converted.converted_at = utcnow()
    db.session.commit()
    assert [r["last_name"] for r in rows_of(export(client, "/leads/export.csv").get_data())] == ["Open"]
    both = rows_of(export(client, "/leads/export.csv?converted=1").get_data())
    assert sorted(r["last_name"] for r in both) == ["Converted", "Open"]


def test_cells_a_spreadsheet_would_run_as_formulas_get_an_apostrophe(client, auth, admin):
    make_contact(
        first_name='=HYPERLINK("http://evil.example","x")',
        last_name="@SUM(A1:A9)",
        job_title="-2+3",
        phone="+33 1 23 45 67 89",
        email=None,
    )
    make_lead(last_name="\tTabbed", company="\rReturn")
    auth.login(admin)
    row = rows_of(export(client, "/contacts/export.csv").get_data())[0]
    assert row["first_name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["last_name"] == "'@SUM(A1:A9)"
    assert row["job_title"] == "'-2+3" and row["phone"] == "'+33 1 23 45 67 89"
    lead = rows_of(export(client, "/leads/export.csv").get_data())[0]
    assert lead["last_name"] == "'\tTabbed" and lead["company"] == "'\rReturn"


def test_the_export_sends_the_same_queries_for_3_or_40_records(client, auth, admin, monkeypatch):
    monkeypatch.setattr(csv_export, "BATCH", 50)
    accounts = [make_account() for _ in range(3)]

    def measure() -> tuple[int, int]:
        with count_queries() as statements:
            rows = rows_of(export(client, "/contacts/export.csv").get_data())
        return len(rows), len(statements)

    auth.login(admin)
    for n in range(3):
        contact = make_contact(accounts[n % 3])
        save_record(contact, {"tags": f"t{n}", "owner_id": admin.id})
    few = measure()
    for n in range(37):
        contact = make_contact(accounts[n % 3])
        save_record(contact, {"tags": f"t{n}", "owner_id": make_user().id})
    many = measure()
    assert few[0] == 3 and many[0] == 40
    assert many[1] == few[1], "no query per row"
    monkeypatch.setattr(csv_export, "BATCH", 7)  # and the keyset batches miss nothing
    assert len(rows_of(export(client, "/contacts/export.csv").get_data())) == 40


@pytest.fixture
def pipelines(admin):  # type: ignore[no-untyped-def]
    open_pipeline = make_pipeline("Open", ["New", "Proposal"])
    secret = make_pipeline("Key accounts", ["Approach", "Deal"])
    set_access(secret, restricted=True, members=[])
    account = make_account(name="Bigco")
    contact = make_contact(account, first_name="Bea", last_name="Buyer", email="bea@bigco.example")
    make_opportunity(
        open_pipeline.stages[0],
        name="Public deal",
        amount=1500,
        account=account,
        contact=contact,
        owner=admin,
    )
    make_opportunity(open_pipeline.stages[1], name="=Sneaky deal", amount=10)
    won = make_opportunity(open_pipeline.stages[1], name="Closed deal", amount=99)
    set_result(won, "won", actor=None)
    make_opportunity(secret.stages[0], name="Secret deal")
    return open_pipeline, secret


def test_a_deal_export_is_the_boards_pipeline_and_a_rep_gets_nothing_hidden(
    client, auth, rep, admin, pipelines
):
    open_pipeline, secret = pipelines
    auth.login(rep)
    board = client.get(f"/boards/{open_pipeline.id}").get_data(as_text=True)
    assert f'href="/boards/{open_pipeline.id}/export.csv"' in board
    rows = rows_of(export(client, f"/boards/{open_pipeline.id}/export.csv").get_data())
    assert sorted(r["name"] for r in rows) == ["'=Sneaky deal", "Public deal"]
    public = next(r for r in rows if r["name"] == "Public deal")
    assert public["pipeline"] == "Open" and public["stage"] == "New" and public["amount"] == "1500.00"
    assert public["account"] == "Bigco" and public["contact_email"] == "bea@bigco.example"
    assert public["owner_email"] == admin.email and public["result"] == "open"
    won = rows_of(export(client, f"/boards/{open_pipeline.id}/export.csv?result=won").get_data())
    assert [r["name"] for r in won] == ["Closed deal"]
    assert export(client, f"/boards/{open_pipeline.id}/export.csv?result=nope").status_code == 404
    for result in ("open", "won", "lost", "dormant"):
        response = export(client, f"/boards/{secret.id}/export.csv?result={result}")
        assert response.status_code == 404 and b"Secret deal" not in response.get_data()
    auth.logout()
    auth.login(admin)
    rows = rows_of(export(client, f"/boards/{secret.id}/export.csv").get_data())
    assert [r["name"] for r in rows] == ["Secret deal"]


def test_a_deal_export_honours_the_boards_filters(client, auth, admin, pipelines):
    open_pipeline, _ = pipelines
    auth.login(admin)
    rows = rows_of(export(client, f"/boards/{open_pipeline.id}/export.csv?mine=1").get_data())
    assert [r["name"] for r in rows] == ["Public deal"]
    closed = client.get(f"/boards/{open_pipeline.id}/closed?result=won&mine=1").get_data(as_text=True)
    assert f"/boards/{open_pipeline.id}/export.csv?result=won&amp;mine=1" in closed


def test_unknown_kinds_and_pipelines_answer_404(client, auth, admin):
    auth.login(admin)
    assert export(client, "/people/export.csv").status_code == 404
    assert export(client, "/boards/987654/export.csv").status_code == 404
    assert client.get("/people/import").status_code == 404


# --------------------------------------------------------------------------------------------------
# Round trip


def _snapshot(client) -> dict[str, list[dict[str, str]]]:  # type: ignore[no-untyped-def]
    out = {}
    for kind in ("accounts", "contacts", "leads"):
        rows = rows_of(export(client, f"/{kind}/export.csv").get_data())
        out[kind] = sorted(
            ({k: v for k, v in r.items() if k not in ("id", "created_at")} for r in rows),
            key=lambda r: sorted(r.items()),
        )
    return out


def _import(client, kind: str, body: bytes) -> None:  # type: ignore[no-untyped-def]
    preview = upload(client, kind, body, f"{kind}.csv")
    assert preview.status_code == 200, preview.get_data(as_text=True)[-3000:]
    response = client.post(
        f"/{kind}/import/confirm", data={"token": token_of(preview.get_data(as_text=True))}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def test_an_export_imported_into_an_empty_database_gives_the_same_records(client, auth, admin):
    alice = make_user(name="Alice", email="alice@example.com")
    lumiere = make_account(name="Atelier Lumière", website="lumiere.example", phone="+33 1 40 00 00 00")
    save_record(lumiere, {"owner_id": alice.id, "opt_in": True})
    other = make_account(name="Nordic Freight", email="ops@nordic.example")
    save_record(other, {"owner_id": admin.id, "unsubscribed": True})
    c1 = make_contact(
        lumiere, first_name="Zoë", last_name="Lefèvre", job_title="=CEO", phone="+33 6 12 34 56 78"
    )
    save_record(c1, {"owner_id": alice.id, "tags": "vip, Salon 2026", "opt_in": True})
    c2 = make_contact(None, first_name="", last_name="Solo", email=None)
    save_record(c2, {"owner_id": admin.id})
    lead = make_lead(last_name="Moreau", company="Café; Thé, « Chez Nous »", source="salon")
    save_record(lead, {"owner_id": alice.id, "tags": "froid", "unsubscribed": True})
    auth.login(admin)
    before = _snapshot(client)
    files = {k: export(client, f"/{k}/export.csv").get_data() for k in ("accounts", "contacts", "leads")}
    db.session.execute(delete(contact_tags))
    db.session.execute(delete(lead_tags))
    db.session.execute(delete(Contact))
    db.session.execute(delete(Lead))
    db.session.execute(delete(Account))
    db.session.commit()
    assert _snapshot(client) == {"accounts": [], "contacts": [], "leads": []}
    for kind in ("accounts", "contacts", "leads"):  # the accounts first: contacts name them
        _import(client, kind, files[kind])
    assert _snapshot(client) == before
    assert before["contacts"][0]["job_title"] in ("'=CEO", "")  # exported safe, imported as typed
    assert db.session.scalar(select(Contact.job_title).where(Contact.last_name == "Lefèvre")) == "=CEO"


# --------------------------------------------------------------------------------------------------
# Import: preview, refusals, confirm


def test_the_preview_lists_each_rows_errors_and_nothing_is_written(client, auth, admin, app):
    make_account(name="Acme")
    make_contact(email="taken@acme.example")
    before = count(Contact)
    auth.login(admin)
    text = (
        f"{CONTACT_HEADER}\n"
        "Ann,Good,Acme,,ann@acme.example,,,1,0,vip\n"  # row 2: fine
        "Bob,,Acme,,bob@acme.example,,,,,\n"  # 3: no last name
        "Cy,Bad,,,not-an-email,,,,,\n"  # 4
        "Di,Nowhere,Unknown Ltd,,di@x.example,,,,,\n"  # 5
        "Ed,Owner,,,ed@x.example,,ghost@example.com,,,\n"  # 6
        "Fi,Taken,,,TAKEN@acme.example,,,,,\n"  # 7
        "Gu,Twice,,,ann@ACME.example,,,,,\n"  # 8
        "Ha,Flag,,,,,,maybe,,\n"  # 9
        "Io,Phone,,,,call me,,,,\n"  # 10
    )
    response = upload(client, "contacts", text)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "1 row ready" in html and "8 rows with errors" in html
    assert "Correct rows 3, 4, 5, 6, 7, 8, 9, 10 in the file" in html

    def errors(n: int) -> str:
        return html.split(f'id="csv-row-{n}"', 1)[1].split("</tr>", 1)[0]

    assert "Ready" in errors(2)
    assert "last_name: This field is required." in errors(3)
    assert "email: Invalid email address." in errors(4)
    assert "account: no account is named “Unknown Ltd”; import or create it first." in errors(5)
    assert "owner_email: no active user has the email “ghost@example.com”." in errors(6)
    assert "email: a record with “TAKEN@acme.example” already exists." in errors(7)
    assert "email: “ann@ACME.example” is also on row 2." in errors(8)
    assert "opt_in: “maybe” is neither yes nor no (write 1 or 0)." in errors(9)
    assert "phone: Use digits, spaces and + ( ) . - only." in errors(10)
    assert 'name="token"' not in html and "Import 1 record" not in html
    assert count(Contact) == before and pending_files(app) == []


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "", "Choose a CSV file."),
        (b"", "empty.csv", "The file is empty."),
        (b"  \n\n", "blank.csv", "The file is empty."),
        ("last_name\nMüller\n".encode("latin-1"), "latin1.csv", "The file is not UTF-8 text"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "image.csv",
            "This is not a CSV file: it holds binary data.",
        ),
        (b"last_name\nDoe\n", "contacts.xlsx", "Choose a .csv file"),
        (b"last_name\n", "header.csv", "The file has a header row but no records."),
        (b"first_name,email\nAnn,a@x.example\n", "nolast.csv", "The column “last_name” is missing."),
        (b"last_name,salary\nDoe,1\n", "unknown.csv", "Unknown columns: salary. The columns are: first_name"),
        (
            b"last_name,email,Email\nDoe,a@x.example,b@x.example\n",
            "twice.csv",
            "The header names these columns twice: email.",
        ),
        (b"last_name,,email\nDoe,,a@x.example\n", "noname.csv", "A column of the header row has no name."),
        (b"last_name\n" + b"Doe\n" * 5001, "many.csv", "The file has more than 5000 records"),
        (b"last_name\n" + b"D" * (2 * 1024 * 1024), "big.csv", "The file is larger than 2 MB."),
        (b'last_name\n"Doe\n' + b"x" * 70000, "huge-cell.csv", "could not be read as CSV"),
    ],
    ids=lambda v: v if isinstance(v, str) and v.endswith((".csv", ".xlsx")) else None,
)
def test_a_refused_file_gets_a_clear_message_and_writes_nothing(client, auth, rep, app, data, name, message):
    auth.login(rep)
    before = count(Contact)
    response = upload(client, "contacts", data, name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Contact) == before and pending_files(app) == []


def test_a_semicolon_file_with_a_bom_previews_then_imports_on_confirm(client, auth, rep, app):
    make_account(name="Atelier Lumière")
    auth.login(rep)
    text = (
        "\ufefflast_name;First Name;account;email;tags;opt_in\r\n"
        "Lefèvre;Zoë;atelier lumière;zoe@lumiere.example;vip, Salon;oui\r\n"
        ";;;;;\r\n"
        "Durand;Marc;;;;\r\n"
    )
    preview = upload(client, "contacts", text, "export-excel.csv")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "2 rows ready" in html and "Import 2 records" in html
    assert "Zoë" in html and count(Contact) == 0 and len(pending_files(app)) == 1
    response = client.post("/contacts/import/confirm", data={"token": token_of(html)}, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/contacts/"
    zoe = db.session.scalars(select(Contact).where(Contact.last_name == "Lefèvre")).one()
    assert (zoe.first_name, zoe.email, zoe.account.name) == ("Zoë", "zoe@lumiere.example", "Atelier Lumière")
    assert [t.name for t in zoe.tags] == ["Salon", "vip"] and zoe.opt_in and zoe.owner_id == rep.id
    marc = db.session.scalars(select(Contact).where(Contact.last_name == "Durand")).one()
    assert marc.email is None and marc.account is None and not marc.opt_in
    assert pending_files(app) == []
    assert "2 records imported." in client.get("/contacts/").get_data(as_text=True)
    again = client.post("/contacts/import/confirm", data={"token": token_of(html)})
    assert again.status_code == 409 and count(Contact) == 2  # a confirm counts once


def test_the_confirm_checks_the_file_again(client, auth, admin, app):
    auth.login(admin)
    preview = upload(client, "leads", "last_name,email\nMoreau,m@x.example\nPetit,p@x.example\n")
    assert preview.status_code == 200
    db.session.add(Lead(last_name="Meanwhile", email="p@x.example"))
    db.session.commit()
    response = client.post("/leads/import/confirm", data={"token": token_of(preview.get_data(as_text=True))})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Nothing was imported. Correct row 3" in html
    assert "email: a record with “p@x.example” already exists." in html
    assert count(Lead) == 1 and pending_files(app) == []


def test_only_the_session_that_uploaded_a_file_can_confirm_it(client, auth, admin, rep, app):
    auth.login(rep)
    preview = upload(client, "accounts", "name\nAcme\n")
    token = token_of(preview.get_data(as_text=True))
    other = app.test_client()
    other.post("/login", data={"email": admin.email, "password": "correct-horse-battery"})
    for client_, data in (
        (other, {"token": token}),
        (client, {"token": token[:-2] + "xx"}),
        (client, {"token": "../../etc/passwd"}),
        (client, {}),
    ):
        response = client_.post("/accounts/import/confirm", data=data)
        assert response.status_code == 409, data
        assert "upload the file again" in response.get_data(as_text=True)
    assert client.post("/contacts/import/confirm", data={"token": token}).status_code == 409  # another kind
    assert count(Account) == 0
    assert client.post("/accounts/import/confirm", data={"token": token}).status_code == 302
    assert count(Account) == 1


def test_a_rep_imports_records_they_own_and_an_admin_assigns_them(client, auth, rep, admin):
    other = make_user(email="other@example.com")
    auth.login(rep)
    text = f"name,owner_email\nMine,{rep.email.upper()}\nTheirs,other@example.com\nNobody's,\n"
    html = upload(client, "accounts", text).get_data(as_text=True)
    theirs = html.split('id="csv-row-3"', 1)[1].split("</tr>", 1)[0]
    assert "owner_email: you can import only records you own; leave it empty or give yours." in theirs
    assert "1 row with errors" in html
    auth.logout()
    auth.login(admin)
    preview = upload(client, "accounts", text)
    assert preview.status_code == 200
    client.post("/accounts/import/confirm", data={"token": token_of(preview.get_data(as_text=True))})
    owners = dict(db.session.execute(select(Account.name, Account.owner_id)).all())
    assert owners == {"Mine": rep.id, "Theirs": other.id, "Nobody's": admin.id}


def test_an_account_name_already_taken_or_twice_in_the_file_is_an_error(client, auth, admin):
    make_account(name="Acme")
    auth.login(admin)
    html = upload(client, "accounts", "name\nacme\nNew one\nnew ONE\n").get_data(as_text=True)
    assert "name: a record with “acme” already exists." in html
    assert "name: “new ONE” is also on row 3." in html


def test_csrf_is_required_to_upload_and_to_confirm(client, auth, admin):
    auth.login(admin)
    response = upload(client, "contacts", "last_name\nDoe\n", csrf=False)
    assert response.status_code == 400
    assert client.post("/contacts/import/confirm", data={"token": "x" * 32}, csrf=False).status_code == 400
    assert count(Contact) == 0


def test_a_thousand_rows_import_in_well_under_a_few_seconds(client, auth, admin):
    make_account(name="Acme")
    auth.login(admin)
    lines = [CONTACT_HEADER] + [
        f'Jane,Doe{n},Acme,Buyer,jane{n}@acme.example,+33 1 00 00 {n:04},{admin.email},1,0,"tag{n % 7}, vip"'
        for n in range(1000)
    ]
    started = time.perf_counter()
    preview = upload(client, "contacts", "\n".join(lines))
    checked = time.perf_counter()
    assert preview.status_code == 200, preview.get_data(as_text=True)[-2000:]
    assert "200 of 1000 rows shown" in preview.get_data(as_text=True)
    response = client.post(
        "/contacts/import/confirm", data={"token": token_of(preview.get_data(as_text=True))}
    )
    done = time.perf_counter()
    assert response.status_code == 302 and count(Contact) == 1000
    print(f"\n1,000 contacts: upload+preview {checked - started:.2f} s, confirm {done - checked:.2f} s")
    assert done - started < 5
    assert db.session.scalar(select(func.count()).select_from(contact_tags)) == 2000


def test_the_import_page_explains_the_columns(client, auth, rep):
    auth.login(rep)
    page = client.get("/leads/import").get_data(as_text=True)
    assert "<code>last_name</code>" in page and "<code>owner_email</code>" in page
    assert "You can import only records you own." in page
    listing = client.get("/leads/").get_data(as_text=True)
    assert 'href="/leads/import"' in listing and 'href="/leads/export.csv"' in listing
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_a_new_upload_replaces_the_file_waiting(client, auth, rep, app):
    auth.login(rep)
    first = token_of(upload(client, "leads", "last_name\nMoreau\n").get_data(as_text=True))
    assert len(pending_files(app)) == 1
    assert upload(client, "leads", b"\x00binary", "x.csv").status_code == 422
    assert pending_files(app) == []
    assert client.post("/leads/import/confirm", data={"token": first}).status_code == 409
    assert count(Lead) == 0
