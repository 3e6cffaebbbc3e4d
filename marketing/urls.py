from django.urls import path

from . import views

app_name = "marketing"

urlpatterns = [
    path("m/o/<str:token>.gif", views.open_pixel, name="open"),
    path("m/c/<str:token>/", views.click, name="click"),
    path("m/u/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
