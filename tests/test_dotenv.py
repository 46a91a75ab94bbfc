"""A .env file at the project's root fills the environment at startup, under what is already set."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.services import ROOT


def test_a_dotenv_file_fills_the_environment_without_overriding_it(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("CRM_TEST_SET=from-file\nCRM_TEST_NEW=from file\n")
    code = (
        "import os, sys; from pathlib import Path; from crm.config import load_env;"
        "assert load_env(Path(sys.argv[1]));"
        "print(os.environ['CRM_TEST_SET'], '|', os.environ['CRM_TEST_NEW'])"
    )
    env = {**os.environ, "CRM_TEST_SET": "from-env"}
    env.pop("CRM_TEST_NEW", None)
    out = subprocess.run(
        [sys.executable, "-c", code, str(dotenv)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "from-env | from file"
