"""Forms of the learner pages."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from .models import (
    DESCRIPTION_MAX_LENGTH,
    NOTES_MAX_LENGTH,
    REPS_PER_SESSION_MAX,
    TITLE_MAX_LENGTH,
    ActivityType,
    SkillType,
)


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional; only used to reset your password.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "email"]


KIND_HELP = (
    "Optional. Physical skills are practised with the body (juggling), abstract ones with the mind (algebra), "
    "mixed ones with both (a language). Expert plans know their kind; for other goals we guess it from your words."
)


class GoalForm(forms.Form):
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


class PracticeForm(_PerMilestone, forms.Form):
    """One session: the learner says how many reps it covered (nothing is assumed)."""

    activity_type = forms.ChoiceField(label="Type", choices=ActivityType.choices)
    title = forms.CharField(label="What did you do?", max_length=TITLE_MAX_LENGTH)
    reps = forms.IntegerField(
        label="Reps covered this session", min_value=0, max_value=REPS_PER_SESSION_MAX, required=False
    )
    completion_time = forms.IntegerField(label="Minutes practised", min_value=0, max_value=24 * 60, required=False)
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
        if milestone is not None:
            self.fields["reps"].help_text = (
                f"{milestone.reps} rep{'s' if milestone.reps != 1 else ''} a set × {milestone.sets} "
                f"set{'s' if milestone.sets != 1 else ''} = {milestone.target} to complete this milestone. "
                "Leave empty for a session that covered none (reading, watching)."
            )

    def clean_reps(self) -> int:
        return self.cleaned_data["reps"] or 0


class RoadmapForm(forms.Form):
    title = forms.CharField(label="Title", max_length=TITLE_MAX_LENGTH)
    description = forms.CharField(
        label="Description",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
    )


class MilestoneNotesForm(_PerMilestone, forms.Form):
    notes = forms.CharField(
        label="Your notes",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=NOTES_MAX_LENGTH,
        required=False,
        strip=False,
    )
