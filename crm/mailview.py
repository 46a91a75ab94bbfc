"""Mail shown inside the app (Mailbox, mail log, previews): read, never tracked.

Each message sits in a sandboxed srcdoc frame. Before it goes there, its open pixel is taken out
and its tracked links are turned back into their destinations, so that looking at a message in
the app neither counts an open nor a click; links open in a new tab (the frame itself may not be
navigated), and cid: images travel inside as data: URIs. The pages that show delivered mail also
send a Content-Security-Policy that lets no image load from anywhere (crm/web.py).
"""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlsplit

PIXEL = re.compile(r'<img\b[^>]*\bsrc="[^"]*/m/o/[^"/]+\.gif"[^>]*>', re.I)
TRACKED = re.compile(r'href="([^"]*/m/c/[^"?]+\?[^"]*)"', re.I)
CID = re.compile(r'(\bsrc=")cid:([^"]+)(")', re.I)
VIEWER_CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; script-src 'self'; img-src data:;"
    " connect-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'none'"
)


def _untracked(match: re.Match[str]) -> str:
    query = parse_qs(urlsplit(match.group(1).replace("&amp;", "&")).query)
    target = (query.get("u") or [""])[0]
    if urlsplit(target).scheme not in ("http", "https"):
        return 'href="#"'
    return 'href="{}"'.format(target.replace("&", "&amp;").replace('"', "&quot;"))


def viewer_html(html: str, cid_images: dict[str, tuple[str, bytes]] | None = None) -> str:
    """`html` ready for a srcdoc frame (a plain string: Jinja escapes it as the attribute's value)."""
    html = PIXEL.sub("", str(html or ""))
    html = TRACKED.sub(_untracked, html)
    if cid_images:

        def inline(match: re.Match[str]) -> str:
            found = cid_images.get(match.group(2).strip("<>"))
            if found is None:
                return match.group(0)
            content_type, data = found
            return f"{match.group(1)}data:{content_type};base64,{base64.b64encode(data).decode()}{match.group(3)}"

        html = CID.sub(inline, html)
    return '<base target="_blank">' + html
