"""The base class of every task: runs in the schema its headers name, or not at all."""
from celery.exceptions import Reject
from django.db import connection
from tenant_schemas_celery.task import TenantTask


class TenantAwareTask(TenantTask):
    abstract = True

    @classmethod
    def get_tenant_for_schema(cls, schema_name):
        from tenants.models import Tenant

        tenant = super().get_tenant_for_schema(schema_name)
        if tenant.status == Tenant.Status.DELETED:
            raise Tenant.DoesNotExist(schema_name)
        return tenant

    def __call__(self, *args, **kwargs):
        if self.request.called_directly:  # a plain function call runs in the caller's schema
            return super().__call__(*args, **kwargs)
        wanted = self.request.get("_schema_name") or (self.request.headers or {}).get("_schema_name") or "public"
        # tenant-schemas-celery switches schemas in a signal handler whose errors are only logged;
        # a task whose tenant is gone must not run in whatever schema the worker had.
        if connection.schema_name != wanted:
            raise Reject(f"tenant schema {wanted!r} is not available", requeue=False)
        return super().__call__(*args, **kwargs)
