from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views
from .accounts import ThrottledLoginView, TokenLoginView, login_throttled

api_patterns = [
    path("", include("catalog.api_urls")),
    path("", include("profiles.api_urls")),
    path("", include("checkout.api_urls")),
    path("", include("recommend.api_urls")),
    path("", include("marketing.api_urls")),
    path("", include("assistant.api_urls")),
    path("auth/token/", TokenLoginView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # the split view serves its script from a URL, not inline (the Content-Security-Policy)
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="drf_spectacular/swagger_ui_csp.html"),
        name="api-docs",
    ),
]

# Not pages: one URL in every language (the API answers in the client's
# Accept-Language, shop/i18n.py). The prefixes are listed in shop.i18n.UNPREFIXED.
urlpatterns = [
    path("health/", views.health, name="health"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    # the admin's login behind the same limiter (issue 13, defect 4)
    path("admin/login/", login_throttled(admin.site.login), name="admin-login-throttled"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("", include("recommend.urls")),  # click tracking: /r/<token>/
    path("", include("marketing.urls")),  # e-mail pixels, clicks, unsubscribe: /m/...
]

# The pages: English at /cart/, Simplified Chinese at /zh-hans/cart/ (docs/i18n.md).
urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("signup/", views.signup, name="signup"),
    path("demo/customers/", views.demo_customers, name="demo_customers"),
    # the login form is throttled per address and username (shop/accounts.py)
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("catalog.urls")),
    path("", include("profiles.urls")),
    path("", include("checkout.urls")),
    path("", include("assistant.urls")),
    prefix_default_language=False,
)

handler404 = "shop.views.page_not_found"
