from django.urls import path

from . import api

urlpatterns = [
    path("events/", api.EventCreateView.as_view(), name="api-events"),
    path("portrait/", api.PortraitView.as_view(), name="api-portrait"),
]
