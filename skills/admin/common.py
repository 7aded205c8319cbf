"""Pieces shared by the skills admin screens."""

from datetime import datetime

from django import forms
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

COUNT_CAP = 10_000


class ReadOnlyAdmin(admin.ModelAdmin):
    """Aggregates and the log are written by services only, never by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EstimatedCountPaginator(Paginator):
    """Never counts a large table: the unfiltered count is PostgreSQL's planner estimate,
    and a filtered count stops at COUNT_CAP rows."""

    @cached_property
    def count(self) -> int:
        query = self.object_list.query
        if connection.vendor == "postgresql" and not query.where:
            estimate = estimated_rows(self.object_list.model._meta.db_table)
            if estimate > COUNT_CAP:
                return estimate
        return self.object_list.order_by()[: COUNT_CAP + 1].count()


def estimated_rows(table: str) -> int:
    """reltuples of the table, summed over its partitions when it is partitioned."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(GREATEST(c.reltuples, 0)), 0)::bigint FROM pg_class c "
            "WHERE c.oid = %s::regclass OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = %s::regclass)",
            [table, table],
        )
        return cursor.fetchone()[0]


class NoteForm(forms.Form):
    """The intermediate page of a review action: the note is required."""

    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), label="Review note")


def percent(share: float | None) -> str:
    """A share 0–1 as a percentage with one decimal."""
    return "—" if share is None else f"{100 * share:.1f} %"


def short_time(moment: datetime | None, *, date_only: bool = False) -> str:
    """Date and minute (or the date alone) in the site's time zone; the full timestamp on hover."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    shown = f"{local:%Y-%m-%d}" if date_only else f"{local:%Y-%m-%d %H:%M}"
    full = f"{local:%Y-%m-%d %H:%M:%S %Z}"
    return format_html('<time datetime="{}" title="{}">{}</time>', moment.isoformat(), full, shown)


def truncated(text: str, length: int = 24) -> str:
    """Long values cut to `length` characters in the list, the whole value on hover."""
    if not text:
        return "—"
    if len(text) <= length:
        return text
    return format_html('<span class="truncated" title="{}">{}…</span>', text, text[: length - 1])


def short_sha(sha256: str) -> str:
    """The first 12 hex digits; the whole digest on hover."""
    if not sha256:
        return "—"
    return format_html('<code class="sha" title="{}">{}</code>', sha256, sha256[:12])
