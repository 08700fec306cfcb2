from django.urls import path

from . import views
from .coordination_urls import urlpatterns as coordination_urlpatterns

app_name = "cases"

urlpatterns = [
    path("", views.referral_list, name="referral_list"),
    path("<int:pk>/", views.referral_detail, name="referral_detail"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("<int:pk>/notes/", views.note_add, name="note_add"),
    path("<int:pk>/act/<slug:action>/", views.referral_act, name="referral_act"),
    path("new/", views.referral_create, name="referral_create"),
    path("<int:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
]

urlpatterns += coordination_urlpatterns
