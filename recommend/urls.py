from django.urls import path

from . import views

app_name = "recommend"
urlpatterns = [
    path("r/<str:token>/", views.click, name="click"),
]
