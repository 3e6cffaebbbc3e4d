from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("categories/<int:category_id>/", views.category_detail, name="category"),
    path("products/<int:product_id>/", views.product_detail, name="product"),
    path("products/<int:product_id>/image.svg", views.product_image, name="product_image"),
    path("products/<int:product_id>/<slug:slug>/", views.product_detail, name="product_slug"),
    path("search/", views.search, name="search"),
    path("search/suggest/", views.search_suggest, name="search_suggest"),
]
