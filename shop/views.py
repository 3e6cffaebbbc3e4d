from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render


def home(request):
    return render(request, "shop/home.html", {})


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
