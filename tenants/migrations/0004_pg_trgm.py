"""pg_trgm in the public schema, where the server has it (clients' search index uses it)."""
from django.db import migrations


def extension_create(apps, schema_editor):
    if schema_editor.connection.schema_name != "public":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is not None:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")


class Migration(migrations.Migration):
    dependencies = [("tenants", "0003_deadlineindex")]
    operations = [migrations.RunPython(extension_create, migrations.RunPython.noop)]
