import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studyin.settings")

app = Celery("studyin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
