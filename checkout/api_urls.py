from django.urls import path

from . import api

urlpatterns = [
    path("cart/", api.CartView.as_view(), name="api-cart"),
    path("cart/items/", api.CartItemsView.as_view(), name="api-cart-items"),
    path("cart/items/<int:pk>/", api.CartItemView.as_view(), name="api-cart-item"),
    path("checkout/", api.CheckoutView.as_view(), name="api-checkout"),
    path("orders/", api.OrderListView.as_view(), name="api-orders"),
    path("orders/<int:pk>/", api.OrderDetailView.as_view(), name="api-order"),
]
