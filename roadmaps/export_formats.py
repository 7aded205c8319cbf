"""The shapes of the exports: a roadmap as JSON (re-importable: POST it to /api/deconstructions/
and the same plan comes back), as CSV (one row a milestone) and as a Markdown checklist; the
practice history as CSV. The serializers make the data, the renderers the text, so the API's
content negotiation (`?format=json|csv|md`) picks the shape."""

from __future__ import annotations

import csv
import io

from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer

from .models import ActivityType, MilestoneStatus, SkillType

EXPORT_KIND = "skillsite.roadmap"
EXPORT_VERSION = 1
# A cell a spreadsheet would read as a formula is prefixed with an apostrophe (OWASP's advice
# against CSV injection): the learner's notes and the plan's texts are free text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportedMilestoneSerializer(serializers.Serializer):
    level = serializers.IntegerField(source="milestone.level")
    level_title = serializers.CharField()
    id = serializers.CharField(source="milestone.id")
    title = serializers.CharField(source="milestone.title")
    status = serializers.ChoiceField(choices=MilestoneStatus.choices, source="item.status")
    locked = serializers.BooleanField(source="item.locked")
    waiting_for = serializers.SerializerMethodField(help_text="Ids of the prerequisites a locked milestone waits for.")
    prerequisites = serializers.ListField(child=serializers.CharField(), source="milestone.prerequisites")
    unlocks_skills = serializers.ListField(child=serializers.CharField(), source="milestone.unlocks_skills")
    do_this_now = serializers.CharField(source="milestone.prompt")
    success_criteria = serializers.CharField(source="milestone.success_criteria")
    reps = serializers.IntegerField(source="milestone.reps")
    sets = serializers.IntegerField(source="milestone.sets")
    target_completions = serializers.IntegerField(source="milestone.target", help_text="reps × sets")
    estimated_minutes = serializers.IntegerField(source="milestone.estimated_time")
    practice_attempts = serializers.IntegerField(source="attempts", help_text="Sessions counted since the last reset.")
    practice_completions = serializers.IntegerField(source="item.completions")
    sessions = serializers.IntegerField(source="practice.sessions", help_text="Every session logged on it.")
    minutes_practised = serializers.IntegerField(source="practice.minutes", help_text="Minutes of every session.")
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    notes = serializers.CharField()

    def get_waiting_for(self, exported) -> list[str]:
        return [milestone.id for milestone in exported.item.waiting_for]


class ExportedRoadmapSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField()
    created_at = serializers.DateTimeField()
    archived_at = serializers.DateTimeField(allow_null=True)


class ExportedProgressSerializer(serializers.Serializer):
    percent = serializers.IntegerField()
    minutes_done = serializers.IntegerField(help_text="Estimated minutes of the completed milestones.")
    minutes_total = serializers.IntegerField()
    milestones_completed = serializers.IntegerField()
    milestones_total = serializers.IntegerField()


class RoadmapExportSerializer(serializers.Serializer):
    """user_query, skill_name, skill_type and deconstruction_data are what POST
    /api/deconstructions/ reads: posting the export back gives the same plan."""

    export = serializers.SerializerMethodField()
    version = serializers.SerializerMethodField()
    exported_at = serializers.DateTimeField()
    roadmap = ExportedRoadmapSerializer()
    user_query = serializers.CharField(source="deconstruction.user_query", allow_null=True)
    skill_name = serializers.CharField(source="deconstruction.skill_name", allow_null=True)
    skill_type = serializers.ChoiceField(choices=SkillType.choices, source="deconstruction.skill_type", allow_null=True)
    plan_origin = serializers.CharField(source="deconstruction.origin", allow_null=True)
    catalog_entry_copied = serializers.CharField(source="deconstruction.catalog_entry", allow_null=True)
    deconstruction_data = serializers.JSONField(source="deconstruction.deconstruction_data", allow_null=True)
    progress = ExportedProgressSerializer()
    minutes_practised = serializers.IntegerField()
    milestones = ExportedMilestoneSerializer(many=True)

    def get_export(self, export) -> str:
        return EXPORT_KIND

    def get_version(self, export) -> int:
        return EXPORT_VERSION


class PracticeExportSerializer(serializers.Serializer):
    """One practice session (a HistoryRow) as a row of the practice CSV."""

    id = serializers.UUIDField(source="activity.id")
    practiced_on = serializers.DateField(source="activity.practiced_on", help_text="The day it happened.")
    created_at = serializers.DateTimeField(source="activity.created_at")
    completed_at = serializers.DateTimeField(source="activity.completed_at", allow_null=True)
    roadmap = serializers.CharField(source="roadmap.title", allow_null=True)
    milestone_id = serializers.CharField(source="activity.milestone_progress.milestone_id")
    milestone = serializers.CharField(source="milestone_title")
    activity_type = serializers.ChoiceField(choices=ActivityType.choices, source="activity.activity_type")
    title = serializers.CharField(source="activity.title")
    description = serializers.CharField(source="activity.description")
    reps = serializers.IntegerField(source="activity.reps")
    completed = serializers.BooleanField(source="activity.completed")
    counted = serializers.BooleanField(source="activity.counted")
    minutes = serializers.IntegerField(source="activity.completion_time", allow_null=True)
    difficulty_rating = serializers.IntegerField(source="activity.difficulty_rating", allow_null=True)
    user_notes = serializers.CharField(source="activity.user_notes")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(str(item) for item in value)
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_text(columns: list[str], rows: list[dict]) -> str:
    """RFC 4180 CSV with a byte-order mark, so spreadsheets read it as UTF-8; lists are
    space-separated (ids hold no spaces)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[column]) for column in columns])
    return out.getvalue()


class ExportJSONRenderer(JSONRenderer):
    """JSON indented for a file someone may open."""

    def get_indent(self, accepted_media_type, renderer_context):
        return 2


class RoadmapCSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> str:
        return csv_text(list(ExportedMilestoneSerializer().fields), data["milestones"])


class PracticeCSVRenderer(RoadmapCSVRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> str:
        return csv_text(list(PracticeExportSerializer().fields), data)


_MARKDOWN_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>#|~"})


def _md(text: str) -> str:
    """Plain text inside a line of Markdown: its markup characters escaped, newlines joined."""
    return " ".join(str(text).translate(_MARKDOWN_SPECIAL).split())


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _milestone_lines(m: dict, titles: dict[str, str]) -> list[str]:
    done = m["status"] == MilestoneStatus.COMPLETED
    state = (
        f"completed {m['completed_at'][:10]}" if done else "locked" if m["locked"] else m["status"].replace("_", " ")
    )
    task = f"{_count(m['reps'], 'rep')} × {_count(m['sets'], 'set')}; success: {_md(m['success_criteria'])}"
    practice = f"{m['practice_completions']} of {_count(m['target_completions'], 'rep')} done"
    lines = [
        f"- [{'x' if done else ' '}] **{_md(m['title'])}** — {state}",
        f"  - Do this now: {_md(m['do_this_now'])} ({task})",
        f"  - Practice: {practice}, {_count(m['sessions'], 'session')}, {_count(m['minutes_practised'], 'minute')}",
    ]
    if m["waiting_for"]:
        lines.append(f"  - Waits for: {', '.join(_md(titles[i]) for i in m['waiting_for'])}")
    lines += [f"  - Unlocks the agent skill `{skill_id}`" for skill_id in m["unlocks_skills"]]
    notes = [_md(line) for line in m["notes"].strip().splitlines() if line.strip()]
    if notes:
        lines.append("  - Notes: " + "\n    ".join(notes))
    return lines


def roadmap_markdown(data: dict) -> str:
    """The roadmap as a checklist, one section a level."""
    roadmap, progress = data["roadmap"], data["progress"]
    lines = [f"# {_md(roadmap['title'])}", ""]
    if roadmap["description"]:
        lines += [_md(roadmap["description"]), ""]
    lines += [
        f"- Progress: {progress['percent']}% — {progress['milestones_completed']} of {progress['milestones_total']} "
        f"milestones, {progress['minutes_done']} of {progress['minutes_total']} estimated minutes",
        f"- Practised: {_count(data['minutes_practised'], 'minute')}",
        f"- Exported: {data['exported_at'][:16].replace('T', ' ')} UTC",
    ]
    descriptions = {lv["level"]: lv["description"] for lv in (data["deconstruction_data"] or {}).get("levels", [])}
    titles = {m["id"]: m["title"] for m in data["milestones"]}
    level = None
    for m in data["milestones"]:
        if m["level"] != level:
            level = m["level"]
            lines += ["", f"## Level {level}: {_md(m['level_title'])}", ""]
            if descriptions.get(level):
                lines += [_md(descriptions[level]), ""]
        lines += _milestone_lines(m, titles)
    return "\n".join(lines) + "\n"


class RoadmapMarkdownRenderer(BaseRenderer):
    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> str:
        return roadmap_markdown(data)
