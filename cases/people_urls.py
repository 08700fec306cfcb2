"""The people pages (/people/): search, a person's record, entering a person with the duplicate check, consents,
merging."""

from django.urls import path

from . import people_views as views
from .person_record_views import person_record_page

app_name = "people"

urlpatterns = [
    path("", views.person_list, name="person_list"),
    path("new/", views.person_create, name="person_create"),
    path("<int:pk>/", views.person_detail, name="person_detail"),
    path("<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("<int:pk>/merge/", views.person_merge, name="person_merge"),
    path("<int:pk>/record/", person_record_page, name="person_record"),
    path("<int:pk>/consents/new/", views.consent_create, name="consent_create"),
    path("consents/<int:pk>/revoke/", views.consent_revoke_page, name="consent_revoke"),
    path("consents/<int:pk>/file/", views.consent_file, name="consent_file"),
]
