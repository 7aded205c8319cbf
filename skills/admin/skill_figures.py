"""The figures on a skill's admin page: its roll-up metrics, its attributed model cost and its
context cost."""

from __future__ import annotations

from django.conf import settings
from django.utils.html import format_html, format_html_join

from ..models import Skill, SkillMetrics
from ..selectors.registry import free_text_counts
from ..selectors.skill_costs import NO_COST, skill_costs
from ..selectors.skill_health import context_cost, percentiles_reliable


def _cost_rows(skill: Skill) -> list[tuple[str, str]]:
    """Attributed model cost (the README's rule) and context cost: what the skill costs to keep and to run."""
    cost = skill_costs([skill.skill_id]).get(skill.skill_id, NO_COST)
    per_use = f"${cost.cost_per_use} a use" if cost.cost_per_use is not None else "—"
    per_success = f"${cost.cost_per_success} a success" if cost.cost_per_success is not None else "—"
    current = list(skill.versions.filter(is_current=True)[:1])
    skill.current_versions = current
    tokens = context_cost(skill)
    body = f"{tokens['body_tokens']:,}" if tokens["body_tokens"] is not None else "—"
    days = settings.SKILL_HEALTH_WINDOW_DAYS
    return [
        (f"Model cost, last {days} days", f"${cost.cost_usd} over {cost.uses:,} uses ({cost.tokens:,} tokens)"),
        ("Cost per use / per success", f"{per_use} / {per_success}"),
        ("Context cost (tokens)", f"{tokens['listing_tokens']:,} listed in every session, {body} when loaded"),
    ]


def metrics_html(skill: Skill, metrics: SkillMetrics | None) -> str:
    if metrics is None or not metrics.total_invocations:
        rows = [("Invocations", "No usage yet."), *_cost_rows(skill)]
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))
    errors = list(free_text_counts(metrics.error_types, staff=True).items())[:5]  # the admin is for staff

    def figure(value, suffix=""):
        return "—" if value is None else f"{value:,.1f}{suffix}"

    rows = [
        ("Invocations", f"{metrics.total_invocations:,}"),
        ("Completion rate", figure(metrics.completion_rate, " %")),
        (
            "Latency p50 / p95 / p99",
            f"{figure(metrics.p50_ms)} / {figure(metrics.p95_ms)} / {figure(metrics.p99_ms)} ms"
            + ("" if percentiles_reliable(metrics) else f" (only {metrics.duration_count} timed uses: rough)"),
        ),
        ("Average rating", figure(metrics.avg_rating)),
        ("Unique users", f"{metrics.unique_users:,}"),
        ("Effectiveness", figure(metrics.effectiveness_score)),
        ("Top errors", ", ".join(f"{name} ({count})" for name, count in errors) or "none"),
        *_cost_rows(skill),
    ]
    return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))
