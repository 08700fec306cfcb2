from django.urls import path

from . import views

app_name = "governance"

urlpatterns = [
    path("", views.retention, name="retention"),
    path("dry-run/", views.dry_run, name="dry_run"),
    path("holds/", views.hold_list, name="hold_list"),
    path("holds/place/", views.hold_place, name="hold_place"),
    path("holds/<int:pk>/release/", views.hold_release, name="hold_release"),
]
