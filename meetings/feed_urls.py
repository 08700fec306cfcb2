from django.urls import path

from . import feed_views

app_name = "calendar_feed"

urlpatterns = [
    path("calendar/<str:token>.ics", feed_views.calendar_feed, name="feed"),
]
