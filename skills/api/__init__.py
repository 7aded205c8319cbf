"""The skills API, registered on the project router (viewsets) and in `urls` (plain views)."""

from django.urls import path, re_path

from skillsite.api import router

from .agents import AgentSessionViewSet
from .analytics import EffectivenessView, SummaryView
from .emergence import CandidateViewSet, CooccurrenceView
from .experiments import ExperimentViewSet
from .hook import AgentHookView
from .otel import OtlpLogsView
from .registry import SkillUnlockViewSet, SkillViewSet
from .sessions import SessionDetailView
from .telemetry import FeedbackViewSet, UsageEventViewSet

router.register("skills", SkillViewSet, basename="skill")
router.register("unlocks", SkillUnlockViewSet, basename="unlock")
router.register("events", UsageEventViewSet, basename="event")
router.register("feedback", FeedbackViewSet, basename="feedback")
router.register("agent-sessions", AgentSessionViewSet, basename="agent-session")
router.register("candidates", CandidateViewSet, basename="candidate")
router.register("experiments", ExperimentViewSet, basename="experiment")

urlpatterns = [
    path("analytics/effectiveness/", EffectivenessView.as_view(), name="analytics-effectiveness"),
    path("analytics/summary/", SummaryView.as_view(), name="analytics-summary"),
    path("cooccurrence/", CooccurrenceView.as_view(), name="cooccurrence"),
    re_path(r"^sessions/(?P<session_id>[^/]+)/$", SessionDetailView.as_view(), name="session-detail"),
    # No trailing slash: exporters append "/v1/logs" to OTEL_EXPORTER_OTLP_ENDPOINT.
    path("otel/v1/logs", OtlpLogsView.as_view(), name="otel-logs"),
    path("agent-hook/", AgentHookView.as_view(), name="agent-hook"),
]
