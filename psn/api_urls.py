"""/api/v1/: the router, the OpenAPI schema and its documentation page (served locally)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.api import ApiTokenViewSet, LockoutViewSet, MeViewSet
from cases.api import AttachmentViewSet, NoteViewSet, ReferralViewSet
from cases.fhir_api import ReferralFhirView
from cases.people_api import ConsentViewSet, PersonViewSet
from cases.person_record_api import (
    PersonRecordDownloadView,
    PersonRecordExportView,
    PersonRecordView,
    RecordsRequestLookupView,
)
from cases.reason_api import ReasonCodeViewSet
from governance.api import LegalHoldViewSet, PurgeRunViewSet, RetentionDryRunView, RetentionScheduleView
from meetings.api import ActionItemViewSet, CalendarFeedView, MeetingViewSet, ReminderSettingsView
from partners.api import (
    LanguageViewSet,
    MembershipViewSet,
    PartnerViewSet,
    ServiceViewSet,
    TaskForceViewSet,
    TaxonomyTermViewSet,
)
from partners.hsds.api import DirectoryExportView, DirectoryImportViewSet
from partners.member_api import InvitationViewSet
from reports.api import CrimeCountViewSet, ReportViewSet
from research.api import ResearchExtractViewSet, ResearchGrantViewSet

from .api import not_found
from .audit_api import AuditEventViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
# No ".json" suffix routes: they pass a ``format`` argument that the viewsets' own actions do not take (a 500).
router.include_format_suffixes = False
router.register("me", MeViewSet, basename="me")
router.register("task-forces", TaskForceViewSet, basename="task-force")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("partners", PartnerViewSet, basename="partner")
router.register("services", ServiceViewSet, basename="service")
router.register("taxonomy", TaxonomyTermViewSet, basename="taxonomy-term")
router.register("languages", LanguageViewSet, basename="language")
router.register("tokens", ApiTokenViewSet, basename="token")
router.register("lockouts", LockoutViewSet, basename="lockout")
router.register("audit-events", AuditEventViewSet, basename="audit-event")
router.register("hsds/imports", DirectoryImportViewSet, basename="hsds-import")
router.register("referrals", ReferralViewSet, basename="referral")
router.register("notes", NoteViewSet, basename="note")
router.register("people", PersonViewSet, basename="person")
router.register("consents", ConsentViewSet, basename="consent")
router.register("reason-codes", ReasonCodeViewSet, basename="reason-code")
router.register("attachments", AttachmentViewSet, basename="attachment")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("action-items", ActionItemViewSet, basename="action-item")
router.register("reports", ReportViewSet, basename="report")
router.register("crime-counts", CrimeCountViewSet, basename="crime-count")
router.register("governance/purge-runs", PurgeRunViewSet, basename="purge-run")
router.register("governance/holds", LegalHoldViewSet, basename="legal-hold")
router.register("research/grants", ResearchGrantViewSet, basename="research-grant")
router.register("research/extracts", ResearchExtractViewSet, basename="research-extract")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("hsds/export/", DirectoryExportView.as_view(), name="hsds-export"),
    path("referrals/<int:pk>/fhir/", ReferralFhirView.as_view(), name="referral-fhir"),
    path("people/<int:pk>/record/", PersonRecordView.as_view(), name="person-record"),
    path("people/records-request/", RecordsRequestLookupView.as_view(), name="person-records-request"),
    path("people/record-exports/<int:pk>/", PersonRecordExportView.as_view(), name="person-record-export-detail"),
    path(
        "people/record-exports/<int:pk>/download/",
        PersonRecordDownloadView.as_view(),
        name="person-record-export-download",
    ),
    path("reminder-settings/", ReminderSettingsView.as_view(), name="reminder-settings"),
    path("me/calendar-feed/", CalendarFeedView.as_view(), name="calendar-feed"),
    path("governance/retention/", RetentionScheduleView.as_view(), name="retention-schedule"),
    path("governance/retention/dry-run/", RetentionDryRunView.as_view(), name="retention-dry-run"),
    path("", include(router.urls)),
    # Last: anything else under /api/v1/ is a JSON 404 (and a missing trailing slash is named, not redirected).
    re_path(r"^(?P<rest>.*)$", not_found, name="api-not-found"),
]
