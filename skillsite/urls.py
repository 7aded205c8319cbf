from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

import roadmaps.api  # noqa: F401  (registers its viewsets on the router)
import skills.api
from skills.admin.dashboard import dashboard_view
from skills.admin.database_health import database_health_view
from skillsite.api import router
from skillsite.operator_views import healthz, metrics, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("admin/skills/dashboard/", admin.site.admin_view(dashboard_view), name="skills-dashboard"),
    path("admin/skills/health/", admin.site.admin_view(database_health_view), name="skills-database-health"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/auth/", include("rest_framework.urls")),
    path("api/", include(skills.api.urlpatterns)),
    path("api/", include(router.urls)),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("roadmaps.urls")),
]
handler404 = "skillsite.views.handler404"
handler500 = "skillsite.views.handler500"
