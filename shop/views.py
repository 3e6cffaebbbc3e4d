from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from catalog import selectors as catalog_selectors
from marketing import selectors as marketing_selectors
from profiles import selectors as profiles_selectors
from profiles import services as profiles_services

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
    """Liveness and database reachability, for the load balancer and compose."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        db_ok = True
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        db_ok = False
    return JsonResponse({"status": "ok" if db_ok else "degraded", "database": db_ok}, status=200 if db_ok else 503)


def page_not_found(request, exception=None):
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
            form.add_error("username", str(exc).capitalize() + ".")
        else:
            login(request, customer.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {customer.user.username}! Your account is ready.")
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
            messages.error(request, "Choose a customer from the list.")
            return redirect("demo_customers")
        login(request, customer.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"You are now shopping as customer {customer.external_id} ({customer.country}).")
        return redirect("home")
    query = request.GET.get("q", "")
    customers = profiles_selectors.customers_for_demo(query=query)
    return render(request, "shop/demo_customers.html", {"customers": customers, "q": query[:64]})
