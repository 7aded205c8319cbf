"""Database health (seed 004's monitoring): sizes, vacuum, index usage, bloat, cache, connections,
long transactions, waiting locks, the log's DEFAULT partition, slow statements, replication.

`database_health()` returns plain data (the admin page and `db_health --json` show the same) in a
fixed number of queries whatever the number of tables: on PostgreSQL 10 on the primary (11 with
pg_stat_statements loaded) plus, with a replica, its lag; the size queries go to the replica
when there is one (skillsite/routers.py). On SQLite: the file, its pages and, where SQLite has
the dbstat table, each table's and index's size.
"""

from __future__ import annotations

import math
import os
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils import timezone

from skillsite.routers import REPLICA, read_alias, replica_available, replica_reads

LOG_TABLE = "skills_usageevent"
DEFAULT_PARTITION = "skills_usageevent_default"
DEFAULT_COUNT_CAP = 100_000
STATEMENTS_HOW_TO = (
    "pg_stat_statements is not loaded. To see the slowest statements: add "
    "shared_preload_libraries = 'pg_stat_statements' to postgresql.conf, restart PostgreSQL, then run "
    "CREATE EXTENSION pg_stat_statements; in this database."
)
SQLITE_NOTE = (
    "SQLite: the database is one file. Partitions, autovacuum, index usage, bloat, connections, locks, "
    "slow statements and replication are PostgreSQL's and do not apply here."
)
DEAD_WARN = 0.2  # dead tuples as a share of live ones
CACHE_WARN = 0.9

SIZES_SQL = """
SELECT c.relname, c.relkind, p.relname, pg_relation_size(c.oid), pg_indexes_size(c.oid),
       COALESCE(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0), GREATEST(c.reltuples, 0)::bigint, c.relpages
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
LEFT JOIN pg_class p ON p.oid = i.inhparent
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
ORDER BY c.relname
"""
# Average row width from the planner's statistics, to estimate how many pages the live rows need.
VACUUM_SQL = """
WITH widths AS (
    SELECT tablename, SUM(avg_width) AS width FROM pg_stats WHERE schemaname = current_schema() GROUP BY tablename
)
SELECT s.relname, s.n_live_tup, s.n_dead_tup, s.last_autovacuum, s.last_autoanalyze, s.last_vacuum,
       s.last_analyze, w.width, current_setting('block_size')::int
FROM pg_stat_user_tables s LEFT JOIN widths w ON w.tablename = s.relname
WHERE s.schemaname = current_schema()
"""
INDEXES_SQL = """
SELECT s.relname, s.indexrelname, s.idx_scan, pg_relation_size(s.indexrelid), x.indisunique OR x.indisprimary
FROM pg_stat_user_indexes s JOIN pg_index x ON x.indexrelid = s.indexrelid
WHERE s.schemaname = current_schema()
ORDER BY s.idx_scan, pg_relation_size(s.indexrelid) DESC, s.indexrelname
"""
CACHE_SQL = "SELECT blks_hit, blks_read FROM pg_stat_database WHERE datname = current_database()"
CONNECTIONS_SQL = """
SELECT COALESCE(state, backend_type), count(*) FROM pg_stat_activity
WHERE datname = current_database() OR datname IS NULL GROUP BY 1 ORDER BY 1
"""
LONG_TRANSACTIONS_SQL = """
SELECT pid, usename, state, EXTRACT(EPOCH FROM now() - xact_start), left(query, 200) FROM pg_stat_activity
WHERE xact_start < now() - make_interval(secs => %s) AND pid <> pg_backend_pid() ORDER BY xact_start
"""
LOCKS_SQL = """
SELECT a.pid, l.locktype, l.mode, l.relation::regclass::text, EXTRACT(EPOCH FROM now() - a.query_start),
       pg_blocking_pids(a.pid), left(a.query, 200)
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted ORDER BY a.query_start
"""
DEFAULT_SQL = f"""
SELECT CASE WHEN to_regclass('{DEFAULT_PARTITION}') IS NULL THEN NULL
       ELSE (SELECT count(*) FROM (SELECT 1 FROM {DEFAULT_PARTITION} LIMIT {DEFAULT_COUNT_CAP}) t) END
"""
STATEMENTS_AVAILABLE_SQL = """
SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements')
       AND 'pg_stat_statements' = ANY(
           string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))
"""
STATEMENTS_SQL = """
SELECT left(query, 300), calls, mean_exec_time, total_exec_time, rows FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY mean_exec_time DESC LIMIT 10
"""
REPLICATION_SQL = """
SELECT application_name, client_addr::text, state, EXTRACT(EPOCH FROM replay_lag),
       pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint
FROM pg_stat_replication ORDER BY application_name
"""
# On the replica: how far behind the primary its last replayed transaction is.
REPLICA_LAG_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END
"""


def database_health() -> dict:
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    report = {"vendor": vendor, "generated_at": timezone.now().isoformat(), "warnings": []}
    if vendor == "postgresql":
        _postgres(report)
    else:
        _sqlite(report)
    return report


def _rows(alias: str, sql: str, params=None) -> list[tuple]:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _postgres(report: dict) -> None:
    with replica_reads():
        sizes_alias = read_alias()
    report["sizes_from"] = "replica" if sizes_alias == REPLICA else "primary"
    tables = _tables(_rows(sizes_alias, SIZES_SQL), _rows(DEFAULT_DB_ALIAS, VACUUM_SQL))
    report["tables"] = [t for t in tables if t["parent"] != LOG_TABLE]
    report["log_partitions"] = [t for t in tables if t["parent"] == LOG_TABLE]
    report["indexes"] = [
        {"table": table, "name": name, "scans": scans, "bytes": size, "unique": unique,
         "unused": scans == 0 and not unique}
        for table, name, scans, size, unique in _rows(DEFAULT_DB_ALIAS, INDEXES_SQL)
    ]  # fmt: skip
    ((hit, read),) = _rows(DEFAULT_DB_ALIAS, CACHE_SQL)
    report["cache_hit_ratio"] = hit / (hit + read) if hit + read else None
    report["connections"] = dict(_rows(DEFAULT_DB_ALIAS, CONNECTIONS_SQL))
    long_ones = _rows(DEFAULT_DB_ALIAS, LONG_TRANSACTIONS_SQL, [settings.LONG_TRANSACTION_SECONDS])
    report["long_transactions"] = [
        {"pid": pid, "user": user, "state": state, "seconds": float(age), "query": query}
        for pid, user, state, age, query in long_ones
    ]
    report["waiting_locks"] = [
        {"pid": pid, "lock": kind, "mode": mode, "relation": relation, "seconds": float(age or 0),
         "blocked_by": list(blockers), "query": query}
        for pid, kind, mode, relation, age, blockers, query in _rows(DEFAULT_DB_ALIAS, LOCKS_SQL)
    ]  # fmt: skip
    ((default_rows,),) = _rows(DEFAULT_DB_ALIAS, DEFAULT_SQL)
    report["default_partition_rows"] = default_rows
    report["statements"] = _statements()
    report["replication"] = _replication()
    _warn(report)


def _tables(sizes: list[tuple], vacuum: list[tuple]) -> list[dict]:
    stats = {row[0]: row[1:] for row in vacuum}
    tables = []
    for name, kind, parent, data, indexes, toast, rows, pages in sizes:
        live, dead, autovacuum, autoanalyze, vacuumed, analyzed, width, block = stats.get(name, (None,) * 8)
        tables.append({
            "name": name, "kind": "partitioned" if kind == "p" else ("partition" if parent else "table"),
            "parent": parent, "data_bytes": data, "index_bytes": indexes, "toast_bytes": toast,
            "total_bytes": data + indexes + toast, "rows_estimated": rows, "dead_tuples": dead,
            "last_autovacuum": _iso(autovacuum), "last_autoanalyze": _iso(autoanalyze),
            "last_vacuum": _iso(vacuumed), "last_analyze": _iso(analyzed),
            "bloat_estimate": _bloat(rows, pages, width, block),
        })  # fmt: skip
    by_name = {t["name"]: t for t in tables}
    for table in tables:  # a partitioned table's own relation is empty: its partitions hold it all
        if table["parent"] in by_name and by_name[table["parent"]]["kind"] == "partitioned":
            parent = by_name[table["parent"]]
            for key in ("data_bytes", "index_bytes", "toast_bytes", "total_bytes", "rows_estimated"):
                parent[key] += table[key]
    return sorted(tables, key=lambda t: (-t["total_bytes"], t["name"]))


def _bloat(rows: int, pages: int, width, block) -> float | None:
    """Share of the table's pages its live rows do not need: rows × (width + 28 bytes of tuple header
    and line pointer) over pages of (block − 24) bytes. An estimate (fillfactor left free counts as bloat)."""
    if not pages or width is None or not block:
        return None
    needed = math.ceil(rows * (float(width) + 28) / (block - 24))
    return round(max(0.0, 1 - needed / pages), 3)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _statements() -> dict:
    ((available,),) = _rows(DEFAULT_DB_ALIAS, STATEMENTS_AVAILABLE_SQL)
    if not available:
        return {"available": False, "how_to_enable": STATEMENTS_HOW_TO, "slowest": []}
    slowest = [
        {"query": query, "calls": calls, "mean_ms": round(mean, 3), "total_ms": round(total, 1), "rows": rows}
        for query, calls, mean, total, rows in _rows(DEFAULT_DB_ALIAS, STATEMENTS_SQL)
    ]
    return {"available": True, "how_to_enable": "", "slowest": slowest}


def _replication() -> dict:
    standbys = [
        {"name": name, "address": address, "state": state, "replay_lag_seconds": _float(lag), "behind_bytes": behind}
        for name, address, state, lag, behind in _rows(DEFAULT_DB_ALIAS, REPLICATION_SQL)
    ]
    result = {"standbys": standbys, "replica_configured": REPLICA in settings.DATABASES, "replica_lag_seconds": None}
    if result["replica_configured"]:
        result["replica_reachable"] = replica_available()
        if result["replica_reachable"]:
            try:
                ((in_recovery, lag),) = _rows(REPLICA, REPLICA_LAG_SQL)
                result["replica_in_recovery"], result["replica_lag_seconds"] = in_recovery, _float(lag)
            except DatabaseError as error:
                result["replica_reachable"], result["replica_error"] = False, str(error)
    return result


def _float(value) -> float | None:
    return None if value is None else float(value)


def _warn(report: dict) -> None:
    warn = report["warnings"].append
    if report["default_partition_rows"]:
        warn(f"{report['default_partition_rows']:,} event(s) in the DEFAULT partition: run manage_partitions")
    if report["cache_hit_ratio"] is not None and report["cache_hit_ratio"] < CACHE_WARN:
        warn(f"cache hit ratio {report['cache_hit_ratio']:.1%} (below {CACHE_WARN:.0%})")
    for tx in report["long_transactions"]:
        warn(f"transaction of pid {tx['pid']} open for {timedelta(seconds=int(tx['seconds']))}")
    for lock in report["waiting_locks"]:
        warn(f"pid {lock['pid']} waits for a {lock['mode']} lock on {lock['relation'] or lock['lock']}")
    for table in report["tables"] + report["log_partitions"]:
        live, dead = table["rows_estimated"], table["dead_tuples"] or 0
        if dead > 1000 and dead > DEAD_WARN * max(live, 1):
            warn(f"{table['name']}: {dead:,} dead tuples (autovacuum behind?)")
    replication = report["replication"]
    if replication["replica_configured"] and not replication.get("replica_reachable"):
        warn("the replica cannot be reached: reads go to the primary")
    lag = replication["replica_lag_seconds"]
    if lag is not None and lag > settings.REPLICA_LAG_WARN_SECONDS:
        warn(f"the replica is {lag:.0f} s behind the primary")


def _sqlite(report: dict) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    name = str(connection.settings_dict["NAME"])
    ((page_size, page_count, freelist),) = _rows(
        DEFAULT_DB_ALIAS, "SELECT * FROM pragma_page_size(), pragma_page_count(), pragma_freelist_count()"
    )
    on_disk = os.path.exists(name) and not connection.is_in_memory_db()
    report.update(
        note=SQLITE_NOTE, file=name if on_disk else None, page_size=page_size, page_count=page_count,
        freelist_pages=freelist, file_bytes=os.path.getsize(name) if on_disk else page_size * page_count,
    )  # fmt: skip
    try:
        objects = _rows(
            DEFAULT_DB_ALIAS,
            "SELECT m.name, m.type, m.tbl_name, SUM(d.pgsize), COUNT(*) FROM dbstat d "
            "JOIN sqlite_master m ON m.name = d.name GROUP BY m.name ORDER BY SUM(d.pgsize) DESC, m.name",
        )
    except DatabaseError:
        report["tables"], report["indexes"] = None, None  # this SQLite has no dbstat table
        return
    report["tables"] = [
        {"name": n, "total_bytes": size, "pages": pages} for n, kind, _t, size, pages in objects if kind == "table"
    ]
    report["indexes"] = [
        {"name": n, "table": table, "bytes": size, "pages": pages}
        for n, kind, table, size, pages in objects
        if kind == "index"
    ]
