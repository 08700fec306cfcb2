from django.urls import path

from . import views

app_name = "research"

urlpatterns = [
    path("grants/", views.grant_list, name="grant_list"),
    path("grants/create/", views.grant_create, name="grant_create"),
    path("grants/<int:pk>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("extracts/", views.extract_list, name="extract_list"),
    path("extracts/create/", views.extract_create, name="extract_create"),
    path("extracts/<int:pk>/", views.extract_detail, name="extract_detail"),
    path("extracts/<int:pk>/progress/", views.extract_progress, name="extract_progress"),
    path("extracts/<int:pk>/download/", views.extract_download, name="extract_download"),
]
