"""Hardening: error pages that render without a URL adapter, security headers on every page."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest


@pytest.mark.parametrize("host", ["a" * 300, "x" * 5000, "a" * 70 + ".example", "a..b"])
def test_an_unroutable_host_gets_a_400_page_not_a_500(client, host):
    response = client.get("/login", headers={"Host": host})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "The request could not be understood." in body and 'href="/static/css/app.css"' in body


def test_an_unroutable_host_over_a_real_connection(live_server):
    url = urlsplit(live_server)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.putrequest("GET", "/opportunities/1", skip_host=True)
    conn.putheader("Host", "h" * 2000)
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 400 and b"The request could not be understood." in response.read()
