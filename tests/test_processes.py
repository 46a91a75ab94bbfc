"""The Procfile's single-dyno runner behaves as a platform expects (the worker's own shutdown:
tests/faults/test_worker_signals.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from tests.services import ROOT

RUNNER = """
import sys
from crm.procs import run_together
sys.exit(run_together({"a": sys.argv[1], "b": sys.argv[2]}, {}, kill_wait=5))
"""


def _run(a: str, b: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUNNER, a, b], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_if_one_process_dies_the_dyno_exits_non_zero_even_on_exit_0():
    started = time.monotonic()
    result = _run("sleep 60", "true")
    assert result.returncode != 0
    assert time.monotonic() - started < 15  # the survivor was stopped, not waited for


def test_the_failing_process_exit_code_is_kept():
    assert _run("sleep 60", "exit 3").returncode == 3


def test_sigterm_stops_both_and_reports_the_signal():
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER, "sleep 60", "sleep 60"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 143
