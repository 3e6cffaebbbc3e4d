from django.urls import path

from . import views

app_name = "assistant"
urlpatterns = [
    path("assistant/", views.chat, name="chat"),
    path("help/<slug:slug>/", views.policy, name="policy"),
]
