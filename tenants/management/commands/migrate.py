"""`migrate` is `migrate_schemas` here, so test databases and plain `migrate` get the template schema too."""
from tenants.management.commands.migrate_schemas import Command  # noqa: F401
