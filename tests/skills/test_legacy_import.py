"""import_legacy_metrics: seed 001's JSON files into the log, idempotently."""

import json

import pytest
from django.core.management import CommandError, call_command

from skills.models import SkillMetrics, UsageEvent

pytestmark = pytest.mark.django_db

INVOCATION = {
    "invoked_at": "2025-02-01T10:00:00",
    "workflow_path": "lint/fix",
    "completed": True,
    "duration_seconds": 1.25,
    "session_id": "s-1",
    "follow_up_actions": ["commit"],
    "schema_version": 1,
}


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_imports_both_shapes_and_maps_fields(tmp_path, capsys):
    as_list = write(
        tmp_path,
        "list.json",
        [
            {**INVOCATION, "skill_name": "crackerjack-run"},
            {**INVOCATION, "skill_name": "crackerjack-run", "completed": False, "error_type": "Lint"},
        ],
    )
    keyed = write(tmp_path, "keyed.json", {"pdf-extract": [INVOCATION], "code-review": {"invocations": [INVOCATION]}})
    call_command("import_legacy_metrics", str(as_list), str(keyed))
    assert "imported 4" in capsys.readouterr().out
    error = UsageEvent.objects.get(error_type="Lint")
    assert (error.outcome, error.latency_ms, error.skill_id) == ("error", 1250, "crackerjack-run")
    assert SkillMetrics.objects.get(skill_id="pdf-extract").completed_count == 1


def test_reimporting_the_same_files_imports_nothing_twice(tmp_path):
    path = write(tmp_path, "list.json", [{**INVOCATION, "skill_name": "a", "session_id": f"s{i}"} for i in range(5)])
    call_command("import_legacy_metrics", str(path))
    call_command("import_legacy_metrics", str(path))
    assert UsageEvent.objects.count() == 5
    assert SkillMetrics.objects.get(skill_id="a").total_invocations == 5


def test_bad_records_are_reported_with_file_and_position_and_the_rest_imported(tmp_path, capsys):
    path = write(
        tmp_path,
        "mixed.json",
        [
            {**INVOCATION, "skill_name": "ok"},
            {**INVOCATION, "skill_name": "ok", "invoked_at": "yesterday"},
            {**INVOCATION},
            {**INVOCATION, "skill_name": "ok", "duration_seconds": -3},
        ],
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CommandError):
        call_command("import_legacy_metrics", str(path), str(broken))
    err = capsys.readouterr().err
    assert f"{path} [1]: invoked_at" in err
    assert f"{path} [2]: missing skill_name" in err
    assert f"{path} [3]: duration_seconds" in err
    assert f"{broken}: not valid JSON" in err
    assert UsageEvent.objects.count() == 1


def test_rebuild_metrics_command_prints_what_it_rebuilt(tmp_path, capsys):
    path = write(tmp_path, "list.json", [{**INVOCATION, "skill_name": "a"}])
    call_command("import_legacy_metrics", str(path))
    before = list(SkillMetrics.objects.values())
    call_command("rebuild_metrics")
    assert "rebuilt from 1 events" in capsys.readouterr().out
    after = list(SkillMetrics.objects.values())
    for row in before + after:
        row.pop("updated_at")
    assert after == before
