from django.urls import path

from . import crime_views

app_name = "crime"

urlpatterns = [
    path("", crime_views.upload_list, name="list"),
    path("upload/", crime_views.upload, name="upload"),
]
