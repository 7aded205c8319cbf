"""db_health: the admin's database health page as text or JSON, for scripts and alerts."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from skills.selectors.database_health import database_health

HAS_WARNINGS = "{count} warning(s) (see above)"


class Command(BaseCommand):
    help = (
        "Prints the database's health: sizes of tables and of the log's partitions, vacuum, index usage, bloat, "
        "cache, connections, long transactions, waiting locks, slow statements, replication. --check exits 1 on "
        "warnings."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="one JSON document (what the admin page shows)")
        parser.add_argument("--check", action="store_true", help="exit with status 1 when there are warnings")

    def handle(self, *args, json: bool, check: bool, **options):
        report = database_health()
        self.stdout.write(_json(report) if json else "\n".join(_text(report)))
        if check and report["warnings"]:
            raise CommandError(HAS_WARNINGS.format(count=len(report["warnings"])))


def _json(report: dict) -> str:
    return json.dumps(report, indent=2, default=str)


def _size(value) -> str:
    return filesizeformat(value).replace("\xa0", " ")


def _text(report: dict) -> list[str]:
    lines = [f"database: {report['vendor']} at {report['generated_at']}"]
    lines += [f"WARNING {warning}" for warning in report["warnings"]] or ["no warnings"]
    if report["vendor"] != "postgresql":
        lines.append(report["note"])
        lines.append(
            f"file: {report['file'] or 'in memory'}, {report['file_bytes']:,} bytes, {report['page_count']:,} pages "
            f"of {report['page_size']:,} bytes, {report['freelist_pages']:,} free"
        )
        for table in report["tables"] or []:
            lines.append(f"  table {table['name']}: {_size(table['total_bytes'])}, {table['pages']} pages")
        for index in report["indexes"] or []:
            lines.append(f"  index {index['name']} on {index['table']}: {_size(index['bytes'])}")
        return lines
    ratio = report["cache_hit_ratio"]
    lines.append(f"cache hit ratio: {'—' if ratio is None else f'{ratio:.1%}'}")
    lines.append("connections: " + ", ".join(f"{state} {count}" for state, count in report["connections"].items()))
    lines.append(f"DEFAULT partition rows: {report['default_partition_rows']}")
    replication = report["replication"]
    lines.append(f"replica: {'configured' if replication['replica_configured'] else 'none'}, lag "
                 f"{replication['replica_lag_seconds']} s; standbys: {len(replication['standbys'])}")  # fmt: skip
    lines.append(
        "tables (data / indexes / TOAST / total, rows estimated, dead tuples, bloat estimate, last autovacuum):"
    )
    for table in report["tables"] + report["log_partitions"]:
        bloat = "—" if table["bloat_estimate"] is None else f"{table['bloat_estimate']:.0%}"
        lines.append(
            f"  {table['name']} [{table['kind']}]: {_size(table['data_bytes'])} / {_size(table['index_bytes'])} / "
            f"{_size(table['toast_bytes'])} / {_size(table['total_bytes'])}, {table['rows_estimated']:,} rows, "
            f"{table['dead_tuples'] if table['dead_tuples'] is not None else '—'} dead, bloat {bloat}, "
            f"autovacuum {table['last_autovacuum'] or 'never'}"
        )
    lines.append("unused indexes (no scans, not unique):")
    lines += [f"  {i['name']} on {i['table']}: {_size(i['bytes'])}" for i in report["indexes"] if i["unused"]] or [
        "  none"
    ]
    for tx in report["long_transactions"]:
        lines.append(f"long transaction: pid {tx['pid']} {tx['seconds']:.0f} s: {tx['query']}")
    for lock in report["waiting_locks"]:
        lines.append(f"waiting lock: pid {lock['pid']} {lock['mode']} on {lock['relation']} ({lock['seconds']:.0f} s)")
    statements = report["statements"]
    if statements["available"]:
        lines.append("slowest statements (mean ms, calls):")
        lines += [f"  {s['mean_ms']} ms × {s['calls']}: {s['query']}" for s in statements["slowest"]]
    else:
        lines.append(statements["how_to_enable"])
    return lines
