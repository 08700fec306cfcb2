"""/api/v1/: the router, the OpenAPI schema and its documentation page (served locally)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.api import ApiTokenViewSet, LockoutViewSet, MeViewSet
from partners.api import MembershipViewSet, TaskForceViewSet

from .audit_api import AuditEventViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("me", MeViewSet, basename="me")
router.register("task-forces", TaskForceViewSet, basename="task-force")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("tokens", ApiTokenViewSet, basename="token")
router.register("lockouts", LockoutViewSet, basename="lockout")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
