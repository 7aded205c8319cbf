"""Forms of the learner pages."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from .models import ActivityType, SkillType


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional; only used to reset your password.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "email"]


class GoalForm(forms.Form):
    user_query = forms.CharField(
        label="What do you want to learn?",
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": "e.g. learn to juggle three balls"}),
    )
    skill_type = forms.ChoiceField(
        label="Kind of skill", choices=SkillType.choices, initial=SkillType.PHYSICAL, widget=forms.RadioSelect
    )


class PracticeForm(forms.Form):
    activity_type = forms.ChoiceField(label="Type", choices=ActivityType.choices)
    title = forms.CharField(label="What did you do?", max_length=255)
    completion_time = forms.IntegerField(label="Minutes", min_value=0, max_value=24 * 60, required=False)
    difficulty_rating = forms.TypedChoiceField(
        label="Difficulty",
        choices=[("", "—")]
        + [(n, f"{n} – {label}") for n, label in enumerate(["easy", "fair", "ok", "hard", "very hard"], 1)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    user_notes = forms.CharField(label="Notes", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    completed = forms.BooleanField(label="I completed a full repetition", required=False, initial=True, label_suffix="")

    def __init__(self, *args, progress_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Unique ids on a page with one form per milestone, so every label points at its field.
        if progress_id:
            self.auto_id = f"id_{progress_id.hex[:8]}_%s"
