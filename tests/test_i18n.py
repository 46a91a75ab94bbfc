"""English and French: chosen from the user's preference, else the browser; both catalogs complete."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from crm.extensions import db
from tests.conftest import PASSWORD
from tests.factories import make_opportunity, make_pipeline

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "crm" / "translations"


def test_login_page_follows_the_browser_language(client):
    assert "Mot de passe" in client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(
        as_text=True
    )
    assert "Password" in client.get("/login", headers={"Accept-Language": "en-US"}).get_data(as_text=True)


def test_user_preference_wins_over_the_browser(client, auth, rep):
    rep.locale = "fr"
    db.session.commit()
    auth.login(rep)
    make_opportunity(make_pipeline("Ventes", ["Nouveau", "R2"]).stages[0], amount=1234)
    page = client.get("/", follow_redirects=True, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Comptes" in page and "Tout le monde" in page
    assert "1\u202f234\u00a0€" in page or "1 234 €" in page  # French number and currency layout


def test_language_switch_is_saved_on_the_user(client, auth, rep):
    auth.login(rep)
    client.post("/language", data={"locale": "fr", "next": "/accounts/"})
    assert "Comptes" in client.get("/accounts/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert db.session.get(type(rep), rep.id).locale == "fr"
    client.post("/language", data={"locale": "xx"})  # unknown: ignored
    assert db.session.get(type(rep), rep.id).locale == "fr"


def test_language_switch_before_login(client):
    client.post("/language", data={"locale": "fr", "next": "/login"})
    assert "Mot de passe" in client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"email": "x@example.com", "password": PASSWORD}).status_code == 401


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_catalog_is_complete(locale, tmp_path):
    """Every string in the code and templates has a translation (run `make extract-messages`)."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            str(CATALOGS / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "lazy_pgettext:1c,2",
            "-o",
            str(pot),
            "app.py",
            "worker.py",
            "crm",
            "automation",
            "templates",
        ],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as f:
        wanted = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(f) if m.id}
    with (CATALOGS / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    translated = {
        (m.context, m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    missing = sorted(wanted - translated)
    assert not missing, f"{len(missing)} untranslated in {locale}: {missing[:10]}"
