"""Coordinator pages of the referrals area: the CSV export of the referral list and the task force's reason codes.
Included into the ``cases`` namespace by cases/urls.py."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
