"""The one Celery app. Configured from Django settings (CELERY_ namespace),
tasks autodiscovered from every app's tasks.py. Periodic tasks are all listed
here, each with its schedule next to it."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.dev")

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Every minute: the outbox's order e-mails and purchase events the broker never accepted or no worker ran
    # (checkout/outbox.py; cron can run `manage.py outbox_sweep` instead).
    "checkout-outbox-sweep": {
        "task": "checkout.tasks.outbox_sweep",
        "schedule": 60.0,
    },
    # every portrait and the RFM/cluster baseline, rebuilt nightly at 03:15
    "profiles-portraits-build-all": {
        "task": "profiles.tasks.portraits_build_all",
        "schedule": crontab(hour=3, minute=15),
    },
    # Nightly at 02:30 (CELERY_TIMEZONE): retrain every registered model, promote what does not regress.
    "recommend-nightly-retrain": {
        "task": "recommend.tasks.model_version_train",
        "schedule": crontab(hour=2, minute=30),
    },
    # Hourly at minute 5: refit the time-decayed popularity ("pop_recent") on the latest purchases.
    "recommend-hourly-trending": {
        "task": "recommend.tasks.trending_refresh",
        "schedule": crontab(minute=5),
    },
    # Every 10 minutes: find carts left past a step of CART_REMINDER_SCHEDULE and send the due reminders.
    "marketing-cart-reminders": {
        "task": "marketing.tasks.cart_reminders_run",
        "schedule": crontab(minute="*/10"),
    },
}
