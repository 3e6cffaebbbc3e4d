from django.urls import path

from . import views

app_name = "profiles"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/interests/mute/", views.interest_mute, name="interest_mute"),
    path("profile/interests/unmute/", views.interest_unmute, name="interest_unmute"),
    path("profile/data.json", views.data_export, name="data_export"),
    path("profile/history/delete/", views.history_delete, name="history_delete"),
]
