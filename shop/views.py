import time
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from catalog import selectors as catalog_selectors
from core.countries import country_name
from marketing import selectors as marketing_selectors
from profiles import selectors as profiles_selectors
from profiles import services as profiles_services
from recommend import selectors as recommend_selectors

from .forms import SignUpForm


def home(request):
    categories = [c for c in catalog_selectors.category_list(with_counts=True) if c.product_count]
    return render(
        request,
        "shop/home.html",
        {
            "categories": categories,
            "popular": catalog_selectors.products_popular(limit=12),
            "product_total": sum(c.product_count for c in categories),
            "banners": marketing_selectors.banners_for(
                customer_id=getattr(profiles_selectors.customer_for_user(request.user), "pk", None)
            ),
        },
    )


def about(request):
    return render(request, "shop/about.html", {})


def health(request):
    """Each dependency's state, for a load balancer and for monitoring.

    {"status": "ok" | "degraded" | "down", "checks": {"database", "cache",
    "broker", "models"}}. 503 when the database does not answer (this instance
    cannot serve); a cache or broker outage or no active model is "degraded"
    with 200, because pages, login and checkout keep working without them
    (docs/reliability.md). `?strict=1` answers 503 for any failed check (a
    monitor's view)."""
    checks = {
        "database": _check(_check_database),
        "cache": _check(_check_cache),
        "broker": _check(_check_broker),
        "models": _check(_check_models),
    }
    failed = [name for name, check in checks.items() if check["status"] != "ok"]
    status = "down" if "database" in failed else ("degraded" if failed else "ok")
    code = 503 if status == "down" or (failed and request.GET.get("strict") == "1") else 200
    response = JsonResponse({"status": status, "checks": checks}, status=code)
    response["Cache-Control"] = "no-store"
    return response


def _check(probe) -> dict:
    started = time.perf_counter()
    try:
        detail = probe()
    except Exception as exc:  # noqa: BLE001 - any failure of a dependency is its "error" state
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
    result = {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}
    if isinstance(detail, dict):
        result.update(detail)
    return result


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache():
    from django.core.cache import cache

    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, 1, 5)  # straight to the server: the tolerant wrapper would hide an outage
    if cache.get(key) != 1:
        raise RuntimeError("a value written was not read back")
    cache.delete(key)


def _check_broker():
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=1) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=1)
        return {"transport": conn.transport_cls if isinstance(conn.transport_cls, str) else "custom"}


def _check_models():
    active = {v.name: v.version for v in recommend_selectors.active_versions()}
    if not active:
        raise RuntimeError("no active model: recommendations fall back to popularity")
    return {"active": active}


@require_POST
def set_language(request):
    """The header's English | 中文 switch: Django's set_language (the cookie,
    and a redirect to the same page in the chosen language), and for a
    logged-in shopper the choice kept on their Customer, so it follows them to
    another browser. An unknown language changes nothing."""
    response = django_set_language(request)
    code = request.POST.get("language", "")
    if response.cookies.get(settings.LANGUAGE_COOKIE_NAME) is not None:
        customer = profiles_selectors.customer_for_user(request.user)
        if customer is not None:
            profiles_services.customer_language_set(customer=customer, language=code)
    return response


def page_not_found(request, exception=None):
    # an API client asked for an address that is not one: answer in the API's error shape, not a page
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", {}, status=404)


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = profiles_services.customer_sign_up(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                email=form.cleaned_data.get("email") or "",
            )
        except ValueError as exc:
            form.add_error("username", str(exc))
        else:
            login(request, customer.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome, %(name)s! Your account is ready.") % {"name": customer.user.username})
            return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def demo_customers(request):
    """Shop as a real customer: log in as one of the imported customers (dev only)."""
    if not getattr(settings, "DEMO_LOGIN_ENABLED", False):
        raise Http404("The demo switch is off")
    if request.method == "POST":
        try:
            customer = profiles_selectors.customer_get_imported(customer_id=int(request.POST.get("customer", "")))
        except (ValueError, ObjectDoesNotExist):
            messages.error(request, _("Choose a customer from the list."))
            return redirect("demo_customers")
        login(request, customer.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _("You are now shopping as customer %(id)s (%(country)s).")
            % {"id": customer.external_id, "country": country_name(customer.country)},
        )
        return redirect("home")
    query = request.GET.get("q", "")
    customers = profiles_selectors.customers_for_demo(query=query)
    return render(request, "shop/demo_customers.html", {"customers": customers, "q": query[:64]})
