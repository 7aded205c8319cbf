"""Account pages: sign-up (closable, throttled per address) and the learner's API keys."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from .forms import APIKeyForm, SignUpForm
from .models import APIKey
from .scopes import Scope
from .services import api_key_create, api_key_revoke
from .signup import SignupThrottle

SIGNUP_CLOSED = "Sign-up is closed on this site: ask its administrators for an account."
SIGNUP_THROTTLED = "Too many sign-ups from your address; try again in {minutes} minutes."
KEY_REVOKED = "Key “{name}” revoked: requests with it are refused from now on."


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if not settings.SIGNUP_OPEN:
        return render(request, "registration/signup_closed.html", {"reason": SIGNUP_CLOSED}, status=403)
    if request.user.is_authenticated:
        return redirect("roadmaps:list")
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        throttle = SignupThrottle()
        if not throttle.allow_request(request, None):
            minutes = max(1, round((throttle.wait() or 60) / 60))
            reason = SIGNUP_THROTTLED.format(minutes=minutes)
            return render(request, "registration/signup_closed.html", {"reason": reason}, status=429)
        if form.is_valid():
            user = form.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome! Start a roadmap from something you want to learn.")
            return redirect("roadmaps:list")
    return render(request, "registration/signup.html", {"form": form})


def _keys_page(request: HttpRequest, form: APIKeyForm, *, new_secret: str = "", status: int = 200) -> HttpResponse:
    keys = APIKey.objects.for_user(request.user).order_by("revoked", "-created")
    context = {"form": form, "keys": keys, "new_secret": new_secret, "scopes": Scope.choices}
    response = render(request, "accounts/keys.html", context, status=status)
    add_never_cache_headers(response)  # the page may carry a new key's secret
    return response


@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    """The learner's keys; POST makes one and shows its secret on this answer only."""
    form = APIKeyForm(request.POST or None)
    if request.method != "POST":
        return _keys_page(request, form)
    if not form.is_valid():
        return _keys_page(request, form, status=400)
    try:
        _key, secret = api_key_create(
            user=request.user, name=form.cleaned_data["name"], scope=form.cleaned_data["scope"],
            expires_at=form.expires_at(),
        )  # fmt: skip
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
        return _keys_page(request, form, status=400)
    return _keys_page(request, APIKeyForm(), new_secret=secret, status=201)


@login_required
@require_POST
def api_key_revoke_view(request: HttpRequest, prefix: str) -> HttpResponse:
    key = get_object_or_404(APIKey.objects.for_user(request.user), prefix=prefix, revoked=False)
    api_key_revoke(key=key)
    messages.success(request, KEY_REVOKED.format(name=key.name))
    return redirect("accounts:keys")
