from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("keys/", views.api_keys, name="keys"),
    path("keys/<str:prefix>/revoke/", views.api_key_revoke_view, name="key-revoke"),
]
