"""Low-level schema operations: the template schema, cloning, migrating, dropping.

New tenants are cloned from TENANT_TEMPLATE_SCHEMA by tenants.clone (structure and rows:
recorded migrations, permissions, built-in roles). The migrate
path builds a schema by running every migration; it stays for comparison and as a fallback.
"""
from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import quote_schema_name

from tenants.clone import clone_schema


def template_schema() -> str:
    return settings.TENANT_TEMPLATE_SCHEMA


def schema_clone(*, source: str, target: str) -> None:
    """Create `target` as a copy of `source`: tables, rows, sequences, functions, triggers."""
    connection.set_schema_to_public()
    clone_schema(source=source, target=target)
    # The clone sets search_path inside the transaction; make the next cursor set ours again.
    connection.set_schema_to_public()


def schema_migrate(schema_name: str, *, create: bool = False, verbosity: int = 0) -> None:
    """Bring one tenant schema (or the template) to the latest migration by running migrations."""
    if create:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {quote_schema_name(schema_name)}")
    call_command(
        "migrate_schemas",
        tenant=True,
        schema_name=schema_name,
        interactive=False,
        verbosity=verbosity,
    )
    connection.set_schema_to_public()


def schema_drop(schema_name: str) -> None:
    if schema_name in {"public", template_schema()}:
        raise ValueError(f"refusing to drop {schema_name!r}")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {quote_schema_name(schema_name)} CASCADE")


def tenant_migration_targets() -> set[tuple[str, str]]:
    """Every (app, migration) a tenant schema must have applied to be current."""
    from django_tenants.routers import TenantSyncRouter

    router = TenantSyncRouter()
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {
        key
        for key in loader.graph.nodes
        if router.app_in_list(key[0], settings.TENANT_APPS)
    }


def schemas_needing_migration(schema_names: list[str]) -> list[str]:
    """The schemas among `schema_names` missing any tenant migration: one cheap query per schema."""
    targets = tenant_migration_targets()
    stale = []
    with connection.cursor() as cursor:
        for name in schema_names:
            cursor.execute("SELECT to_regclass(%s)", [f"{quote_schema_name(name)}.django_migrations"])
            if cursor.fetchone()[0] is None:
                stale.append(name)
                continue
            cursor.execute(f"SELECT app, name FROM {quote_schema_name(name)}.django_migrations")
            applied = set(cursor.fetchall())
            if not targets <= applied:
                stale.append(name)
    return stale
