"""The Celery app. Tasks carry the tenant's schema in their headers (tenant-schemas-celery).

Queue a tenant's task while that tenant is active (inside the request, or under
tenants.context.tenant_context); a task queued from the public schema runs in public.
"""
import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")



class App(CeleryApp):
    task_cls = "tenants.celery_task:TenantAwareTask"


app = App("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
