"""A trigram index on the folded search text, where PostgreSQL has pg_trgm.

The extension is created once, in the public schema, by tenants migration 0004 (every tenant
schema sees it through the search_path). The embedded PostgreSQL of the demo ships without
pg_trgm: there the search works the same through a sequential scan, which the demo's few
hundred clients do not notice.
"""
from django.db import migrations


def index_create(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
        cursor.execute("CREATE INDEX IF NOT EXISTS client_search_trgm ON clients_client USING gin (search_text public.gin_trgm_ops)")


def index_drop(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS client_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]
    operations = [migrations.RunPython(index_create, index_drop)]
