"""A user imports contacts from a CSV file (a bad row first, then the corrected file) and
exports the list again as a download."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.factories import make_account, make_contact

HEADER = "first_name;last_name;account;email;tags\n"
BAD = HEADER + "Zoë;Lefèvre;Atelier Lumière;zoe@lumiere.example;vip\nMarc;Durand;;marc-at-example;\n"
GOOD = HEADER + "Zoë;Lefèvre;Atelier Lumière;zoe@lumiere.example;vip\nMarc;Durand;;marc@example.com;\n"


def _choose(page: Page, text: str) -> None:
    page.set_input_files(
        "#file", files=[{"name": "contacts.csv", "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.get_by_role("button", name="Upload and preview").click()


def test_a_user_corrects_a_bad_row_imports_and_exports_again(page: Page, login, admin):  # type: ignore[no-untyped-def]
    make_account(name="Atelier Lumière")
    make_contact(first_name="Old", last_name="Timer", email="old@example.com")
    login(admin)
    page.goto("/contacts/")
    page.get_by_role("link", name="Import CSV").click()
    expect(page.get_by_role("heading", name="Contacts · Import CSV")).to_be_visible()

    _choose(page, BAD)
    row = page.locator("#csv-row-3")
    expect(row).to_contain_text("email: Invalid email address.")
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported. Correct row 3 in the file")
    expect(page.locator(".csv-preview")).to_contain_text("1 row ready")
    expect(page.locator(".csv-preview")).to_contain_text("1 row with errors")
    expect(page.get_by_role("button", name="Import 2 records")).to_have_count(0)

    _choose(page, GOOD)
    expect(page.locator(".csv-preview")).to_contain_text("2 rows ready")
    expect(page.locator("#csv-row-3")).to_contain_text("Ready")
    page.set_viewport_size({"width": 390, "height": 844})  # the preview fits a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1400, "height": 900})
    page.get_by_role("button", name="Import 2 records").click()

    expect(page).to_have_url("/contacts/")
    expect(page.locator("#toasts")).to_contain_text("2 records imported.")
    expect(page.get_by_role("link", name="Zoë Lefèvre")).to_be_visible()
    expect(page.get_by_role("link", name="Marc Durand")).to_be_visible()

    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("contacts-") and download.suggested_filename.endswith(
        ".csv"
    )
    with open(download.path(), "rb") as f:
        body = f.read()
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert "Lefèvre" in text and "Durand" in text and "Timer" in text

    page.locator("#q").fill("Lef")  # the search narrows the list, and so the export
    expect(page.get_by_role("link", name="Marc Durand")).to_have_count(0)
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    with open(info.value.path(), encoding="utf-8-sig") as f:
        lines = f.read().splitlines()
    assert len(lines) == 2 and "Lefèvre" in lines[1]
