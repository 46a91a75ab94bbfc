"""Browser helpers: log in through the form, drag with the mouse, read the database afresh."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.conftest import PASSWORD
from tests.services import BackgroundWorker, InProcessWorker

expect.set_options(timeout=5_000)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "en-US", "viewport": {"width": 1400, "height": 900}}


@pytest.fixture
def page(page: Page) -> Page:
    page.set_default_timeout(5_000)
    return page


@pytest.fixture
def login(page: Page, live_server: str) -> Callable[[Any], Page]:
    """Log `user` in through the login form, like a person would."""

    def _login(user: Any) -> Page:
        page.goto("/login")
        page.locator("#email").fill(user.email)
        page.locator("#password").fill(PASSWORD)
        page.get_by_role("button", name="Log in", exact=True).click()
        expect(page).not_to_have_url(re.compile(r"/login"))
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        return page

    return _login


def mouse_drag(
    page: Page, source: Locator, target: Locator, *, steps: int = 12, y_ratio: float = 0.5
) -> None:
    """Press on `source`, move in small steps to `target`, release (what SortableJS listens to).

    The pauses make it a hand's pace: SortableJS ignores dragover events for a few tens of
    milliseconds after each reordering (and while items animate), so an instant jump would
    drop the card where it started.
    """
    src = source.bounding_box()
    dst = target.bounding_box()
    assert src and dst, "both ends of the drag must be visible"
    x0, y0 = src["x"] + src["width"] / 2, src["y"] + src["height"] / 2
    x1, y1 = dst["x"] + dst["width"] / 2, dst["y"] + dst["height"] * y_ratio
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 4, y0 + 4, steps=2)
    for i in range(1, steps + 1):
        page.mouse.move(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
        page.wait_for_timeout(20)
    for dy in (1, 2, 1):  # linger over the target, as a hand does before letting go
        page.mouse.move(x1, y1 + dy)
        page.wait_for_timeout(60)
    page.mouse.up()


def settled(page: Page) -> None:
    """Wait until htmx has finished swapping and settling: new content gets its listeners only
    when it settles (20 ms after the swap, longer on a busy machine), which a person never beats
    but a test can."""
    page.wait_for_load_state("load")
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


def fresh(obj: Any) -> Any:
    """The row as the server sees it now (the test's session may hold stale state)."""
    from crm.extensions import db

    db.session.rollback()
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


@pytest.fixture
def worker(app: Any, test_env: dict[str, str]) -> Iterator[BackgroundWorker]:
    """RQ's worker (scheduler and sweeps included) in a thread of the test's process, draining
    every 0.1 s while the page waits; it stops after the test. Real worker processes are for the
    tests about processes (tests/faults/, tests/test_processes.py)."""
    from redis import Redis

    from automation.queues import QUEUE_NAMES

    background = BackgroundWorker(
        InProcessWorker(app, Redis.from_url(test_env["REDIS_URL"]), list(QUEUE_NAMES))
    ).start()
    yield background
    background.stop()
