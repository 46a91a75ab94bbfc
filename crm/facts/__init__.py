"""Facts, not sentences: what the worker and the automations record is a kind and its parameters
(ids, names, numbers); the sentence is written when someone reads it, in the reader's language.

`fact("tag_added", tag="vip")` is the text to store (a small JSON object, in a text column or a
JSON field); `describe(stored)` is the sentence, through gettext at display time. Stored text that
is no fact (rows written before, an SMTP server's own answer) is shown as it is."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

MARK = '{"fact":'
SENTENCES: dict[str, Callable[[dict[str, Any]], str]] = {}


def sentence(kind: str) -> Callable[[Callable[[dict[str, Any]], str]], Callable[[dict[str, Any]], str]]:
    """Register the function that writes the sentence of a kind of fact."""

    def register(render: Callable[[dict[str, Any]], str]) -> Callable[[dict[str, Any]], str]:
        SENTENCES[kind] = render
        return render

    return register


def fact(kind: str, /, **params: Any) -> str:
    """The stored form of a fact: `{"fact": kind, ...params}` as compact JSON (a parameter that
    is itself a fact, a reason inside a failure, is kept as a fact)."""
    params = {key: parse(v) or v if isinstance(v, str) else v for key, v in params.items()}
    return json.dumps({"fact": kind, **params}, ensure_ascii=False, separators=(",", ":"), default=str)


def clip(stored: str, limit: int) -> str:
    """Fit a stored value in a column: a fact too long is kept as its sentence (now), cut."""
    if len(stored) <= limit:
        return stored
    return (describe(stored) if parse(stored) else stored)[:limit]


def parse(stored: Any) -> dict[str, Any] | None:
    """The fact in a stored value, or None when it is plain text."""
    if isinstance(stored, dict):
        return stored if isinstance(stored.get("fact"), str) else None
    if not isinstance(stored, str) or not stored.startswith(MARK):
        return None
    try:
        data = json.loads(stored)
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("fact"), str) else None


def describe(stored: Any) -> str:
    """The sentence for a stored fact in the current language; plain text as it is."""
    data = parse(stored)
    if data is None:
        return "" if stored is None else str(stored)
    render = SENTENCES.get(data["fact"])
    if render is None:  # a kind this code no longer knows: say something rather than fail
        return data["fact"]
    params = {key: describe(v) if parse(v) else v for key, v in data.items() if key != "fact"}
    try:
        return render(params)
    except (KeyError, TypeError, ValueError, AttributeError):
        return data["fact"]


from crm.facts import mail  # noqa: E402,F401  (its sentences register; automation registers its own)
