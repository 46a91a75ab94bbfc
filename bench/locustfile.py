"""Reps working boards: log in, open the board, open a card now and then, move one now and then.

Run by bench/load.py (locust in its own process on loopback); BENCH_PIPELINE and BENCH_STAGES
(comma-separated ids) come from there.
"""

from __future__ import annotations

import itertools
import os
import random
import re

from locust import HttpUser, between, task

PIPELINE = os.environ.get("BENCH_PIPELINE", "1")
STAGES = [s for s in os.environ.get("BENCH_STAGES", "").split(",") if s]
CARD = re.compile(r'id="opp-(\d+)"')
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')
_logins = itertools.count()


class Rep(HttpUser):
    wait_time = between(1, 3)  # think time: a person reads the board before the next click

    def on_start(self) -> None:
        page = self.client.get("/login", name="/login")
        token = TOKEN.search(page.text).group(1)
        n = next(_logins) % 10
        self.client.post(
            "/login",
            data={"email": f"rep{n}@bench.example", "password": "bench-pass-1", "csrf_token": token},
            name="/login",
        )
        self.cards: list[str] = []
        self.token = token

    @task(6)
    def board(self) -> None:
        page = self.client.get(f"/boards/{PIPELINE}", name="/boards/[id]")
        self.cards = CARD.findall(page.text) or self.cards
        found = TOKEN.search(page.text)
        self.token = found.group(1) if found else self.token

    @task(2)
    def card(self) -> None:
        if self.cards:
            self.client.get(f"/opportunities/{random.choice(self.cards)}", name="/opportunities/[id]")

    @task(1)
    def move(self) -> None:
        if self.cards and STAGES:
            with self.client.post(
                f"/opportunities/{random.choice(self.cards)}/move",
                data={"stage_id": random.choice(STAGES), "csrf_token": self.token},
                headers={"HX-Request": "true"},
                name="/opportunities/[id]/move",
                catch_response=True,
            ) as response:
                # 409: another rep moved that card a moment ago (the board tells the user so).
                if response.status_code in (200, 409):
                    response.success()
