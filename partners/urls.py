from django.urls import path

from . import views

app_name = "partners"

urlpatterns = [
    path("partners/", views.partner_list, name="partner_list"),
    path("partners/new/", views.partner_create, name="partner_create"),
    path("partners/<int:pk>/", views.partner_detail, name="partner_detail"),
    path("partners/<int:pk>/edit/", views.partner_edit, name="partner_edit"),
    path("partners/<int:pk>/deactivate/", views.partner_deactivate, name="partner_deactivate"),
    path("partners/<int:pk>/reactivate/", views.partner_reactivate, name="partner_reactivate"),
    path("partners/<int:pk>/services/new/", views.service_create, name="service_create"),
    path("services/", views.service_list, name="service_list"),
    path("services/<int:pk>/", views.service_detail, name="service_detail"),
    path("services/<int:pk>/edit/", views.service_edit, name="service_edit"),
    path("services/<int:pk>/deactivate/", views.service_deactivate, name="service_deactivate"),
    path("services/<int:pk>/reactivate/", views.service_reactivate, name="service_reactivate"),
]
