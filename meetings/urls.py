from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="meeting_list"),
    path("new/", views.meeting_create, name="meeting_create"),
    path("<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("<int:pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("<int:pk>/held/", views.meeting_held, name="meeting_held"),
    path("<int:pk>/minutes/", views.meeting_minutes, name="meeting_minutes"),
    path("<int:pk>/attendance/", views.meeting_attendance, name="meeting_attendance"),
    path("<int:pk>/action-items/new/", views.action_item_create, name="action_item_create"),
    path("action-items/", views.action_item_list, name="action_item_list"),
    path("action-items/<int:item_pk>/edit/", views.action_item_edit, name="action_item_edit"),
    path("action-items/<int:item_pk>/status/", views.action_item_status, name="action_item_status"),
    path("reminders/", views.reminder_settings, name="reminder_settings"),
]
