"""Forms of the account pages and the admin: a new API key; sign-up."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils import timezone

from .models import NAME_MAX_LENGTH, APIKey
from .scopes import Scope
from .services import KEY_EXPIRY_PAST

EXPIRY_CHOICES = [("", "Never"), ("7", "In 7 days"), ("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year")]


class APIKeyForm(forms.Form):
    """A learner's new key: a name, a scope, an expiry from a short list."""

    name = forms.CharField(max_length=NAME_MAX_LENGTH, help_text="Where it is used.")
    scope = forms.ChoiceField(choices=Scope.choices, initial=Scope.INGEST, widget=forms.RadioSelect)
    expires_in_days = forms.TypedChoiceField(
        choices=EXPIRY_CHOICES, coerce=int, empty_value=None, required=False, label="Expires"
    )

    def expires_at(self):
        days = self.cleaned_data.get("expires_in_days")
        return None if days is None else timezone.now() + timedelta(days=days)


class APIKeyAdminForm(forms.ModelForm):
    class Meta:
        model = APIKey
        fields = ("user", "name", "scope", "expiry_date")

    def clean_expiry_date(self):
        expiry = self.cleaned_data.get("expiry_date")
        if expiry is not None and expiry <= timezone.now():
            raise forms.ValidationError(KEY_EXPIRY_PAST)
        return expiry


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional; only used to reset your password.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "email"]
