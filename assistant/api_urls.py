from django.urls import path

from . import api

urlpatterns = [path("assistant/chat/", api.ChatView.as_view(), name="api-assistant-chat")]
