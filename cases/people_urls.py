"""The people pages (/people/): search, a person's record, entering a person with the duplicate check, consents,
merging."""

from django.urls import path

from . import people_views as views
from . import person_record_views as record_views

app_name = "people"

urlpatterns = [
    path("", views.person_list, name="person_list"),
    path("new/", views.person_create, name="person_create"),
    path("records-request/", record_views.records_request_lookup_page, name="records_request"),
    path("record-exports/<int:pk>/", record_views.record_job_page, name="record_job"),
    path("record-exports/<int:pk>/progress/", record_views.record_job_progress, name="record_job_progress"),
    path("record-exports/<int:pk>/download/", record_views.record_job_download, name="record_job_download"),
    path("<int:pk>/", views.person_detail, name="person_detail"),
    path("<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("<int:pk>/merge/", views.person_merge, name="person_merge"),
    path("<int:pk>/record/", record_views.person_record_page, name="person_record"),
    path("<int:pk>/consents/new/", views.consent_create, name="consent_create"),
    path("consents/<int:pk>/revoke/", views.consent_revoke_page, name="consent_revoke"),
    path("consents/<int:pk>/file/", views.consent_file, name="consent_file"),
]
