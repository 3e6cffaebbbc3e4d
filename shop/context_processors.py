from django.conf import settings


def site(request):
    return {"DEMO_LOGIN_ENABLED": settings.DEMO_LOGIN_ENABLED}
