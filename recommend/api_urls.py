from django.urls import path

from . import api

urlpatterns = [
    path("recommendations/", api.RecommendationsView.as_view(), name="api-recommendations"),
]
