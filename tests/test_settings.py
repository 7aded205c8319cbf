"""Settings read from the environment (each case in a fresh interpreter: settings load once)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRINT_OPTIONS = (
    "import json, django; django.setup(); from django.conf import settings; "
    "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
)


def database_options(**environ) -> dict:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "skillsite.settings",
        "DEBUG": "true",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
        **environ,
    }
    output = subprocess.run(
        [sys.executable, "-c", PRINT_OPTIONS], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


@pytest.mark.parametrize(("value", "expected"), [(None, 5), ("12", 12), ("", None), ("  ", None)])
def test_prepared_statements_follow_db_prepare_threshold(value, expected):
    environ = {} if value is None else {"DB_PREPARE_THRESHOLD": value}
    assert database_options(**environ)["prepare_threshold"] == expected


def test_sqlite_gets_no_postgresql_options():
    assert "prepare_threshold" not in database_options(DATABASE_URL="sqlite:////tmp/unused.sqlite3")


def test_a_bad_db_prepare_threshold_is_refused_naming_the_variable():
    with pytest.raises(subprocess.CalledProcessError) as failure:
        database_options(DB_PREPARE_THRESHOLD="often")
    assert "DB_PREPARE_THRESHOLD must be a whole number or empty, not 'often'" in failure.value.stderr
