"""Analytics at scale (PostgreSQL): our endpoints vs the seed's view over the log.

    .venv/bin/python bench/analytics.py [--sizes 1000000 10000000] [--repeat 5]

For each size: fills the log with that many generated events (server-side INSERT …
SELECT from generate_series: 200 skills, 2,000 users, sessions of ~8 events),
rebuilds every aggregate from it (`metrics_rebuild`, timed), then times, as the
median of --repeat runs:
  * GET /api/analytics/effectiveness/ and /api/analytics/summary/ through Django;
  * the admin metrics dashboard and the admin's usage-event list;
  * seed 000's v_skill_effectiveness computed over the log (the seed's approach);
  * `mine_emergence` full and incremental, when that command exists.
Prints one table with the ratio to the seed's view and, for each endpoint, its time at
the largest size over its time at the smallest (flat = O(skills), not O(events)).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, setup_django, truncate_telemetry  # noqa: E402

SKILLS, USERS = 200, 2000

FILL_SQL = """
INSERT INTO skills_usageevent (
    event_id, payload_sha256, skill_id, skill_version_id, user_id, session_id, outcome, completed,
    latency_ms, error_type, workflow_path, follow_up_actions, input_hash, tokens_used, tokens_saved,
    cost_usd, state_snapshot, artifacts, project_path, schema_version, occurred_at, received_at,
    plugin, marketplace, skill_source, invocation_trigger, reported_skill, reported_version)
SELECT gen_random_uuid(), '', 'scale-skill-' || (i %% {skills}), NULL, {first_user} + (i %% {users}),
       'scale-session-' || (i / 8), o.outcome, o.outcome = 'success',
       (exp(5 + random() * 2))::int,
       CASE WHEN o.outcome = 'error' THEN (ARRAY['Timeout', 'RateLimit', 'ParseError'])[1 + i %% 3] ELSE '' END,
       (ARRAY['plan/execute', 'plan/review/execute', 'quick', 'search/read/answer'])[1 + i %% 4],
       '[]'::jsonb, '', 100 + i %% 4000, i %% 700, (i %% 5000) / 100000.0,
       jsonb_build_object('tier', 'standard', 'element', (ARRAY['fire', 'water'])[1 + i %% 2], 'realm', 'code'),
       '{{}}'::jsonb, '', 1, now() - (i || ' seconds')::interval * 3, now() - (i || ' seconds')::interval * 3,
       '', '', '', '', '', ''
FROM generate_series(1, %s) AS i,
     LATERAL (SELECT (ARRAY['success', 'success', 'success', 'success', 'success', 'success', 'success',
                            'failure', 'error', 'abandoned'])[1 + (i * 7) %% 10] AS outcome) o
"""

SEED_VIEW_SQL = """
SELECT e.skill_id, COUNT(*) AS total_uses,
       COUNT(*) FILTER (WHERE e.outcome = 'success') AS success_count,
       ROUND(100.0 * COUNT(*) FILTER (WHERE e.outcome = 'success') / NULLIF(COUNT(*), 0), 2) AS success_rate_pct,
       AVG(e.latency_ms)::int AS avg_latency_ms,
       (SELECT AVG(f.rating) FROM skills_feedback f WHERE f.skill_id = e.skill_id) AS avg_rating,
       COUNT(DISTINCT e.user_id) AS unique_users, MIN(e.occurred_at) AS first_use, MAX(e.occurred_at) AS last_use
FROM skills_usageevent e GROUP BY e.skill_id
"""


def fill(n: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from skills.models import Skill

    truncate_telemetry()
    user_model = get_user_model()
    user_model.objects.filter(username__startswith="scale-user-").delete()
    users = user_model.objects.bulk_create([user_model(username=f"scale-user-{i}") for i in range(USERS)])
    Skill.objects.bulk_create(
        [Skill(skill_id=f"scale-skill-{i}", display_name=f"Scale skill {i}") for i in range(SKILLS)],
        ignore_conflicts=True,
    )
    first_user = min(u.pk for u in users)
    sql = FILL_SQL.format(skills=SKILLS, users=USERS, first_user=first_user)
    with connection.cursor() as cursor:
        for start in range(0, n, 1_000_000):
            cursor.execute(sql, [min(1_000_000, n - start)])
        cursor.execute("ANALYZE skills_usageevent")


def median_ms(action, repeat: int) -> float:
    action()  # warm-up
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def get(client, url: str):
    def action():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return action


def seed_view():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(SEED_VIEW_SQL)
        cursor.fetchall()


def measure(size: int, repeat: int, client) -> dict[str, float]:
    from django.core.management import call_command, get_commands
    from django.urls import NoReverseMatch, reverse

    from skills.services.rebuild import metrics_rebuild

    fill(size)
    start = time.perf_counter()
    metrics_rebuild()
    figures = {"rebuild_metrics (s)": time.perf_counter() - start}
    figures["effectiveness endpoint"] = median_ms(get(client, "/api/analytics/effectiveness/"), repeat)
    figures["summary endpoint"] = median_ms(get(client, "/api/analytics/summary/"), repeat)
    try:
        figures["admin dashboard"] = median_ms(get(client, reverse("skills-dashboard")), repeat)
    except NoReverseMatch:
        pass
    figures["admin event changelist"] = median_ms(get(client, "/admin/skills/usageevent/"), repeat)
    figures["seed view v_skill_effectiveness"] = median_ms(seed_view, max(1, repeat // 2))
    if "mine_emergence" in get_commands():
        start = time.perf_counter()
        call_command("mine_emergence", "--full", verbosity=0)
        figures["mine_emergence full (s)"] = time.perf_counter() - start
        start = time.perf_counter()
        call_command("mine_emergence", verbosity=0)
        figures["mine_emergence incremental, nothing new (s)"] = time.perf_counter() - start
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = setup_django()

    from django.contrib.auth import get_user_model
    from django.test import Client

    admin, _ = get_user_model().objects.get_or_create(username="bench-admin", defaults={"is_staff": True})
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    print(f"database: {url}")
    results = {size: measure(size, args.repeat, client) for size in args.sizes}
    sizes = args.sizes
    names = list(results[sizes[0]])
    rows = [[name, *(f"{results[s].get(name, float('nan')):,.1f}" for s in sizes)] for name in names]
    print_table(["measure (ms unless noted)", *(f"{s:,} events" for s in sizes)], rows)
    seed = "seed view v_skill_effectiveness"
    for name in ("effectiveness endpoint", "summary endpoint", "admin dashboard", "admin event changelist"):
        if name not in results[sizes[0]]:
            continue
        speedups = ", ".join(
            f"{results[s][seed] / results[s][name]:,.0f}× faster than the seed view at {s:,}" for s in sizes
        )
        growth = results[sizes[-1]][name] / results[sizes[0]][name]
        print(f"{name}: {speedups}; {sizes[-1]:,} vs {sizes[0]:,} events: {growth:.2f}× its time")


if __name__ == "__main__":
    main()
