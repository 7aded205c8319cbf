"""A skill's experiments as its admin page lists them: the history of what was tried and decided."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from ..models import Skill
from ..selectors.experiments import experiments_of
from .common import short_time


def experiments_history(skill: Skill) -> str:
    """A row an experiment (2 queries: the experiments, their arms), and the link to start one."""
    start = format_html(
        '<a class="button" id="try-new-version" href="{}?skill={}">Try a new version on a share of users…</a>',
        reverse("admin:skills_experiment_add"),
        skill.pk,
    )
    experiments = list(experiments_of(skill))
    if not experiments:
        return format_html("<p>No experiments yet.</p>{}", start)
    rows = format_html_join(
        "",
        '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        (
            (
                reverse("admin:skills_experiment_change", args=[experiment.pk]),
                experiment.name,
                experiment.get_status_display(),
                ", ".join(f"{arm.version.version} {arm.share / 100:g} %" for arm in experiment.arms.all()),
                short_time(experiment.started_at),
                _decision(experiment),
            )
            for experiment in experiments
        ),
    )
    head = "<tr><th>Experiment</th><th>Status</th><th>Arms</th><th>Started</th><th>Decision</th></tr>"
    return format_html('<table id="experiment-history"><thead>{}</thead><tbody>{}</tbody></table>{}',
                       mark_safe(head), rows, start)  # fmt: skip


def _decision(experiment) -> str:
    decision = experiment.decision or {}
    if not decision:
        return "—"
    who = decision.get("by") or "a guardrail"
    what = f"promoted {decision['version']}" if decision.get("version") else decision.get("action", "")
    return f"{what} by {who}" + (f": {decision['reason']}" if decision.get("reason") else "")
