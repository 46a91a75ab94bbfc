#!/usr/bin/env python3
"""Load test (issue: proof under load): 50 reps work boards for 2 minutes while one worker drains
10,000 queued emails. Budget: board pages p95 ≤ 200 ms, 0 errors.

The web process is the Procfile's gunicorn (2 workers × 4 threads, as on the dyno) on loopback;
locust drives it from its own process (think time 1–3 s per user). Also measured: the HTTP floor
(an empty Flask page behind the same gunicorn set-up) against the board on its own, one request
at a time, taking turns (300 each), and the memory (RSS) of the web and worker processes.
Usage: .venv/bin/python bench/load.py [--users 50 --minutes 2 --emails 10000]
Needs locust: .venv/bin/pip install -r bench/requirements.txt (make bench does it).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from _common import ROOT, Environment, emit, percentile, rss_mb
from mail import queue_rows, sent_count, start_sink, start_worker

EMPTY_APP = "from flask import Flask\napp = Flask('empty')\napp.get('/')(lambda: '')\n"


def gunicorn(app: str, port: int, cwd: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    from crm.procs import gunicorn_cmd

    cmd = gunicorn_cmd(f"127.0.0.1:{port}", workers=2, threads=4).replace("--access-logfile - ", "")
    cmd = cmd.replace("'app:create_app()'", app)
    return subprocess.Popen(
        "exec " + cmd,  # the shell becomes gunicorn: terminate() stops it, rss_mb() measures it
        shell=True,
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_http(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def interleaved_ms(targets: list[tuple[urllib.request.OpenerDirector, str]], runs: int) -> list[list[float]]:
    """Each target requested `runs` times, one request at a time, taking turns: a moment when the
    machine is busier weighs on every target alike, so their ratio holds from run to run."""
    for opener, url in targets:
        for _ in range(5):
            opener.open(url).read()
    samples: list[list[float]] = [[] for _ in targets]
    for _ in range(runs):
        for (opener, url), times in zip(targets, samples, strict=True):
            started = time.perf_counter()
            opener.open(url).read()
            times.append((time.perf_counter() - started) * 1000)
    return samples


def logged_in(base: str) -> urllib.request.OpenerDirector:
    import re
    from urllib.parse import urlencode

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    data = urlencode({"email": "rep0@bench.example", "password": "bench-pass-1", "csrf_token": token})
    opener.open(f"{base}/login", data=data.encode()).read()
    return opener


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=2)
    parser.add_argument("--emails", type=int, default=10000)
    args = parser.parse_args()
    env = Environment()
    from board import seed

    from automation.queues import enqueue_mail
    from crm.procs import free_port

    smtp_port, web_port, empty_port = free_port(), free_port(), free_port()
    sink = start_sink(smtp_port)
    procs: list[subprocess.Popen[bytes]] = [sink]
    try:
        pipeline_id, stage_ids, _ = seed(2000)
        web_env = {"CRM_ENV": "test", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port)}
        # 50 simulated reps log in from one address, five to an account, within seconds: what
        # the login throttle is there to refuse. Lifted here, where pages are measured.
        web_env |= {"LOGIN_LIMIT_IP": "100000 per minute", "LOGIN_LIMIT_ACCOUNT": "100000 per minute"}
        web = gunicorn("'app:create_app()'", web_port, ROOT, web_env)
        (env.tmp / "empty_app.py").write_text(EMPTY_APP)
        # The same gunicorn settings for the floor (crm.gunicorn_conf must import from here).
        empty = gunicorn("empty_app:app", empty_port, env.tmp, {"PYTHONPATH": str(ROOT)})
        procs += [web, empty]
        base = f"http://127.0.0.1:{web_port}"
        wait_http(f"{base}/login")
        wait_http(f"http://127.0.0.1:{empty_port}/")
        floor, alone = interleaved_ms(
            [
                (urllib.request.build_opener(), f"http://127.0.0.1:{empty_port}/"),
                (logged_in(base), f"{base}/boards/{pipeline_id}"),
            ],
            300,
        )
        empty.terminate()

        enqueue_mail(queue_rows(args.emails))
        worker = start_worker({**web_env, "WORKER_NICE": "10"})  # as crm/dyno.py runs it
        procs.append(worker)
        csv_prefix = env.tmp / "locust"
        started = time.perf_counter()
        locust = subprocess.run(
            [
                sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                "-u", str(args.users), "-r", "10", "-t", f"{int(args.minutes * 60)}s", "--host", base,
                "--csv", str(csv_prefix), "--only-summary", "--loglevel", "WARNING",
            ],
            env={**os.environ, "BENCH_PIPELINE": str(pipeline_id), "BENCH_STAGES": ",".join(map(str, stage_ids))},
            capture_output=True,
            text=True,
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        sent_during = sent_count()
        web_rss, worker_rss = rss_mb(web.pid), rss_mb(worker.pid)
        with open(f"{csv_prefix}_stats.csv") as stats:
            rows = {r["Name"]: r for r in csv.DictReader(stats)}
        failures = sum(int(r["Failure Count"]) for name, r in rows.items() if name != "Aggregated")
        board = rows["/boards/[id]"]
        engine = os.environ["DATABASE_URL"].split(":")[0]
        print(f"Load benchmark on {engine}: {args.users} users for {args.minutes:g} min, 2,000-card board")
        print(f"  HTTP floor: empty Flask page, one at a time   median {statistics.median(floor):6.1f} ms")
        print(f"  board alone, one at a time                    median {statistics.median(alone):6.1f} ms")
        print(
            f"  board / empty page (HTTP)                     {statistics.median(alone) / statistics.median(floor):6.1f}x"
        )
        for name, r in rows.items():
            print(
                f"  {name:28} {int(r['Request Count']):6d} req  median {float(r['50%']):6.0f} ms"
                f"  p95 {float(r['95%']):6.0f} ms  failures {r['Failure Count']}"
            )
        print(f"  board p95 under load {board['95%']} ms   budget: ≤ 200 ms;  errors {failures}   budget: 0")
        if failures:
            with open(f"{csv_prefix}_failures.csv") as errors:
                for r in csv.DictReader(errors):
                    print(f"    {r['Occurrences']:>5} × {r['Method']} {r['Name']}: {r['Error'][:160]}")
        print(f"  emails sent meanwhile {sent_during} in {elapsed:.0f} s ({sent_during / elapsed:.0f}/s)")
        print(
            f"  memory (RSS): web (gunicorn master + 2 workers) {web_rss:.0f} MiB, worker {worker_rss:.0f} MiB"
        )
        if locust.returncode not in (0, 1):
            print(locust.stdout[-2000:], locust.stderr[-2000:])
        emit(
            http_empty_ms=statistics.median(floor),
            http_board_ms=statistics.median(alone),
            http_board_p95_ms=percentile(alone, 95),
            load_users=args.users,
            load_board_p50_ms=float(board["50%"]),
            load_board_p95_ms=float(board["95%"]),
            load_requests=int(rows["Aggregated"]["Request Count"]),
            load_errors=failures,
            load_emails_sent=sent_during,
            web_rss_mb=web_rss,
            worker_rss_mb=worker_rss,
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait()
        env.close()


if __name__ == "__main__":
    main()
