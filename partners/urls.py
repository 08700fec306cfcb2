from django.urls import path

from . import views

app_name = "partners"

urlpatterns = [
    path("partners/", views.partner_list, name="partner_list"),
    path("partners/<int:pk>/", views.partner_detail, name="partner_detail"),
    path("services/", views.service_list, name="service_list"),
    path("services/<int:pk>/", views.service_detail, name="service_detail"),
]
