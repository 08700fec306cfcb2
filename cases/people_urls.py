"""The people pages (/people/): search, a person's record, entering a person with the duplicate check, consents,
merging."""

from django.urls import path  # noqa: F401

app_name = "people"

urlpatterns: list = []
