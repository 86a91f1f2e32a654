"""Verify the audit hash chain of one schema or of every schema; exit 1 if any is broken."""
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.audit.selectors import audit_chain_verify
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Recompute the audit log's hash chain and report the first broken event."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="Only this schema (a tenant's slug, or public).")

    def handle(self, *args, **options):
        schemas = [options["schema"]] if options["schema"] else list(
            Tenant.objects.exclude(status=Tenant.Status.DELETED).values_list("schema_name", flat=True)
        )
        broken = 0
        for schema_name in schemas:
            with schema_context(schema_name):
                report = audit_chain_verify()
            if report.ok:
                self.stdout.write(f"{schema_name}: ok ({report.events} events)")
            else:
                broken += 1
                self.stdout.write(self.style.ERROR(f"{schema_name}: BROKEN at event {report.broken_at}: {report.reason}"))
        if broken:
            raise CommandError(f"{broken} audit chain(s) broken")
