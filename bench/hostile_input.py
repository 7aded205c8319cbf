"""How long the hostile-input suite's requests take (issue 24: no refusal may cost more than 2 s).

    .venv/bin/python bench/hostile_input.py [--repeat 5]

Sends, through Django's full stack (middleware, authentication, parsers, views) on a scratch
PostgreSQL database, every attack of tests/test_hostile_input.py — the generic bodies to every
writable operation of the schema, a NUL in every path, and each field attack on each valid body —
plus the issue's own cases (a 4,000-milestone plan, a 9 MB title, 100,000 follow-up actions, an OTLP
request of 50,000 records). Prints the slowest requests (median of --repeat) and exits 1 when one
took longer than 2 s or was not a 4xx (the OTLP's rejected records answer 200 with partialSuccess).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, print_table, setup_django  # noqa: E402

LIMIT_SECONDS = 2.0


def attacks(api, objects):
    """(name, method, url, raw body, content type) of every attack."""
    from tests.roadmaps.plans import plan
    from tests.skills.otlp_helpers import otlp_json, skill_result
    from tests.test_hostile_input import (
        GENERIC_ATTACKS,
        NAN,
        field_cases,
        spoiled,
        url_of,
        valid_bodies,
        writable_operations,
    )

    def raw(body) -> bytes:
        return body if isinstance(body, bytes) else json.dumps(body).replace(f'"{NAN}"', "NaN").encode()

    operations = writable_operations(api)
    for name, (body, _naming) in GENERIC_ATTACKS.items():
        for method, path, _ in operations:
            yield f"{name}: {method.upper()} {path}", method, url_of(path, objects), body, "application/json"
    bodies = valid_bodies(objects)
    for method, path, key, name, attack in field_cases(objects):
        body = raw(spoiled(bodies[(method, path)], key, attack))
        yield f"{key} {name}: {method.upper()} {path}", method, url_of(path, objects), body, "application/json"
    huge_plan = plan(milestones_per_level=4000, levels=1)
    yield (
        "4,000 milestones",
        "post",
        "/api/deconstructions/",
        raw({"user_query": "x", "deconstruction_data": huge_plan}),
        "application/json",
    )  # noqa: E501
    yield (
        "9 MB title",
        "post",
        "/api/roadmaps/",
        raw({"user_query": "learn to juggle", "title": "t" * 9_000_000}),
        "application/json",
    )  # noqa: E501
    event = bodies[("post", "/api/events/")][0] | {"follow_up_actions": [f"a{n}" for n in range(100_000)]}
    yield "100,000 follow-ups", "post", "/api/events/", raw([event]), "application/json"
    records = otlp_json([skill_result("pdf-extract", sequence=n) for n in range(50_000)])
    yield "OTLP 50,000 records", "post", "/api/otel/v1/logs", raw(records), "application/json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/skillsite_bench_hostile")
    setup_django()
    os.chdir(ROOT)
    logging.getLogger("django.request").setLevel(logging.ERROR)  # one "Bad Request" line a refusal
    from django.db import transaction
    from rest_framework.test import APIClient

    from roadmaps.models import MilestoneProgress
    from roadmaps.services.practice import practice_activity_log
    from tests.factories import SkillFactory, UserFactory, make_roadmap

    rows, failures = [], []
    with transaction.atomic():  # everything the bench makes is rolled back at the end
        learner = UserFactory(username="hostile-bench")
        SkillFactory(skill_id="pdf-extract")
        roadmap = make_roadmap(learner)
        progress = MilestoneProgress.objects.filter(deconstruction=roadmap.deconstruction).order_by("milestone_id")[0]
        session = practice_activity_log(progress=progress, activity_type="drill", title="warm-up", reps=0)
        objects = {"roadmap": str(roadmap.pk), "progress": str(progress.pk), "practice": str(session.pk)}
        api = APIClient()
        api.force_authenticate(learner)
        for name, method, url, body, content_type in attacks(api, objects):
            seconds, status = [], None
            for _ in range(args.repeat):
                start = time.perf_counter()
                status = getattr(api, method)(url, body, content_type=content_type).status_code
                seconds.append(time.perf_counter() - start)
            median = statistics.median(seconds)
            rows.append((median, name, status))
            if median > LIMIT_SECONDS or not (400 <= status < 500 or (status == 200 and "otel" in url)):
                failures.append((name, status, median))
        transaction.set_rollback(True)
    rows.sort(reverse=True)
    print(f"{len(rows)} hostile requests, median of {args.repeat}; the 15 slowest:")
    print_table(["ms", "status", "request"], [[f"{m * 1000:.1f}", s, n] for m, n, s in rows[:15]])
    for name, status, median in failures:
        print(f"FAILED {name}: {status} in {median:.2f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
