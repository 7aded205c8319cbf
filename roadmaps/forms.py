"""Forms of the learner pages."""

from django import forms
from django.utils import timezone

from .models import (
    DESCRIPTION_MAX_LENGTH,
    NOTES_MAX_LENGTH,
    REPS_PER_SESSION_MAX,
    TITLE_MAX_LENGTH,
    ActivityType,
    SkillType,
    earliest_practice_day,
    validate_practice_day,
)

NOT_A_WHOLE_NUMBER = "Enter a whole number, like 20 (digits only)."
LIMIT_HINT = "Up to {limit:,} characters."


class LimitsShown:
    """Each text field's length limit is said beside it, and the browser's maxlength is left
    off: it would cut a pasted text short without a word; the form refuses a longer text
    instead, naming the limit and the length."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if getattr(field, "max_length", None) and not field.widget.is_hidden:
                field.widget.attrs.pop("maxlength", None)
                hint = LIMIT_HINT.format(limit=field.max_length)
                field.help_text = f"{field.help_text} {hint}" if field.help_text else hint


class WholeNumberField(forms.IntegerField):
    """A whole number typed as text: a browser sends an invalid type=number input ("1e") as
    empty, which would save a session with no minutes and no error; as text it reaches the
    form and is refused with a message."""

    default_error_messages = {"invalid": NOT_A_WHOLE_NUMBER}

    def widget_attrs(self, widget):
        return {"inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "off"}

    def __init__(self, **kwargs):
        super().__init__(widget=forms.TextInput, **kwargs)


class PracticeDayInput(forms.DateInput):
    """A date picker from a year back to today; the bounds are worked out per request."""

    input_type = "date"

    def get_context(self, name, value, attrs):
        today = timezone.localdate()
        attrs = {**(attrs or {}), "max": today.isoformat(), "min": earliest_practice_day(today).isoformat()}
        return super().get_context(name, value, attrs)


KIND_HELP = (
    "Optional. Physical skills are practised with the body (juggling), abstract ones with the mind (algebra), "
    "mixed ones with both (a language). Expert plans know their kind; for other goals we guess it from your words."
)


class GoalForm(LimitsShown, forms.Form):
    """A goal for a new roadmap; `catalog_entry` starts a named expert plan, `confirm` a second
    roadmap for a goal the learner already has."""

    user_query = forms.CharField(
        label="What do you want to learn?",
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": "e.g. learn to juggle three balls", "list": "catalog-titles"}),
    )
    skill_type = forms.ChoiceField(
        label="Kind of skill",
        choices=[("", "Work it out for me"), *SkillType.choices],
        required=False,
        initial="",
        widget=forms.RadioSelect,
        help_text=KIND_HELP,
    )
    catalog_entry = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class _PerMilestone:
    def __init__(self, *args, progress_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Unique ids on a page with forms for every milestone, so every label points at its field.
        if progress_id:
            self.auto_id = f"id_{progress_id.hex[:8]}_%s"


class PracticeForm(LimitsShown, _PerMilestone, forms.Form):
    """One session: the learner says how many reps it covered (nothing is assumed)."""

    activity_type = forms.ChoiceField(label="Type", choices=ActivityType.choices)
    title = forms.CharField(label="What did you do?", max_length=TITLE_MAX_LENGTH)
    practiced_on = forms.DateField(
        label="Day practised",
        widget=PracticeDayInput(format="%Y-%m-%d"),
        validators=[validate_practice_day],
        required=False,
        help_text="Today, or the day it happened (up to a year back).",
    )
    reps = WholeNumberField(
        label="Reps covered this session", min_value=0, max_value=REPS_PER_SESSION_MAX, required=False
    )
    completion_time = WholeNumberField(label="Minutes practised", min_value=0, max_value=24 * 60, required=False)
    difficulty_rating = forms.TypedChoiceField(
        label="Difficulty",
        choices=[("", "—")]
        + [(n, f"{n} – {label}") for n, label in enumerate(["easy", "fair", "ok", "hard", "very hard"], 1)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    user_notes = forms.CharField(
        label="Notes", widget=forms.Textarea(attrs={"rows": 2}), max_length=NOTES_MAX_LENGTH, required=False
    )

    def __init__(self, *args, milestone=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practiced_on"].initial = timezone.localdate
        if milestone is not None:
            self.fields["reps"].help_text = (
                f"{milestone.reps} rep{'s' if milestone.reps != 1 else ''} a set × {milestone.sets} "
                f"set{'s' if milestone.sets != 1 else ''} = {milestone.target} to complete this milestone. "
                "Leave empty for a session that covered none (reading, watching)."
            )

    def clean_reps(self) -> int:
        return self.cleaned_data["reps"] or 0

    def clean_practiced_on(self):
        """Left out: the day the form started on (today, or the edited session's own day)."""
        field = self.fields["practiced_on"]
        return self.cleaned_data["practiced_on"] or self.get_initial_for_field(field, "practiced_on")


class RoadmapForm(LimitsShown, forms.Form):
    title = forms.CharField(label="Title", max_length=TITLE_MAX_LENGTH)
    description = forms.CharField(
        label="Description",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
    )


class MilestoneNotesForm(LimitsShown, _PerMilestone, forms.Form):
    notes = forms.CharField(
        label="Your notes",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=NOTES_MAX_LENGTH,
        required=False,
        strip=False,
    )
