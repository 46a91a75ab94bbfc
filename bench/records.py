#!/usr/bin/env python3
"""Finding and moving records (issue 14): 10,000 contacts, 10,000 leads, 1,000 accounts, 5,000 deals.

- one search across deals, accounts, contacts and leads answers in ≤ 100 ms median, with a query
  count that does not grow with the records (one query per kind);
- a contact list filtered by rep and sorted by a column answers in ≤ 150 ms median;
- the CSV export of the 10,000 contacts streams in ≤ 3 s, in a constant number of queries per
  500-row batch;
- a 1,000-row CSV import (upload + preview, then confirm) takes ≤ 5 s in all.
Usage: .venv/bin/python bench/records.py [--records 10000] [--runs 30]   (DATABASE_URL=… for PostgreSQL)
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time
from decimal import Decimal

from _common import Environment, emit, percentile, summary, timed


def seed(records: int) -> int:
    from sqlalchemy import insert

    from crm.extensions import db
    from crm.models import Account, Contact, Lead, Opportunity, utcnow
    from crm.services.pipelines import create_pipeline
    from crm.services.users import create_user

    rnd = random.Random(2)
    reps = [
        create_user(email=f"rep{i}@bench.example", name=f"Rep {i}", password="bench-pass-1", role="admin")
        for i in range(10)
    ]
    rep_ids = [r.id for r in reps]
    now = utcnow()
    stamp = {"created_at": now, "updated_at": now, "opt_in": True, "unsubscribed": False}
    accounts = max(1, records // 10)
    db.session.execute(
        insert(Account),
        [{"name": f"Account {i:05}", "owner_id": rnd.choice(rep_ids), **stamp} for i in range(accounts)],
    )
    names = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"]
    db.session.execute(
        insert(Contact),
        [
            {
                "first_name": f"First{i}",
                "last_name": f"{rnd.choice(names)}{i:05}",
                "email": f"contact{i}@client{i % 500}.example",
                "phone": f"+33 1 00 {i:05}",
                "account_id": rnd.randint(1, accounts),
                "owner_id": rnd.choice(rep_ids),
                **stamp,
            }
            for i in range(records)
        ],
    )
    db.session.execute(
        insert(Lead),
        [
            {
                "first_name": f"Lead{i}",
                "last_name": f"{rnd.choice(names)}{i:05}",
                "company": f"Prospect {i % 900}",
                "email": f"lead{i}@prospect{i % 900}.example",
                "source": rnd.choice(["Web", "Fair", "Referral"]),
                "owner_id": rnd.choice(rep_ids),
                **stamp,
            }
            for i in range(records)
        ],
    )
    pipeline = create_pipeline("Bench", ["New", "Proposal", "Won-ready"])
    stage_ids = [s.id for s in pipeline.stages]
    db.session.execute(
        insert(Opportunity),
        [
            {
                "name": f"Deal {i:05}",
                "pipeline_id": pipeline.id,
                "stage_id": rnd.choice(stage_ids),
                "amount": Decimal(rnd.randint(500, 50000)),
                "account_id": rnd.randint(1, accounts),
                "owner_id": rnd.choice(rep_ids),
                "result": "open",
                "position": i,
                "stage_entered_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(records // 2)
        ],
    )
    db.session.commit()
    return rep_ids[3]


def queries_of(client, url: str) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import event

    from crm.extensions import db

    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        response.get_data()  # a streamed body runs its queries while it is read
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(seen)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    env = Environment()
    try:
        rep_id = seed(args.records)
        client = env.app.test_client()
        client.post("/login", data={"email": "rep0@bench.example", "password": "bench-pass-1"})

        terms = ["Martin0", "account 004", "client12", "Deal 001", "prospect 7", "First99"]
        cycle = iter(terms * (args.runs + 10))
        search = timed(
            lambda: client.get(f"/search?q={next(cycle)}", headers={"HX-Request": "true"}), args.runs
        )
        search_queries = {queries_of(client, f"/search?q={t}") for t in terms}

        listing_url = f"/contacts/?owner={rep_id}&sort=last_name&dir=desc"
        listing = timed(lambda: client.get(listing_url), args.runs)
        listing_queries = queries_of(client, listing_url)

        def export() -> int:
            return len(client.get("/contacts/export.csv").get_data())

        export_ms = timed(export, 3, warmup=1)
        size = export()
        export_queries = queries_of(client, "/contacts/export.csv")
        half_queries = queries_of(client, "/contacts/export.csv?q=Martin")

        header = "first_name,last_name,email,phone,owner_email,opt_in,unsubscribed,tags"
        lines = [header] + [
            f'Jane,Import{n},jane{n}@import.example,+33 1 11 {n:05},rep0@bench.example,1,0,"vip, t{n % 5}"'
            for n in range(1000)
        ]
        body = ("\n".join(lines)).encode()
        started = time.perf_counter()
        preview = client.post(
            "/contacts/import",
            data={"file": (io.BytesIO(body), "import.csv")},
            content_type="multipart/form-data",
        )
        previewed = time.perf_counter()
        html = preview.get_data(as_text=True)
        assert preview.status_code == 200, html[-1500:]
        token = html.split('name="token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
        confirm = client.post("/contacts/import/confirm", data={"token": token})
        confirmed = time.perf_counter()
        assert confirm.status_code in (200, 302), confirm.status_code
        import_s = confirmed - started

        print(
            f"records: {args.records:,} contacts, {args.records:,} leads, {args.records // 10:,} accounts, "
            f"{args.records // 2:,} deals"
        )
        print(f"  search (HTMX dialog)   {summary(search)}   queries {sorted(search_queries)}")
        print(f"  contacts list, rep filter + sort   {summary(listing)}   queries {listing_queries}")
        print(
            f"  CSV export of {args.records:,} contacts   median {statistics.median(export_ms):.0f} ms"
            f"   ({size / 2**20:.1f} MiB)   queries {export_queries} (a search's export: {half_queries})"
        )
        print(
            f"  CSV import of 1,000 contacts   upload + preview {previewed - started:.2f} s"
            f"   confirm {confirmed - previewed:.2f} s   total {import_s:.2f} s"
        )
        emit(
            search_median_ms=round(statistics.median(search), 1),
            search_p95_ms=round(percentile(search, 95), 1),
            search_queries=max(search_queries),
            list_median_ms=round(statistics.median(listing), 1),
            list_queries=listing_queries,
            export_ms=round(statistics.median(export_ms)),
            export_rows=args.records,
            export_queries=export_queries,
            import_preview_s=round(previewed - started, 2),
            import_confirm_s=round(confirmed - previewed, 2),
        )
    finally:
        env.close()


if __name__ == "__main__":
    main()
