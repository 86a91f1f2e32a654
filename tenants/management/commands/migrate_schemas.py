"""`migrate_schemas`: public schema, then the template schema, then only the tenants that are behind.

Replaces django-tenants' command (the tenants app is listed before django_tenants). On a deploy
with nothing new, each tenant costs one small query instead of a full `migrate` run
(django-tenants #719, #1082). Pass --executor=subprocess --parallel N to migrate many stale
tenants at once with bounded memory.
"""
from django.db import connection
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors import get_executor
from django_tenants.utils import get_public_schema_name

from tenants import schema, spares
from tenants.models import Tenant
from tenants.services import public_tenant_ensure


class Command(MigrateSchemasCommand):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--all-tenants",
            action="store_true",
            help="Run `migrate` in every tenant schema, even those already at the latest migration.",
        )

    def handle(self, *args, **options):
        plain = not (
            options.get("schema_name")
            or options.get("app_label")
            or options.get("fake")
            or options.get("plan")
            or options.get("check_unapplied")
        )
        if not plain:
            return super().handle(*args, **options)

        run_public = options["shared"] or not options["tenant"]
        run_tenants = options["tenant"] or not options["shared"]
        verbosity = int(options.get("verbosity", 1))

        if run_public:
            super().handle(*args, **{**options, "shared": True, "tenant": False})
            connection.set_schema_to_public()
            public_tenant_ensure()

        if run_tenants:
            template = schema.template_schema()
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{template}"')
            super().handle(*args, **{**options, "shared": False, "tenant": True, "schema_name": template})
            connection.set_schema_to_public()
            made = spares.spares_refill()
            if verbosity:
                self.stdout.write(f"Spare schemas cloned from the template: {made}")

            names = list(
                Tenant.objects.exclude(schema_name=get_public_schema_name())
                .exclude(status=Tenant.Status.DELETED)
                .values_list("schema_name", flat=True)
            )
            stale = names if options["all_tenants"] else schema.schemas_needing_migration(names)
            if verbosity:
                self.stdout.write(f"Tenants: {len(names)}, behind the latest migration: {len(stale)}")
            if stale:
                self.options = {**options, "shared": False, "tenant": True}
                executor = get_executor(codename=options.get("executor"))(args, self.options)
                executor.run_migrations(tenants=stale)
        connection.set_schema_to_public()
