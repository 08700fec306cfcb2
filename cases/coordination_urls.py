"""Coordinator pages of the referrals area: the CSV export of the referral list and the task force's reason codes.
Included into the ``cases`` namespace by cases/urls.py."""

from django.urls import path

from . import coordination_views as views

urlpatterns: list = [
    path("export.csv", views.referral_export, name="referral_export"),
    path("reason-codes/", views.reason_code_list, name="reason_code_list"),
    path("reason-codes/new/", views.reason_code_create, name="reason_code_create"),
    path("reason-codes/<int:pk>/edit/", views.reason_code_edit, name="reason_code_edit"),
    path("reason-codes/<int:pk>/deactivate/", views.reason_code_deactivate, name="reason_code_deactivate"),
    path("reason-codes/<int:pk>/reactivate/", views.reason_code_reactivate, name="reason_code_reactivate"),
]
