from django.urls import path

from . import api

urlpatterns = [
    path("experiments/mine/", api.MyExperimentsView.as_view(), name="api-experiments-mine"),
]
